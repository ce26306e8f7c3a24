import assert from "node:assert/strict";
import {
  type CodeSyntaxError,
  prepareCode,
} from "../../../broker/code/transform.ts";

/** Evaluates prepared code exactly as the runtime does. */
async function _run(source: string): Promise<unknown> {
  const result = prepareCode(source);
  if (!result.ok) {
    assert.fail(`Unexpected syntax error: ${result.error.message}`);
  }
  const fn = (0, eval)(result.js);
  return await fn();
}

function _error(source: string): CodeSyntaxError["error"] {
  const result = prepareCode(source);
  if (result.ok) assert.fail(`Expected a syntax error, got ${result.js}`);
  return result.error;
}

Deno.test("prepareCode() returns an async function expression", async () => {
  const result = prepareCode("1 + 1");
  assert.ok(result.ok);
  const fn = (0, eval)(result.js);
  assert.equal(typeof fn, "function");
  assert.equal(fn.constructor.name, "AsyncFunction");
  assert.equal(await fn(), 2);
});

Deno.test("prepareCode() returns the last expression statement", async () => {
  assert.equal(await _run("const x = 5; x * 2"), 10);
  assert.equal(await _run("const x = 5;\nx * 2;\n"), 10);
  assert.equal(await _run("let a = 1\na + 1"), 2);
  assert.equal(await _run("const s = 'a;b';\ns.split(';').length"), 2);
  assert.equal(await _run('"x; y; z"'), "x; y; z");
  assert.equal(await _run("1;;"), 1);
});

Deno.test("prepareCode() handles a multi-line last expression", async () => {
  const code =
    "const xs = [1, 2, 3]\nxs\n  .map((x) => x * 2)\n  .filter(\n    (x) => x > 2,\n  )";
  assert.deepEqual(await _run(code), [4, 6]);
  assert.equal(await _run("const a = 1\n// note\na +\n  // between\n  2"), 3);
});

Deno.test("prepareCode() ignores comments after the last expression", async () => {
  assert.equal(await _run("const x = 2;\nx * 3 // six"), 6);
  assert.equal(await _run("const x = 2;\nx * 3; /* six */"), 6);
  assert.equal(await _run("const x = 2;\nx * 3\n// the end"), 6);
  assert.equal(await _run("7\n/* a\n   block */"), 7);
});

Deno.test("prepareCode() honours an explicit top-level return", async () => {
  assert.equal(await _run("return 1;\n2"), 1);
  assert.equal(
    await _run("const n = 3;\nif (n > 2) return 'big';\n'small'"),
    "big",
  );
  assert.equal(
    await _run("const n = 1;\nif (n > 2) return 'big';\n'small'"),
    "small",
  );
  assert.equal(await _run("return;"), undefined);
});

Deno.test("prepareCode() returns undefined for an empty program", async () => {
  assert.equal(await _run(""), undefined);
  assert.equal(await _run("  \n\t\n"), undefined);
  assert.equal(await _run("// only a comment"), undefined);
  assert.equal(await _run("const x = 1;"), undefined);
});

Deno.test("prepareCode() treats a braced program as an object literal", async () => {
  assert.deepEqual(await _run("{ a: 1, b: 2 }"), { a: 1, b: 2 });
  assert.deepEqual(await _run("\n  {\n    a: [1],\n  }\n"), { a: [1] });
  assert.deepEqual(await _run("{}"), {});
  // Not an object literal, so a block whose last expression is the result.
  assert.equal(await _run("{ const a = 1; a + 1 }"), 2);
});

Deno.test("prepareCode() follows the branch taken by a final if", async () => {
  const code = (n: number) =>
    `const n = ${n};\nif (n === 1) {\n  "one"\n} else if (n === 2) "two";\nelse { const m = n; m * 10 }`;
  assert.equal(await _run(code(1)), "one");
  assert.equal(await _run(code(2)), "two");
  assert.equal(await _run(code(3)), 30);
  assert.equal(await _run("const a = false\nif (a) 1\nelse 2"), 2);
  assert.equal(await _run("if (false) 1"), undefined);
});

Deno.test("prepareCode() leaves the result undefined after other statements", async () => {
  assert.equal(await _run("let i = 0;\nfor (; i < 3; i++) i * 2"), undefined);
  assert.equal(await _run("try { 1 } finally { 2 }"), undefined);
  assert.equal(await _run("switch (1) { case 1: 'a' }"), undefined);
  assert.equal(await _run("class A {}"), undefined);
});

Deno.test("prepareCode() skips trailing hoisted and type declarations", async () => {
  const code =
    "main()\nfunction main() { return 7 }\ninterface X { a: 1 }\ntype Y = X;";
  assert.equal(await _run(code), 7);
});

Deno.test("prepareCode() supports top-level await and for await", async () => {
  assert.equal(await _run("await Promise.resolve(4)"), 4);
  const code = "async function* gen() { yield 1; yield 2 }\n" +
    "let sum = 0\nfor await (const x of gen()) sum += x\nsum";
  assert.equal(await _run(code), 3);
});

Deno.test("prepareCode() runs the code in strict mode", async () => {
  assert.equal(await _run("(function () { return this })()"), undefined);
});

Deno.test("prepareCode() strips TypeScript syntax", async () => {
  const code = `
interface Point { x: number; y: number }
type Pair<T> = [T, T];
declare const ambient: string;
enum Color { Red, Green }
const enum Size { Small = 1 }
function first<T>(pair: Pair<T>): T { return pair[0]; }
abstract class Shape { abstract area(): number }
class Square extends Shape {
  constructor(private readonly side: number) { super(); }
  area(): number { return this.side ** 2; }
}
const p = { x: 1, y: 2 } satisfies Point;
const maybe: number | undefined = 3 as number;
({ p, first: first<number>([5, 6]), green: Color.Green, small: Size.Small,
   area: new Square(3).area(), maybe: maybe! }) as const`;
  assert.deepEqual(await _run(code), {
    p: { x: 1, y: 2 },
    first: 5,
    green: 1,
    small: 1,
    area: 9,
    maybe: 3,
  });
});

Deno.test("prepareCode() passes plain JavaScript through without transpiling", () => {
  // The TypeScript printer would normalise this spacing and drop nothing else.
  const result = prepareCode("const a = 1,  b = 2;\na   +   b");
  assert.ok(result.ok);
  assert.ok(result.js.includes("const a = 1,  b = 2;\nreturn (a   +   b);"));
});

Deno.test("prepareCode() strips a surrounding markdown fence", async () => {
  for (const lang of ["ts", "typescript", "js", "javascript", ""]) {
    assert.equal(await _run(`\`\`\`${lang}\nconst x = 2;\nx * 21\n\`\`\``), 42);
  }
  assert.equal(await _run("\n  ```ts\nconst x: number = 1;\nx\n```  \n\n"), 1);
  assert.equal(await _run("```ts\r\nconst x = 1;\r\nx + 1\r\n```\r\n"), 2);
  assert.equal(await _run("```ts\n```"), undefined);
  assert.equal(await _run("```ts\nconst x = 1;\nx + 2\n"), 3);
});

Deno.test("prepareCode() rejects import declarations with a hint", () => {
  const error = _error('import x from "y";\nx');
  assert.deepEqual(error, {
    code: "syntax_error",
    message:
      "Import declarations are not supported in execbox: tools are globals (call them as namespace.tool(...)) at line 1, column 1",
    line: 1,
    column: 1,
  });
  assert.equal(_error('const a = 1;\n  import type { T } from "t";').line, 2);
  assert.equal(_error('const a = 1;\n  import type { T } from "t";').column, 3);
  assert.match(
    _error('import fs = require("fs");').message,
    /^Import declarations/,
  );
  assert.match(_error('import "side-effect";').message, /^Import declarations/);
});

Deno.test("prepareCode() rejects export declarations", () => {
  for (
    const code of [
      "export default 1",
      "export const a = 1",
      "const a = 1; export { a }",
      "export interface A {}",
      "export function f() {}",
      'export * from "x"',
      "export = 1",
    ]
  ) {
    assert.match(
      _error(code).message,
      /^Export declarations are not supported in execbox: .* at line 1, column \d+$/,
    );
  }
  assert.equal(_error("const a = 1; export { a }").column, 14);
});

Deno.test("prepareCode() allows dynamic import expressions", async () => {
  assert.equal(
    await _run('const load = () => import("x");\ntypeof load'),
    "function",
  );
});

Deno.test("prepareCode() locates a syntax error in the original text", () => {
  const fenced = "```ts\nconst a = 1;\nconst b = ;\n```";
  assert.deepEqual(_error(fenced), {
    code: "syntax_error",
    message: "Expression expected at line 3, column 11",
    line: 3,
    column: 11,
  });
  const afterFence = _error("  ```js\nfoo(;\n```");
  assert.deepEqual([afterFence.line, afterFence.column], [2, 5]);
  const plain = _error("const a = 1;\nconst b = 2;\nfoo(a b)");
  assert.deepEqual([plain.line, plain.column], [3, 7]);
  const first = _error("1 +* 2");
  assert.deepEqual([first.line, first.column], [1, 4]);
});

Deno.test("prepareCode() formats syntax error messages", () => {
  for (const code of ["foo(", "const s = 'abc", "let x = ;", "{", "/*"]) {
    const { message, line, column } = _error(code);
    assert.ok(message.endsWith(` at line ${line}, column ${column}`), message);
    assert.doesNotMatch(message, /^[a-z]/);
    assert.doesNotMatch(message, /\. at line/);
  }
});

Deno.test("prepareCode() points an unclosed block at the end of the code", () => {
  const error = _error("```ts\nif (x) {\n  y()\n```");
  assert.deepEqual([error.line, error.column], [3, 6]);
});

Deno.test("prepareCode() rejects a brace that closes the wrapper", () => {
  const error = _error("1 }) + (async function () {");
  assert.equal(error.message, "Unexpected token '}' at line 1, column 3");
  assert.equal(_error("}).call(globalThis); (function () {").column, 1);
  assert.equal(_error("a\n}\nb").line, 2);
});

Deno.test("prepareCode() reports code nested past the parser's stack as a syntax error where it is deepest", () => {
  assert.deepEqual(
    prepareCode("1;\n" + "[".repeat(50_000) + "]".repeat(50_000)),
    {
      ok: false,
      error: {
        code: "syntax_error",
        message: "Code is nested too deeply to parse at line 2, column 50000",
        line: 2,
        column: 50_000,
      },
    },
  );
});

Deno.test("prepareCode() throws a TypeError for a non-string", () => {
  assert.throws(
    () => prepareCode(42 as unknown as string),
    new TypeError("Code must be a string, got number"),
  );
});

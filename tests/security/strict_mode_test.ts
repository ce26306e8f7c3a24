/**
 * Guest code always runs as the body of the async wrapper, in strict mode:
 * nothing it contains (an HTML-like comment, a stray `})`, a keyword spelled
 * with escapes) takes it to the top level of a sloppy script.
 */

import { createBroker } from "./_broker.ts";
import { assertFailure, assertResult } from "./_fixtures.ts";

const HTML_COMMENT =
  "HTML-like comments (<!-- and -->) are not supported in execbox: use // or /* */";

Deno.test("Broker.execute() keeps guest code strict and inside its async wrapper", async (t) => {
  await using broker = await createBroker({ pool: { size: 1 } });

  await t.step(
    "Broker.execute() rejects a <!-- comment that would close the wrapper",
    async () => {
      // As a script, the comment hides a template's backtick, `})` closes
      // the wrapper, and a second function runs in sloppy mode.
      const run = await broker.execute(
        "0 <!-- `\n}); (async function () {\n//`\nreturn [typeof this, (function () { return typeof this; })()];",
      );
      assertFailure(
        run,
        "syntax_error",
        `${HTML_COMMENT} at line 1, column 3`,
      );
    },
  );

  await t.step(
    "Broker.execute() rejects a --> comment at the start of a line",
    async () => {
      const run = await broker.execute(
        "let a = 1;\n--> `\n}); with ({ a: 2 }) { globalThis.leak = a; } (async function () {\n//`\nreturn a;",
      );
      assertFailure(
        run,
        "syntax_error",
        `${HTML_COMMENT} at line 2, column 1`,
      );
    },
  );

  await t.step("Broker.execute() rejects </script>", async () => {
    const run = await broker.execute("</script>\nreturn typeof this");
    assertFailure(run, "syntax_error", "Type expected at line 1, column 2");
  });

  await t.step("Broker.execute() rejects a stray })", async () => {
    const run = await broker.execute(
      "}); globalThis.escaped = true; (async function () {",
    );
    assertFailure(
      run,
      "syntax_error",
      "Unexpected token '}' at line 1, column 1",
    );
  });

  await t.step(
    "Broker.execute() rejects a with statement spelled with unicode escapes",
    async () => {
      const run = await broker.execute("\\u0077ith ({ a: 1 }) { a }");
      assertFailure(
        run,
        "syntax_error",
        "Keywords cannot contain escape characters at line 1, column 1",
      );
    },
  );

  await t.step("Broker.execute() rejects a with statement", async () => {
    const run = await broker.execute("with ({ a: 1 }) { a }");
    assertFailure(
      run,
      "syntax_error",
      "SyntaxError: Strict mode code may not include a with statement",
    );
  });

  await t.step(
    "Broker.execute() runs the code in strict mode inside the async wrapper",
    async () => {
      const run = await broker.execute(`
        const callee = (() => {
          try {
            return typeof arguments.callee;
          } catch (error) {
            return error.name;
          }
        })();
        let undeclared;
        try {
          implicitGlobal = 1;
        } catch (error) {
          undeclared = error.name;
        }
        return [
          typeof this,
          (function () { return typeof this; })(),
          callee,
          undeclared,
          await Promise.resolve("awaited"),
        ];`);
      assertResult(run, [
        "undefined",
        "undefined",
        "TypeError",
        "ReferenceError",
        "awaited",
      ]);
    },
  );

  await t.step(
    "Broker.execute() keeps arguments.callee strict when spelled with unicode escapes",
    async () => {
      const run = await broker.execute("\\u0061rguments.callee");
      assertFailure(
        run,
        "runtime_error",
        "TypeError: 'caller', 'callee', and 'arguments' properties may not be accessed on strict mode functions or the arguments objects for calls to them",
      );
    },
  );

  await t.step(
    "Broker.execute() accepts <!-- and --> in strings, templates, expressions and comments",
    async () => {
      const run = await broker.execute(
        "let n = 2; let steps = 0; while (n --> 0) steps++;\n// <!-- -->\n/* --> */ ['<!--', `-->`, /<!--/.source, steps]",
      );
      assertResult(run, ["<!--", "-->", "<!--", 2]);
    },
  );
});

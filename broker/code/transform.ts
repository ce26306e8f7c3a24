/**
 * Turns the code a guest submits into the JavaScript the sandbox evaluates:
 * strips a surrounding markdown fence, rejects module syntax, makes the last
 * expression the result, and strips TypeScript types.
 *
 * @module
 */
import ts from "typescript";

/** Code that parsed, ready for the runtime to evaluate. */
export interface PreparedCode {
  /** Always `true`: the code parsed. */
  ok: true;
  /** JS source of one expression: an async function taking no arguments. */
  js: string;
}

/** Code that did not parse, with where the problem is in the submitted text. */
export interface CodeSyntaxError {
  /** Always `false`: the code did not parse. */
  ok: false;
  /** What is wrong and where. */
  error: {
    /** Always `"syntax_error"`. */
    code: "syntax_error";
    /** Sentence-case description ending with ` at line L, column C`. */
    message: string;
    /** 1-based line in the submitted text, fence lines included. */
    line: number;
    /** 1-based column (UTF-16 code units) in the submitted text. */
    column: number;
  };
}

/** What {@linkcode prepareCode} returns. */
export type PrepareResult = PreparedCode | CodeSyntaxError;

// On the guest's first line, so a parse position only needs the prefix length
// subtracted, and guest line N is line N of untranspiled output.
const _PREFIX = '(async function () {"use strict";';
// Newline first, so a trailing line comment cannot swallow the closing brace.
const _SUFFIX = "\n})";
const _FENCE_OPEN = /^\s*```[\w+-]*[ \t]*\r?\n/;
const _FENCE_CLOSE = /(?:^|\r?\n)[ \t]*```\s*$/;
const _PARSE_OPTIONS: ts.CreateSourceFileOptions = {
  languageVersion: ts.ScriptTarget.ESNext,
  jsDocParsingMode: ts.JSDocParsingMode.ParseNone,
};
const _TRANSPILE_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ESNext,
  module: ts.ModuleKind.ESNext,
  isolatedModules: true,
  useDefineForClassFields: true,
};

/** One parse of the guest body inside the async wrapper. */
interface _Parsed {
  text: string;
  bodyLength: number;
  sf: ts.SourceFile;
  fn: ts.FunctionExpression;
}

/** A problem at an offset into the guest body. */
interface _Problem {
  offset: number;
  message: string;
}

/**
 * Prepares guest code (JavaScript or TypeScript, optionally in a markdown
 * fence) for evaluation. The code runs as the body of an async function in
 * strict mode, so top-level `await`, `for await` and `return` work. Its result
 * is the value of a top-level `return` or else of the last expression
 * statement, looking into a final `if`/`else` or block; a trailing function,
 * interface or type declaration is skipped when finding it. A program that is
 * just `{ ... }` is first tried as an object literal, as REPLs do.
 *
 * @param source The code as the guest submitted it.
 * @returns The JavaScript expression to evaluate, or a syntax error located in
 * `source` (1-based line and column). `import` and `export` declarations are
 * syntax errors: tools are globals.
 * @throws {TypeError} If `source` is not a string.
 *
 * @example Evaluate the prepared code
 * ```ts
 * import { prepareCode } from "./transform.ts";
 *
 * const result = prepareCode("const x: number = 5;\nx * 2");
 * if (result.ok) {
 *   const fn = (0, eval)(result.js);
 *   console.log(await fn()); // 10
 * } else {
 *   console.log(result.error.message);
 * }
 * ```
 */
export function prepareCode(source: string): PrepareResult {
  if (typeof source !== "string") {
    throw new TypeError(`Code must be a string, got ${typeof source}`);
  }
  try {
    return _prepare(source);
  } catch (error) {
    // The parser and the walks over its tree recurse once per nesting level:
    // code nested past the stack's depth is unparsable, and says so.
    if (!(error instanceof RangeError)) throw error;
    const offset = _deepestOffset(source);
    return _syntaxError(source, offset, {
      offset,
      message: "code is nested too deeply to parse",
    });
  }
}

function _prepare(source: string): PrepareResult {
  const [start, end] = _fenceBounds(source);
  const body = source.slice(start, end);
  const parsed = _parseObjectLiteral(body) ?? _parse(body);
  const problem = _findProblem(parsed);
  if (problem) return _syntaxError(source, start + problem.offset, problem);

  const last = _lastRunning(_guestStatements(parsed));
  const js = _applyEdits(parsed.text, _returnEdits(last, parsed.sf));
  return {
    ok: true,
    js: _containsTypeScript(parsed.sf) ? _stripTypes(js) : js,
  };
}

/** Where bracket nesting first reaches its deepest level (strings ignored). */
function _deepestOffset(source: string): number {
  let depth = 0;
  let max = 0;
  let at = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    // ( [ {  and  ) ] }
    if (c === 40 || c === 91 || c === 123) {
      if (++depth > max) [max, at] = [depth, i];
    } else if (c === 41 || c === 93 || c === 125) depth--;
  }
  return at;
}

/** Offsets of the code inside a surrounding markdown fence, or all of it. */
function _fenceBounds(source: string): [number, number] {
  const open = _FENCE_OPEN.exec(source);
  if (!open) return [0, source.length];
  const start = open[0].length;
  const close = _FENCE_CLOSE.exec(source.slice(start));
  // A fence line is never meant as code, so a missing closing fence (a
  // truncated answer) still strips the opening one.
  return [start, close ? start + close.index : source.length];
}

function _parse(body: string): _Parsed {
  const text = _PREFIX + body + _SUFFIX;
  const sf = ts.createSourceFile(
    "guest.ts",
    text,
    _PARSE_OPTIONS,
    false,
    ts.ScriptKind.TS,
  );
  // The wrapper is the leftmost node whatever the guest wrote, even when the
  // guest closes it early: `}).call(x); (function () {`.
  let node: ts.Node | undefined = sf;
  while (node && !ts.isFunctionExpression(node)) {
    node = ts.forEachChild(node, (child) => child);
  }
  if (!node) throw new Error("Cannot find the wrapper function in parsed code");
  return { text, bodyLength: body.length, sf, fn: node };
}

/**
 * Parses `{ ... }` as a parenthesised object literal, as the Node and Deno
 * REPLs do, or returns `undefined` when it is not one expression that way.
 */
function _parseObjectLiteral(body: string): _Parsed | undefined {
  const trimmed = body.trim();
  if (!trimmed.startsWith("{") || !trimmed.endsWith("}")) return undefined;
  const parsed = _parse(`(${body})`);
  const statements = _guestStatements(parsed);
  const ok = _parseDiagnostics(parsed.sf).length === 0 &&
    _strayBrace(parsed) === undefined && statements.length === 1 &&
    ts.isExpressionStatement(statements[0]!);
  return ok ? parsed : undefined;
}

const _IMPORT_HINT =
  "Import declarations are not supported in execbox: tools are globals (call them as namespace.tool(...))";
const _EXPORT_HINT =
  "Export declarations are not supported in execbox: return the result or end with an expression";
const _HTML_COMMENT_HINT =
  "HTML-like comments (<!-- and -->) are not supported in execbox: use // or /* */";

/** The earliest reason the guest code is not acceptable, if any. */
function _findProblem(parsed: _Parsed): _Problem | undefined {
  const problems: _Problem[] = [];
  const diagnostic = _parseDiagnostics(parsed.sf)[0];
  if (diagnostic) {
    // Errors past the guest body (an unclosed brace) point at its end.
    const offset = (diagnostic.start ?? 0) - _PREFIX.length;
    problems.push({
      offset: Math.min(Math.max(offset, 0), parsed.bodyLength),
      message: ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"),
    });
  }
  const stray = _strayBrace(parsed);
  if (stray !== undefined) {
    problems.push({ offset: stray, message: "Unexpected token '}'" });
  }
  const html = _htmlComment(parsed);
  if (html !== undefined) {
    problems.push({ offset: html, message: _HTML_COMMENT_HINT });
  }
  // Module syntax parses in a function body; only the checker rejects it.
  const statement = _guestStatements(parsed).find(_isModuleSyntax);
  if (statement) {
    const isImport = ts.isImportDeclaration(statement) ||
      ts.isImportEqualsDeclaration(statement);
    problems.push({
      offset: statement.getStart(parsed.sf) - _PREFIX.length,
      message: isImport ? _IMPORT_HINT : _EXPORT_HINT,
    });
  }
  return problems.sort((a, b) => a.offset - b.offset)[0];
}

/** Body offset of a `}` that closes the wrapper function early, if any. */
function _strayBrace({ text, fn, bodyLength }: _Parsed): number | undefined {
  const close = (fn.body?.end ?? text.length) - 1;
  const offset = close - _PREFIX.length;
  return offset < bodyLength && text[close] === "}" ? offset : undefined;
}

/**
 * Body offset of the first HTML-like comment V8 would see in code: `<!--`
 * anywhere, or `-->` first on its line. TypeScript reads both as operators,
 * so the two parsers would disagree on what the code is; the runtime compiles
 * the body on its own, so the comment cannot leave the wrapper, but the code
 * would not mean what the parse says.
 */
function _htmlComment({ text, sf }: _Parsed): number | undefined {
  for (const marker of ["<!--", "-->"]) {
    for (
      let at = text.indexOf(marker, _PREFIX.length);
      at !== -1;
      at = text.indexOf(marker, at + 1)
    ) {
      const token = _tokenAt(sf, at);
      const start = token.getStart(sf);
      // In a comment, string, template or regular expression, it is text.
      if (at < start || _isLiteralToken(token.kind)) continue;
      if (marker === "<!--") return at - _PREFIX.length;
      // `n-->0` is `n-- > 0`; only `-->` after a line break is a comment.
      if (
        at === start && /[\n\r\u2028\u2029]/.test(text.slice(token.pos, start))
      ) {
        return at - _PREFIX.length;
      }
    }
  }
  return undefined;
}

/** The innermost node or token whose full text holds `offset`. */
function _tokenAt(sf: ts.SourceFile, offset: number): ts.Node {
  let node: ts.Node = sf;
  for (;;) {
    const child = node.getChildren(sf).find((c) =>
      c.pos <= offset && offset < c.end
    );
    if (child === undefined) return node;
    node = child;
  }
}

function _isLiteralToken(kind: ts.SyntaxKind): boolean {
  return kind === ts.SyntaxKind.StringLiteral ||
    kind === ts.SyntaxKind.NoSubstitutionTemplateLiteral ||
    kind === ts.SyntaxKind.TemplateHead ||
    kind === ts.SyntaxKind.TemplateMiddle ||
    kind === ts.SyntaxKind.TemplateTail ||
    kind === ts.SyntaxKind.RegularExpressionLiteral;
}

/** Top-level statements of the guest code, without the wrapper's directive. */
function _guestStatements({ fn }: _Parsed): readonly ts.Statement[] {
  return fn.body?.statements.filter((s) => s.pos >= _PREFIX.length) ?? [];
}

function _parseDiagnostics(sf: ts.SourceFile): readonly ts.Diagnostic[] {
  // Internal, but the only way to get syntax errors without a Program.
  return (sf as unknown as { parseDiagnostics?: ts.Diagnostic[] })
    .parseDiagnostics ?? [];
}

function _isModuleSyntax(statement: ts.Statement): boolean {
  return ts.isImportDeclaration(statement) ||
    ts.isImportEqualsDeclaration(statement) ||
    ts.isExportDeclaration(statement) ||
    ts.isExportAssignment(statement) ||
    ts.isNamespaceExportDeclaration(statement) ||
    _hasModifier(statement, ts.SyntaxKind.ExportKeyword);
}

function _hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) &&
    (ts.getModifiers(node)?.some((m) => m.kind === kind) ?? false);
}

function _syntaxError(
  source: string,
  offset: number,
  problem: _Problem,
): CodeSyntaxError {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (source.charCodeAt(i) === 10) [line, lineStart] = [line + 1, i + 1];
  }
  const column = offset - lineStart + 1;
  const text = problem.message.replace(/\.$/, "");
  const message = text.charAt(0).toUpperCase() + text.slice(1) +
    ` at line ${line}, column ${column}`;
  return { ok: false, error: { code: "syntax_error", message, line, column } };
}

/** A replacement of `text[start, end)`. */
interface _Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * Edits turning a statement into a `return` when it is an expression
 * statement, looking into `if` branches and the last statement of blocks.
 * Edits come out in text order and never overlap.
 */
function _returnEdits(
  statement: ts.Statement | undefined,
  sf: ts.SourceFile,
): _Edit[] {
  if (!statement) return [];
  if (ts.isExpressionStatement(statement)) {
    const { expression } = statement;
    const text = sf.text.slice(expression.getStart(sf), expression.end);
    // `return` cannot continue the previous line, the parentheses keep a
    // multi-line expression on the `return`, and `;` ends it before the next.
    // No leading `;`: in `if (a) x` it would become the whole branch.
    const start = statement.getStart(sf);
    return [{ start, end: statement.end, text: `return (${text});` }];
  }
  if (ts.isIfStatement(statement)) {
    return [
      ..._returnEdits(statement.thenStatement, sf),
      ..._returnEdits(statement.elseStatement, sf),
    ];
  }
  if (ts.isBlock(statement)) {
    return _returnEdits(_lastRunning(statement.statements), sf);
  }
  return [];
}

/**
 * The last statement that does something where it stands: hoisted functions,
 * types and ambient declarations do not, so a `return` before them is safe.
 */
function _lastRunning(
  statements: readonly ts.Statement[],
): ts.Statement | undefined {
  return statements.findLast((s) =>
    !ts.isEmptyStatement(s) && !ts.isFunctionDeclaration(s) &&
    !ts.isInterfaceDeclaration(s) && !ts.isTypeAliasDeclaration(s) &&
    !_hasModifier(s, ts.SyntaxKind.DeclareKeyword)
  );
}

function _applyEdits(text: string, edits: readonly _Edit[]): string {
  let out = "";
  let at = 0;
  for (const edit of edits) {
    out += text.slice(at, edit.start) + edit.text;
    at = edit.end;
  }
  return out + text.slice(at);
}

function _containsTypeScript(sf: ts.SourceFile): boolean {
  const flags = (sf as unknown as { transformFlags?: unknown }).transformFlags;
  // Bit 1 is the internal TransformFlags.ContainsTypeScript. Without the
  // field, transpile always: correct, only slower.
  return typeof flags !== "number" || (flags & 1) !== 0;
}

function _stripTypes(js: string): string {
  const { outputText } = ts.transpileModule(js, {
    compilerOptions: _TRANSPILE_OPTIONS,
    fileName: "guest.ts",
    jsDocParsingMode: ts.JSDocParsingMode.ParseNone,
  });
  // The emitter ends the expression statement with `;`; we return one expression.
  return outputText.trimEnd().replace(/;$/, "");
}

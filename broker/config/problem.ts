/**
 * A problem found in an `execbox.jsonc`: where it is (an offset into the
 * text, reported as line:column), what it is, and the `config_invalid`
 * error that reports it.
 *
 * @module
 */

import type { ParseError } from "jsonc-parser";
import { ExecboxError } from "../errors.ts";

/** One problem in a configuration file, before it becomes an error. */
export interface ConfigProblem {
  /** Where the problem is, as an offset into the file's text. */
  offset: number;
  /** Where the problem sorts, when not at `offset`. */
  order?: number;
  /** What is wrong, such as `unknown key "mcpServer"`. */
  message: string;
  /** Text after the position, such as `(did you mean "mcpServers"?)`. */
  hint?: string;
}

/** A key path into a configuration: object keys and array indexes. */
export type ConfigPath = (string | number)[];

const _SYNTAX_ERRORS: Record<number, string> = {
  1: "invalid symbol",
  2: "invalid number",
  3: "expected a property name",
  4: "expected a value",
  5: "expected a colon",
  6: "expected a comma",
  7: "expected a closing brace",
  8: "expected a closing bracket",
  9: "expected the end of the file",
  10: "invalid comment",
  11: "unterminated comment",
  12: "unterminated string",
  13: "unterminated number",
  14: "invalid unicode escape",
  15: "invalid escape character",
  16: "invalid character",
};

/**
 * The problem a JSONC syntax error reports.
 *
 * @param error An error from `jsonc-parser`'s `parseTree`.
 * @returns The problem, at the error's offset.
 *
 * @example Describe a missing comma
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ParseError, parseTree } from "jsonc-parser";
 * import { syntaxProblem } from "./problem.ts";
 *
 * const errors: ParseError[] = [];
 * parseTree(`{ "a": 1 "b": 2 }`, errors);
 * assert.deepEqual(syntaxProblem(errors[0]!), {
 *   offset: 9,
 *   message: "expected a comma",
 * });
 * ```
 */
export function syntaxProblem(error: ParseError): ConfigProblem {
  return {
    offset: error.offset,
    message: _SYNTAX_ERRORS[error.error] ?? "invalid syntax",
  };
}

/**
 * The error that reports `problem`, with its line and column in `text`.
 *
 * @param file The file's path, as the user named it.
 * @param text The file's text, without a byte-order mark.
 * @param problem The problem to report.
 * @returns An {@linkcode ExecboxError} with code `config_invalid`.
 *
 * @example Report an unknown key
 * ```ts
 * import assert from "node:assert/strict";
 * import { configError } from "./problem.ts";
 *
 * const error = configError("execbox.jsonc", `{\n  "mcpServer": {}\n}`, {
 *   offset: 4,
 *   message: `unknown key "mcpServer"`,
 *   hint: `(did you mean "mcpServers"?)`,
 * });
 * assert.equal(
 *   error.message,
 *   `Cannot read config "execbox.jsonc": unknown key "mcpServer" at 2:3 (did you mean "mcpServers"?)`,
 * );
 * ```
 */
export function configError(
  file: string,
  text: string,
  problem: ConfigProblem,
): ExecboxError {
  const { line, column } = _position(text, problem.offset);
  return new ExecboxError(
    "config_invalid",
    `Cannot read config "${file}": ${problem.message} at ${line}:${column}${
      problem.hint === undefined ? "" : ` ${problem.hint}`
    }`,
  );
}

/**
 * A key path as a reader writes it: `mcpServers.github.args[0]`, with keys
 * that are not identifiers quoted in brackets.
 *
 * @param path The key path; empty for the root.
 * @returns The path's text, or `"the top level"` for the root.
 *
 * @example Name a nested key
 * ```ts
 * import assert from "node:assert/strict";
 * import { pathText } from "./problem.ts";
 *
 * assert.equal(pathText(["mcpServers", "my server", "args", 0]),
 *   `mcpServers["my server"].args[0]`);
 * assert.equal(pathText([]), "the top level");
 * ```
 */
export function pathText(path: ConfigPath): string {
  if (path.length === 0) return "the top level";
  return path.map((segment, index) => {
    if (typeof segment === "number") return `[${segment}]`;
    if (/^[A-Za-z_$][\w$-]*$/.test(segment)) {
      return index === 0 ? segment : `.${segment}`;
    }
    return `[${JSON.stringify(segment)}]`;
  }).join("");
}

function _position(
  text: string,
  offset: number,
): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const char = text[i];
    if (char === "\n" || (char === "\r" && text[i + 1] !== "\n")) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

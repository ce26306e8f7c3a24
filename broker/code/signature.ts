/**
 * Checks that a saved skill's TypeScript signature is one function type, so
 * it can stand in a declaration as it is.
 *
 * @module
 */
import ts from "typescript";
import type { PrepareResult } from "./transform.ts";

/**
 * Parses text as one TypeScript function type, such as
 * `(args: { repo: string }) => Promise<number>`, and nothing after it.
 *
 * @param text The signature.
 * @returns `{ ok: true, js }` with the signature trimmed, or a syntax error
 * whose line and column point into `text`.
 *
 * @example Check a signature
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkSignature } from "./signature.ts";
 *
 * assert.equal(checkSignature("(args: { n: number }) => Promise<number>").ok, true);
 * assert.equal(checkSignature("string").ok, false);
 * ```
 */
export function checkSignature(text: string): PrepareResult {
  const trimmed = text.trim();
  const prefix = "type _Signature = ";
  const source = `${prefix}${trimmed};`;
  let problem: { offset: number; message: string } | undefined;
  try {
    const sf = ts.createSourceFile(
      "signature.ts",
      source,
      ts.ScriptTarget.ESNext,
      false,
      ts.ScriptKind.TS,
    );
    const diagnostics = (sf as unknown as {
      parseDiagnostics?: readonly ts.Diagnostic[];
    }).parseDiagnostics ?? [];
    const statement = sf.statements[0];
    if (diagnostics.length > 0) {
      const first = diagnostics[0]!;
      problem = {
        offset: (first.start ?? prefix.length) - prefix.length,
        message: ts.flattenDiagnosticMessageText(first.messageText, "\n"),
      };
    } else if (
      sf.statements.length !== 1 || statement === undefined ||
      !ts.isTypeAliasDeclaration(statement) ||
      !ts.isFunctionTypeNode(statement.type)
    ) {
      problem = { offset: 0, message: "signature is not one function type" };
    }
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    problem = { offset: 0, message: "signature is nested too deeply to parse" };
  }
  if (problem === undefined) return { ok: true, js: trimmed };
  const before = trimmed.slice(0, Math.max(0, problem.offset));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return {
    ok: false,
    error: {
      code: "syntax_error",
      message: `${
        problem.message.charAt(0).toUpperCase() + problem.message.slice(1)
      } at line ${line}, column ${column}`,
      line,
      column,
    },
  };
}

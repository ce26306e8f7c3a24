/**
 * Hints for the model: a run that failed because the code reached for
 * something execbox does not offer (`require`, `Deno`, an import, or `fetch`
 * where no origin is allowed)
 * keeps its error text and gets a sentence saying so and pointing at the
 * tools, worded by the surface that shows it.
 *
 * @module
 */

import type { ExecuteResult } from "../result.ts";

/**
 * How the hint points at the tools when the surface says nothing else: the
 * library's and the HTTP service's callers read the declarations from
 * `types()` (`GET /v1/types`).
 */
export const DEFAULT_TOOLS_HINT = "their declarations come from types()";

/** Globals a model expects from Node.js, Deno, Bun or a browser. */
const _HOST_GLOBALS: ReadonlySet<string> = new Set([
  "fetch",
  "require",
  "module",
  "exports",
  "__dirname",
  "__filename",
  "Deno",
  "Bun",
  "process",
  "Buffer",
  "global",
  "setImmediate",
  "clearImmediate",
  "XMLHttpRequest",
  "WebSocket",
  "EventSource",
  "Worker",
  "importScripts",
  "localStorage",
  "sessionStorage",
  "caches",
  "navigator",
  "window",
  "document",
]);

const _NOT_DEFINED = /^ReferenceError: ([\w$]+) is not defined$/;
const _NOT_A_FUNCTION =
  /^TypeError: (?:globalThis|self|window)\.([\w$]+) is not a function$/;
// What Deno says when a dynamic import is refused in the sandbox.
const _IMPORT_REFUSED = [
  /^TypeError: Node\.js built-in modules are not available in execbox$/,
  /^TypeError: A remote specifier was requested: /,
  /^TypeError: npm specifiers were requested/,
  /^TypeError: JSR package manifest for /,
  /^TypeError: Import ".*" not a dependency and not in import map /,
  /^TypeError: Requires (?:read|import) access to /,
];

/**
 * The hint for a runtime error message, or `undefined` when the error is not
 * about something execbox leaves out.
 *
 * @param message The run's error message.
 * @param toolsHint How to point at the tools ({@linkcode DEFAULT_TOOLS_HINT}).
 * @returns The sentence to append, in parentheses.
 */
export function unavailableHint(
  message: string,
  toolsHint: string,
): string | undefined {
  const name = (_NOT_DEFINED.exec(message) ?? _NOT_A_FUNCTION.exec(message))
    ?.[1];
  let what: string;
  if (name === "fetch") {
    // fetch exists only where the operator allows origins (network.allow).
    what = "fetch is not enabled in this execbox";
  } else if (name !== undefined && _HOST_GLOBALS.has(name)) {
    what = `${name} is not available in execbox`;
  } else if (_IMPORT_REFUSED.some((pattern) => pattern.test(message))) {
    what = "modules cannot be imported in execbox";
  } else {
    return undefined;
  }
  return `(${what}: the code has no network, files, processes or modules ` +
    `of its own and reaches other systems only through its tools; ${toolsHint})`;
}

/**
 * Appends the hint to a failed run's message when the run ended with an
 * uncaught `runtime_error` about something execbox does not offer. Other
 * results are returned as they are.
 *
 * @param result The run's outcome; changed in place.
 * @param toolsHint How to point at the tools.
 * @returns `result`.
 */
export function addUnavailableHint(
  result: ExecuteResult,
  toolsHint: string = DEFAULT_TOOLS_HINT,
): ExecuteResult {
  if (result.ok || result.error.code !== "runtime_error") return result;
  const hint = unavailableHint(result.error.message, toolsHint);
  if (hint !== undefined) result.error.message += ` ${hint}`;
  return result;
}

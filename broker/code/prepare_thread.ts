/**
 * The code preparation thread: runs `prepareCode` (the TypeScript parse and
 * transform) off the broker's main thread, so a pathological input delays
 * only its own run, and the broker can end it at the run's deadline by
 * terminating the thread.
 *
 * @module
 */

import { parentPort } from "../host/thread.ts";
import { prepareCode, type PrepareResult } from "./transform.ts";
import type { FromPrepareThread, ToPrepareThread } from "./preparer.ts";

const _port = parentPort();

function _prepare(code: string): PrepareResult {
  try {
    return prepareCode(code);
  } catch (error) {
    // The parser recurses once per nesting level; code nested past the
    // stack's depth is unparsable, and says so.
    if (error instanceof RangeError) {
      const { line, column } = _deepest(code);
      return {
        ok: false,
        error: {
          code: "syntax_error",
          message:
            `Code is nested too deeply to parse at line ${line}, column ${column}`,
          line,
          column,
        },
      };
    }
    throw error;
  }
}

/** Where bracket nesting first reaches its deepest level (strings ignored). */
function _deepest(code: string): { line: number; column: number } {
  let depth = 0;
  let max = 0;
  let at = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    // ( [ {
    if (c === 40 || c === 91 || c === 123) {
      if (++depth > max) [max, at] = [depth, i];
    } else if (c === 41 || c === 93 || c === 125) depth--;
  }
  const before = code.slice(0, at);
  const line = before.split("\n").length;
  return { line, column: at - before.lastIndexOf("\n") };
}

_port.onMessage((data: unknown) => {
  const { id, code, finished } = data as ToPrepareThread;
  let reply: FromPrepareThread;
  const started = performance.now();
  try {
    const result = _prepare(code);
    reply = {
      t: "prepared",
      id,
      result,
      elapsedMs: performance.now() - started,
    };
  } catch (error) {
    reply = { t: "failed", id, message: String((error as Error)?.message) };
  }
  Atomics.store(new Int32Array(finished), 0, 1);
  _port.postMessage(reply);
});
// One small preparation first, so the compiler's code is compiled before a
// run's time is counted (the first parse is ~20x slower than the next).
_prepare("const warm: number = await Promise.resolve(1);\nwarm + 1");
_port.postMessage({ t: "ready" } satisfies FromPrepareThread);

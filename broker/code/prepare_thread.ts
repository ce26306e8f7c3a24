/**
 * The code preparation thread: runs `prepareCode` (the TypeScript parse and
 * transform) off the broker's main thread, so a pathological input delays
 * only its own run, and the broker can end it at the run's deadline by
 * terminating the thread.
 *
 * @module
 */

import { parentPort } from "../host/thread.ts";
import { prepareCode } from "./transform.ts";
import { checkSignature } from "./signature.ts";
import type { FromPrepareThread, ToPrepareThread } from "./preparer.ts";

const _port = parentPort();

_port.onMessage((data: unknown) => {
  const { id, code, finished, kind } = data as ToPrepareThread;
  let reply: FromPrepareThread;
  const started = performance.now();
  try {
    const result = kind === "signature"
      ? checkSignature(code)
      : prepareCode(code);
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
prepareCode("const warm: number = await Promise.resolve(1);\nwarm + 1");
_port.postMessage({ t: "ready" } satisfies FromPrepareThread);

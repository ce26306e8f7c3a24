/**
 * The Node.js twin of `thread.ts`, swapped in by the npm build: threads are
 * `node:worker_threads` Workers running the compiled `.js` module.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { parentPort as nodeParentPort, Worker } from "node:worker_threads";
import { parseProcStatus, parseStartTime, type ProcessSample } from "./proc.ts";
import type { HostThread, ParentPort } from "./host.ts";

export type { HostThread, ParentPort, ProcessSample };

/**
 * Starts a module as a thread.
 *
 * @param url The thread's module; a `.ts` name is read as the built `.js`.
 * @returns The running thread.
 */
export function startThread(url: URL): HostThread {
  const worker = new Worker(new URL(url.href.replace(/\.ts$/, ".js")));
  return {
    postMessage: (message: unknown) => worker.postMessage(message),
    onMessage(listener: (message: unknown) => void) {
      worker.on("message", listener);
    },
    onError(listener: (error: Error) => void) {
      worker.on("error", listener);
    },
    terminate: () => void worker.terminate(),
  };
}

/**
 * The parent of the calling thread.
 *
 * @returns Its port.
 * @throws {Error} When called outside a worker thread.
 */
export function parentPort(): ParentPort {
  const port = nodeParentPort;
  if (port === null) throw new Error("parentPort() called outside a thread");
  return {
    postMessage: (message: unknown) => port.postMessage(message),
    onMessage(listener: (message: unknown) => void) {
      port.on("message", listener);
    },
  };
}

/**
 * Reads a process's memory from `/proc/<pid>/status`, synchronously.
 *
 * @param pid The process.
 * @returns Its memory, or `undefined` when it is gone or `/proc` is missing.
 */
export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    return parseProcStatus(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * The start time of a process, which tells it from a later one with its pid.
 *
 * @param pid The process.
 * @returns Its start time in clock ticks, or `undefined` when unknown.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    return parseStartTime(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * Sends SIGKILL to a process; does nothing when it is gone.
 *
 * @param pid The process.
 */
export function killProcess(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

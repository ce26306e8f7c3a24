/**
 * The Node.js twin of `thread.ts`, swapped in by the npm build: threads are
 * `node:worker_threads` Workers running the compiled `.js` module.
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import { parentPort as nodeParentPort, Worker } from "node:worker_threads";
import {
  pageKibFrom,
  parseCpuMs,
  parseProcStatus,
  parseStartTime,
  parseState,
  parseStatmResidentPages,
  type ProcessSample,
} from "./proc.ts";
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
 * Reads a process's resident memory from `/proc/<pid>/statm`, synchronously:
 * one small read, for a watchdog that samples often.
 *
 * @param pid The process.
 * @returns Resident bytes (`0` for a zombie), or `undefined` when it is gone
 * or `/proc` is missing.
 */
export function residentBytes(pid: number): number | undefined {
  let pages: number | undefined;
  try {
    pages = parseStatmResidentPages(readFileSync(`/proc/${pid}/statm`, "utf8"));
  } catch {
    return undefined;
  }
  return pages === undefined ? undefined : pages * _pageKib() * 1024;
}

let _pageKibCached: number | undefined;
function _pageKib(): number {
  if (_pageKibCached === undefined) {
    const sample = parseProcStatus(readFileSync("/proc/self/status", "utf8"));
    const pages = parseStatmResidentPages(
      readFileSync("/proc/self/statm", "utf8"),
    );
    _pageKibCached = sample === undefined || pages === undefined
      ? 4
      : pageKibFrom(sample.residentBytes / 1024, pages);
  }
  return _pageKibCached;
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
 * The CPU time a process has used, every thread counted (`/proc/<pid>/stat`).
 *
 * @param pid The process.
 * @returns Milliseconds, or `undefined` when it is gone or `/proc` is missing.
 */
export function processCpuMs(pid: number): number | undefined {
  try {
    return parseCpuMs(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * Sends SIGKILL to a process; does nothing when it is gone.
 *
 * @param pid The process.
 * @throws {Error} When the process may not be signalled.
 */
export function killProcess(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch (error) {
    if ((error as { code?: string }).code !== "ESRCH") throw error;
  }
}

/**
 * Whether a process still runs: `"dead"` once it exited (a zombie not yet
 * reaped included), `"unknown"` where `/proc` does not exist.
 *
 * @param pid The process.
 * @returns Its state.
 */
export function processState(pid: number): "alive" | "dead" | "unknown" {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (error) {
    // A process that exits while its file is read answers ESRCH.
    const code = (error as { code?: string }).code;
    if (code !== "ENOENT" && code !== "ESRCH") throw error;
    return existsSync("/proc/self/stat") ? "dead" : "unknown";
  }
  return parseState(stat) === "alive" ? "alive" : "dead";
}

/**
 * Why a thread of this process cannot watch runs: never, on Node.js, which has
 * no permission model in the way.
 *
 * @returns `undefined`.
 */
export function watchProblem(): string | undefined {
  return undefined;
}

/**
 * Threads for the broker's own work that must not wait on its main thread:
 * the watchdog that enforces deadlines and memory, and guest code
 * preparation. Deno's implementation uses Web Workers; the npm build swaps in
 * `thread_node.ts`, which uses `node:worker_threads`. Both sides of a thread
 * import this file: the parent to start it, the thread to reach its parent and
 * the operating system synchronously.
 *
 * @module
 */

import type { HostThread, ParentPort } from "./host.ts";
import {
  pageKibFrom,
  parseCpuMs,
  parseProcStatus,
  parseStartTime,
  parseState,
  parseStatmResidentPages,
  type ProcessSample,
} from "./proc.ts";

export type { HostThread, ParentPort, ProcessSample };

/**
 * Starts a module as a thread with the broker's permissions.
 *
 * @param url The thread's module (a `.ts` file next to its parent's source).
 * @returns The running thread.
 */
export function startThread(url: URL): HostThread {
  const worker = new Worker(url.href, { type: "module" });
  return {
    postMessage: (message) => worker.postMessage(message),
    onMessage(listener) {
      worker.addEventListener("message", (event) => listener(event.data));
    },
    onError(listener) {
      worker.addEventListener("error", (event) => {
        event.preventDefault();
        listener(new Error(event.message));
      });
    },
    terminate: () => worker.terminate(),
  };
}

/**
 * The parent of the calling thread.
 *
 * @returns Its port.
 */
export function parentPort(): ParentPort {
  // deno-lint-ignore no-explicit-any
  const self = globalThis as any;
  return {
    postMessage: (message) => self.postMessage(message),
    onMessage(listener) {
      self.addEventListener(
        "message",
        (event: MessageEvent) => listener(event.data),
      );
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
  let status: string;
  try {
    status = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return undefined;
  }
  return parseProcStatus(status);
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
    pages = parseStatmResidentPages(
      Deno.readTextFileSync(`/proc/${pid}/statm`),
    );
  } catch {
    return undefined;
  }
  return pages === undefined ? undefined : pages * _pageKib() * 1024;
}

let _pageKibCached: number | undefined;
function _pageKib(): number {
  if (_pageKibCached === undefined) {
    const sample = parseProcStatus(Deno.readTextFileSync("/proc/self/status"));
    const pages = parseStatmResidentPages(
      Deno.readTextFileSync("/proc/self/statm"),
    );
    _pageKibCached = sample === undefined || pages === undefined
      ? 4
      : pageKibFrom(sample.residentBytes / 1024, pages);
  }
  return _pageKibCached;
}

/**
 * The start time of a process (field 22 of `/proc/<pid>/stat`), which tells
 * a process from a later one that reuses its pid.
 *
 * @param pid The process.
 * @returns Its start time in clock ticks, or `undefined` when unknown.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    return parseStartTime(Deno.readTextFileSync(`/proc/${pid}/stat`));
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
    return parseCpuMs(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return undefined;
  }
}

/**
 * Sends SIGKILL to a process; does nothing when it is gone.
 *
 * @param pid The process.
 * @throws {Error} When the broker may not signal it (not `--allow-run`).
 */
export function killProcess(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
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
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (error) {
    // A process that exits while its file is read answers ESRCH ("No such
    // process"), which Deno does not map to NotFound.
    if (
      !(error instanceof Deno.errors.NotFound) &&
      !/No such process|ESRCH/.test((error as Error).message)
    ) throw error;
    return _hasProc() ? "dead" : "unknown";
  }
  return parseState(stat) === "alive" ? "alive" : "dead";
}

/**
 * Why a thread of this process cannot watch runs, or `undefined` when it can:
 * it kills by pid, which needs unrestricted `--allow-run`, and reads `/proc`.
 *
 * @returns The problem, in a sentence.
 */
export function watchProblem(): string | undefined {
  if (Deno.permissions.querySync({ name: "run" }).state !== "granted") {
    return "it needs --allow-run without a list, to stop a run's subprocess by pid";
  }
  try {
    Deno.readTextFileSync("/proc/self/status");
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      return "it needs --allow-read for /proc, to read a run's memory";
    }
  }
  return undefined;
}

let _procExists: boolean | undefined;
function _hasProc(): boolean {
  if (_procExists === undefined) {
    try {
      Deno.statSync("/proc/self/stat");
      _procExists = true;
    } catch {
      _procExists = false;
    }
  }
  return _procExists;
}

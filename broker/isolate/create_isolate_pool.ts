/**
 * Reads the isolation options of a broker and builds the isolate-mode pool
 * when they ask for one.
 *
 * @module
 */

import type { Host } from "../host/host.ts";
import { positiveInteger } from "../limits.ts";
import type { RuntimePool } from "../subprocess/pool.ts";
import { type IsolateOptions, IsolatePool } from "./isolate_pool.ts";
import { type Isolation, ISOLATIONS } from "./isolation.ts";

/** Runs a process serves in isolate mode before it is replaced. */
export const DEFAULT_ISOLATE_MAX_RUNS = 100;
/** Seconds a process serves runs in isolate mode before it is replaced. */
export const DEFAULT_ISOLATE_MAX_AGE_SECONDS = 300;

/** What the broker passes besides its options. */
export interface IsolateContext {
  /** The operating-system seam. */
  host: Host;
  /** The warm pool new processes come from. */
  spares: RuntimePool;
  /** The broker's run slots: the default cap on owned processes. */
  maxConcurrency: number;
  /** How long a fresh Worker may take to become ready. */
  startTimeoutMs: number;
}

/**
 * Builds the isolate-mode pool, or nothing in process mode.
 *
 * @param options The broker's `isolation` and `isolate` options.
 * @param context What the pool needs from the broker.
 * @returns The pool, or `undefined` with `isolation: "process"`.
 * @throws {TypeError} On an unknown `isolation`.
 * @throws {RangeError} On an `isolate` count out of range.
 */
export function createIsolatePool(
  options: { isolation?: Isolation; isolate?: IsolateOptions },
  context: IsolateContext,
): IsolatePool | undefined {
  const isolation = options.isolation ?? "process";
  if (!ISOLATIONS.includes(isolation)) {
    throw new TypeError(
      `Invalid isolation ${
        JSON.stringify(String(isolation))
      }: expected "process" or "isolate"`,
    );
  }
  const isolate = options.isolate ?? {};
  const maxRuns = positiveInteger(
    isolate.maxRuns,
    DEFAULT_ISOLATE_MAX_RUNS,
    "isolate.maxRuns",
  );
  const maxAgeSeconds = positiveInteger(
    isolate.maxAgeSeconds,
    DEFAULT_ISOLATE_MAX_AGE_SECONDS,
    "isolate.maxAgeSeconds",
  );
  const maxProcesses = positiveInteger(
    isolate.maxProcesses,
    context.maxConcurrency,
    "isolate.maxProcesses",
  );
  if (isolation === "process") return undefined;
  return new IsolatePool({
    host: context.host,
    spares: context.spares,
    maxRuns,
    maxAgeMs: maxAgeSeconds * 1000,
    maxProcesses,
    startTimeoutMs: context.startTimeoutMs,
  });
}

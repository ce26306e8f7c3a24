/**
 * Isolate mode: runtime processes that serve many runs of one caller, one run
 * at a time, each in a fresh Worker (a fresh V8 isolate). A process belongs to
 * the first caller it serves and never serves another; it is replaced after
 * `maxRuns` runs or `maxAgeSeconds`, and killed after any run the broker
 * stopped (`timeout`, `memory_limit`, `cancelled`, `limit_exceeded`,
 * `internal_error`). Processes no caller owns yet come from the warm pool.
 *
 * @module
 */

import type { Host } from "../host/host.ts";
import type { ExecuteResult } from "../result.ts";
import type { RuntimePool } from "../subprocess/pool.ts";
import type { RuntimeProcess } from "../subprocess/runtime_process.ts";

/** Options of isolate mode (`isolation: "isolate"`). */
export interface IsolateOptions {
  /**
   * Runs one runtime process serves before it is replaced by a fresh one.
   * @default {100}
   */
  maxRuns?: number;
  /**
   * Seconds after its start when a runtime process serves no more runs and is
   * replaced by a fresh one.
   * @default {300}
   */
  maxAgeSeconds?: number;
  /**
   * Runtime processes callers may own at once, across all callers (running a
   * run, preparing their next Worker, or ready). Past it, the least recently
   * used ready one is killed.
   * @default {the broker's `maxConcurrency`}
   */
  maxProcesses?: number;
}

/** What {@linkcode IsolatePool} needs. */
export interface IsolatePoolOptions {
  /** The operating-system seam, for the memory baseline. */
  host: Host;
  /** Where processes no caller owns yet come from. */
  spares: RuntimePool;
  /** See {@linkcode IsolateOptions.maxRuns}. */
  maxRuns: number;
  /** See {@linkcode IsolateOptions.maxAgeSeconds}. */
  maxAgeMs: number;
  /** See {@linkcode IsolateOptions.maxProcesses}. */
  maxProcesses: number;
  /** How long a fresh Worker may take to become ready. */
  startTimeoutMs: number;
}

/** A process handed out for one run. */
export interface IsolateLease {
  /** The process; it serves only runs of the caller it was acquired for. */
  process: RuntimeProcess;
  /** Whether it was started for this run. */
  cold: boolean;
  /**
   * Its resident memory when the run starts (idle, with its ready Worker), in
   * bytes: the run is charged for what it adds to this.
   */
  baselineBytes: number;
}

/** Counters of the isolate-mode pool, for status reports and metrics. */
export interface IsolateStats {
  /** Runtime processes callers own now (alive: running, preparing or ready). */
  owned: number;
  /** Of those, processes with a ready Worker, waiting for their caller. */
  ready: number;
  /** Callers that own at least one process now. */
  callers: number;
  /** Processes replaced or killed since the broker was created. */
  retired: number;
}

interface _Owned {
  process: RuntimeProcess;
  caller: string;
  runs: number;
  startedAt: number;
  lastUsed: number;
  state: "busy" | "preparing" | "idle";
  /** Settles when a preparing process is ready (true) or gone (false). */
  prepared: Promise<boolean> | undefined;
}

const _BROKER_CODES: ReadonlySet<string> = new Set([
  "timeout",
  "memory_limit",
  "cancelled",
  "limit_exceeded",
  "internal_error",
]);

/** Runtime processes owned by callers, each serving many runs of its caller. */
export class IsolatePool {
  readonly #options: IsolatePoolOptions;
  readonly #owned = new Map<RuntimeProcess, _Owned>();
  readonly #pending = new Set<Promise<unknown>>();
  #closed = false;
  #recycled = 0;

  /** @param options Where processes come from and when they are replaced. */
  constructor(options: IsolatePoolOptions) {
    this.#options = options;
  }

  /** Processes callers own now, and how many were replaced or killed. */
  get stats(): IsolateStats {
    let ready = 0;
    const callers = new Set<string>();
    for (const owned of this.#owned.values()) {
      if (owned.state === "idle") ready++;
      callers.add(owned.caller);
    }
    return {
      owned: this.#owned.size,
      ready,
      callers: callers.size,
      retired: this.#recycled,
    };
  }

  /**
   * The caller of a process, while a caller owns it (for tests and status).
   *
   * @param process A process handed out by {@linkcode IsolatePool.acquire}.
   * @returns The caller, or `undefined` when no caller owns it.
   */
  callerOf(process: RuntimeProcess): string | undefined {
    return this.#owned.get(process)?.caller;
  }

  /**
   * Hands out a process for one run of `caller`: one of its own that is
   * ready (or about to be), else a process no caller owns yet.
   *
   * @param caller Who the run is for.
   * @param memoryMb The heap cap the run needs.
   * @returns The process and its memory baseline.
   * @throws {ExecboxError} When a new process cannot start.
   */
  async acquire(caller: string, memoryMb: number): Promise<IsolateLease> {
    let owned = this.#ready(caller, memoryMb);
    if (owned === undefined) {
      const preparing = [...this.#owned.values()].find((o) =>
        o.caller === caller && o.state === "preparing" &&
        o.process.memoryMb === memoryMb
      );
      if (preparing !== undefined && await preparing.prepared) {
        owned = this.#ready(caller, memoryMb);
      }
    }
    let cold = false;
    if (owned === undefined) {
      this.#evict(1);
      const spare = await this.#options.spares.acquire(memoryMb);
      cold = spare.cold;
      // The warm pool refills in the background, as it does for a run.
      this.#options.spares.replenish();
      owned = {
        process: spare.process,
        caller,
        runs: 0,
        startedAt: performance.now(),
        lastUsed: 0,
        state: "idle",
        prepared: undefined,
      };
      this.#owned.set(spare.process, owned);
    }
    owned.state = "busy";
    owned.runs++;
    const usage = await this.#options.host.memoryUsage(owned.process.pid)
      .catch(() => undefined);
    return {
      process: owned.process,
      cold,
      baselineBytes: usage?.residentBytes ?? 0,
    };
  }

  /**
   * Takes a process back after its run: killed when the broker stopped the
   * run or the process has served its runs or time, else its next Worker is
   * prepared now, in the background.
   *
   * @param process The process the run used.
   * @param result How the run ended.
   * @returns Settles when the process is ready for its caller's next run or
   * is gone; nobody needs to wait for it.
   */
  release(
    process: RuntimeProcess,
    result: ExecuteResult | undefined,
  ): Promise<void> {
    const owned = this.#owned.get(process);
    const stopped = result === undefined ||
      (!result.ok && _BROKER_CODES.has(result.error.code));
    if (
      owned === undefined || this.#closed || stopped || process.disposed ||
      owned.runs >= this.#options.maxRuns ||
      performance.now() - owned.startedAt >= this.#options.maxAgeMs
    ) {
      this.#retire(process);
      return process.exited.then(() => {});
    }
    owned.state = "preparing";
    owned.lastUsed = performance.now();
    owned.prepared = this.#track(
      process.next(this.#options.startTimeoutMs).then(() => {
        if (this.#closed || owned.state !== "preparing") return false;
        owned.state = "idle";
        // A ready process that exits, or writes anything, is gone.
        process.listen(() => this.#retire(process));
        this.#evict(0);
        return true;
      }, () => {
        this.#retire(process);
        return false;
      }),
    );
    return owned.prepared.then(() => {});
  }

  /** Kills every process callers own and waits until they have exited. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const process of [...this.#owned.keys()]) this.#retire(process);
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #ready(caller: string, memoryMb: number): _Owned | undefined {
    const now = performance.now();
    for (const owned of [...this.#owned.values()]) {
      // One that aged out while idle serves no more runs.
      if (
        owned.state === "idle" &&
        now - owned.startedAt >= this.#options.maxAgeMs
      ) {
        this.#retire(owned.process);
        continue;
      }
      if (
        owned.caller === caller && owned.state === "idle" &&
        owned.process.memoryMb === memoryMb
      ) return owned;
    }
    return undefined;
  }

  // Kills the least recently used ready processes until `room` more fit
  // under the cap.
  #evict(room: number): void {
    while (this.#owned.size + room > this.#options.maxProcesses) {
      let oldest: _Owned | undefined;
      for (const owned of this.#owned.values()) {
        if (
          owned.state === "idle" &&
          (oldest === undefined || owned.lastUsed < oldest.lastUsed)
        ) oldest = owned;
      }
      // Every process is running a run: admission bounds how many there are.
      if (oldest === undefined) return;
      this.#retire(oldest.process);
    }
  }

  #retire(process: RuntimeProcess): void {
    const owned = this.#owned.get(process);
    if (owned !== undefined) {
      owned.state = "busy";
      this.#owned.delete(process);
      this.#recycled++;
    }
    // After the current task, so the caller gets its result first.
    this.#track(
      new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() =>
        process.dispose()
      ),
    );
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    promise.finally(() => this.#pending.delete(promise)).catch(() => {});
    return promise;
  }
}

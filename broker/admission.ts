/**
 * Admission of runs: at most `maxConcurrency` at once and a bounded queue
 * behind them, shared by every surface (library, HTTP, MCP) of one broker,
 * and within both a bounded share for each caller, so that one caller
 * cannot take every slot and the whole queue.
 *
 * @module
 */

/** The sizes {@linkcode Admission} enforces. */
export interface AdmissionLimits {
  /** Runs executing at once. */
  maxConcurrency: number;
  /** Runs that may wait for a slot. */
  maxQueue: number;
  /** Runs one named caller may have executing at once. */
  maxConcurrencyPerCaller: number;
  /** Runs one named caller may have waiting. */
  maxQueuePerCaller: number;
}

/** Why {@linkcode Admission.enter} refused a run. */
export interface AdmissionRefusal {
  /**
   * `"queue"`: the broker's queue is full; `"callerQueue"`: the caller has
   * its whole share executing and waiting.
   */
  limit: "queue" | "callerQueue";
  /** What is full, with the counts and the limits. */
  message: string;
}

interface _Waiting {
  caller: string | undefined;
  admit: () => void;
}

/**
 * Counts runs in and out; a leaving run's slot goes to the first queued run
 * whose caller is under its share.
 */
export class Admission {
  readonly limits: Readonly<AdmissionLimits>;
  readonly #queue: _Waiting[] = [];
  readonly #running = new Map<string | undefined, number>();
  readonly #queued = new Map<string | undefined, number>();
  #runningTotal = 0;

  /**
   * @param limits The sizes to enforce.
   */
  constructor(limits: AdmissionLimits) {
    this.limits = limits;
  }

  /** Runs executing now. */
  get running(): number {
    return this.#runningTotal;
  }

  /** Runs waiting for a slot now. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Takes a slot, waiting in the queue if needed. A named caller waits while
   * it has `maxConcurrencyPerCaller` runs executing, even with slots free;
   * runs without a caller (a library's own) have no share, only the
   * broker's limits.
   *
   * @param signal Aborting it leaves the queue.
   * @param caller Who asks; `undefined` for no share.
   * @returns `undefined` once admitted, `"cancelled"` when the signal aborted
   * while waiting, or why the run is refused at once.
   */
  async enter(
    signal: AbortSignal,
    caller: string | undefined,
  ): Promise<AdmissionRefusal | "cancelled" | undefined> {
    if (
      this.#runningTotal < this.limits.maxConcurrency &&
      this.#underShare(caller)
    ) {
      this.#start(caller);
      return undefined;
    }
    const refusal = this.#refusal(caller);
    if (refusal !== undefined) return refusal;
    return await new Promise((resolve) => {
      const waiting: _Waiting = {
        caller,
        admit: () => {
          signal.removeEventListener("abort", onAbort);
          resolve(undefined);
        },
      };
      const onAbort = () => {
        const index = this.#queue.indexOf(waiting);
        if (index >= 0) {
          this.#queue.splice(index, 1);
          _add(this.#queued, caller, -1);
        }
        resolve("cancelled");
      };
      this.#queue.push(waiting);
      _add(this.#queued, caller, 1);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Gives a slot back, to the first queued run whose caller is under its
   * share.
   *
   * @param caller The caller the run was admitted for.
   */
  leave(caller: string | undefined): void {
    this.#runningTotal--;
    _add(this.#running, caller, -1);
    while (this.#runningTotal < this.limits.maxConcurrency) {
      const index = this.#queue.findIndex((w) => this.#underShare(w.caller));
      if (index === -1) return;
      const [next] = this.#queue.splice(index, 1);
      _add(this.#queued, next!.caller, -1);
      this.#start(next!.caller);
      next!.admit();
    }
  }

  #start(caller: string | undefined): void {
    this.#runningTotal++;
    _add(this.#running, caller, 1);
  }

  #underShare(caller: string | undefined): boolean {
    return caller === undefined ||
      (this.#running.get(caller) ?? 0) < this.limits.maxConcurrencyPerCaller;
  }

  #refusal(caller: string | undefined): AdmissionRefusal | undefined {
    const limits = this.limits;
    if (this.#queue.length >= limits.maxQueue) {
      return {
        limit: "queue",
        message:
          `Run queue is full: ${this.#runningTotal} runs executing and ${this.#queue.length} waiting (maxConcurrency ${limits.maxConcurrency}, maxQueue ${limits.maxQueue})`,
      };
    }
    const queued = this.#queued.get(caller) ?? 0;
    if (caller !== undefined && queued >= limits.maxQueuePerCaller) {
      return {
        limit: "callerQueue",
        message: `Caller ${
          JSON.stringify(caller)
        } has its whole share of runs: ${
          this.#running.get(caller) ?? 0
        } executing and ${queued} waiting (maxConcurrencyPerCaller ${limits.maxConcurrencyPerCaller}, maxQueuePerCaller ${limits.maxQueuePerCaller})`,
      };
    }
    return undefined;
  }
}

function _add(
  counts: Map<string | undefined, number>,
  key: string | undefined,
  delta: number,
): void {
  const value = (counts.get(key) ?? 0) + delta;
  if (value === 0) counts.delete(key);
  else counts.set(key, value);
}

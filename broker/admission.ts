/**
 * Admission of runs: at most `maxConcurrency` at once and a bounded queue
 * behind them, shared by every surface (library, HTTP, MCP) of one broker.
 *
 * @module
 */

/** Counts runs in and out; a leaving run hands its slot to the next in line. */
export class Admission {
  readonly maxConcurrency: number;
  readonly maxQueue: number;
  readonly #queue: (() => void)[] = [];
  #running = 0;

  /**
   * @param maxConcurrency Runs executing at once.
   * @param maxQueue Runs that may wait for a slot.
   */
  constructor(maxConcurrency: number, maxQueue: number) {
    this.maxConcurrency = maxConcurrency;
    this.maxQueue = maxQueue;
  }

  /** Runs executing now. */
  get running(): number {
    return this.#running;
  }

  /** Runs waiting for a slot now. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Takes a slot, waiting in the queue if needed.
   *
   * @param signal Aborting it leaves the queue.
   * @returns `undefined` once admitted, `"full"` when the queue is full, or
   * `"cancelled"` when the signal aborted while waiting.
   */
  async enter(signal: AbortSignal): Promise<"full" | "cancelled" | undefined> {
    if (this.#running < this.maxConcurrency) {
      this.#running++;
      return undefined;
    }
    if (this.#queue.length >= this.maxQueue) return "full";
    return await new Promise((resolve) => {
      const onAbort = () => {
        const index = this.#queue.indexOf(admit);
        if (index >= 0) this.#queue.splice(index, 1);
        resolve("cancelled");
      };
      // The leaving run hands its slot over: `#running` stays the same.
      const admit = () => {
        signal.removeEventListener("abort", onAbort);
        resolve(undefined);
      };
      this.#queue.push(admit);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Gives a slot back, to the next queued run if there is one. */
  leave(): void {
    const next = this.#queue.shift();
    if (next !== undefined) next();
    else this.#running--;
  }
}

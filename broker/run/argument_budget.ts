/**
 * The bytes of tool-call arguments one run may have in flight, so that a
 * guest cannot make the broker hold more by calling a slow tool many times.
 *
 * @module
 */

/**
 * Counts argument bytes from when a call is received until it settles. A
 * call that does not fit waits for earlier ones; the caller stops reading
 * from the subprocess meanwhile, so what waits stays in the subprocess's
 * memory, not the broker's.
 */
export class ArgumentBudget {
  readonly #max: number;
  #inFlight = 0;
  #waiting: { bytes: number; resolve: () => void }[] = [];

  /** @param maxBytes The most bytes in flight at once. */
  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  /** Whether one argument of `bytes` could ever fit. */
  fits(bytes: number): boolean {
    return bytes <= this.#max;
  }

  /**
   * Takes `bytes` from the budget.
   *
   * @returns `undefined` when they were taken at once, else a promise that
   * resolves when they were (or when the budget was closed).
   */
  take(bytes: number): Promise<void> | undefined {
    if (this.#waiting.length === 0 && this.#inFlight + bytes <= this.#max) {
      this.#inFlight += bytes;
      return undefined;
    }
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiting.push({ bytes, resolve });
    return promise;
  }

  /** Gives back bytes of a call that settled, and admits who now fits. */
  give(bytes: number): void {
    this.#inFlight -= bytes;
    while (this.#waiting.length > 0) {
      const next = this.#waiting[0]!;
      if (this.#inFlight + next.bytes > this.#max) return;
      this.#waiting.shift();
      this.#inFlight += next.bytes;
      next.resolve();
    }
  }

  /** Releases every waiter (the run is over; they check that themselves). */
  close(): void {
    for (const { resolve } of this.#waiting.splice(0)) resolve();
  }
}

/**
 * A counting gate: at most `size` holders at once, the rest wait in order.
 *
 * @module
 */

/**
 * Lets at most `size` callers in at once; the others wait in arrival order
 * until a place is free or their signal aborts.
 *
 * @example Two places
 * ```ts
 * import assert from "node:assert/strict";
 * import { Gate } from "./gate.ts";
 *
 * const gate = new Gate(2);
 * const release = await gate.enter();
 * release();
 * assert.equal(gate.inside, 0);
 * ```
 */
export class Gate {
  readonly #size: number;
  #inside = 0;
  readonly #waiting: (() => void)[] = [];

  /** @param size Holders at once, at least 1. */
  constructor(size: number) {
    this.#size = size;
  }

  /** Holders now. */
  get inside(): number {
    return this.#inside;
  }

  /**
   * Waits for a place.
   *
   * @param signal Stops the wait.
   * @returns The function that gives the place back (once).
   * @throws {unknown} The signal's reason when it aborts first.
   */
  async enter(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.#inside >= this.#size) {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal?.removeEventListener("abort", stop);
          resolve();
        };
        const stop = () => {
          const i = this.#waiting.indexOf(go);
          if (i >= 0) this.#waiting.splice(i, 1);
          reject(signal!.reason);
        };
        this.#waiting.push(go);
        signal?.addEventListener("abort", stop, { once: true });
      });
    }
    this.#inside++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inside--;
      this.#waiting.shift()?.();
    };
  }
}

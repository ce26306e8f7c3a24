/**
 * A run's log entries as MCP `notifications/progress`, batched.
 *
 * @module
 */

import type { LogEntry } from "../result.ts";

/** What {@linkcode LogProgress} sends: the `progress` and `message` fields. */
export interface LogProgressUpdate {
  /** Log entries sent so far, this batch included (grows with each batch). */
  progress: number;
  /** The batch's entries, one line each, `[level] ` before all but `log`. */
  message: string;
}

/** Default of the interval between two batches, in milliseconds. */
export const PROGRESS_INTERVAL_MS = 100;

/**
 * Gathers log entries and sends them at most once per interval, so a guest
 * that logs in a tight loop costs a client a notification per interval, not
 * one per entry. The entries themselves are bounded by the run's
 * `maxLogBytes` before they get here.
 */
export class LogProgress {
  readonly #send: (update: LogProgressUpdate) => Promise<void>;
  readonly #intervalMs: number;
  #pending: string[] = [];
  #sent = 0;
  #lastAt = -Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #chain: Promise<void> = Promise.resolve();

  /**
   * @param send Sends one batch; a rejection is ignored (the client left).
   * @param intervalMs Least time between two batches.
   */
  constructor(
    send: (update: LogProgressUpdate) => Promise<void>,
    intervalMs: number = PROGRESS_INTERVAL_MS,
  ) {
    this.#send = send;
    this.#intervalMs = intervalMs;
  }

  /** Queues one entry; it goes out with the next batch. */
  add(entry: LogEntry): void {
    this.#pending.push(
      entry.level === "log"
        ? entry.message
        : `[${entry.level}] ${entry.message}`,
    );
    if (this.#timer !== undefined) return;
    const wait = Math.max(
      0,
      this.#lastAt + this.#intervalMs - performance.now(),
    );
    this.#timer = setTimeout(() => this.#sendPending(), wait);
  }

  /**
   * Sends what is queued now and resolves once every batch is sent, so the
   * caller can answer the request after its progress.
   */
  async flush(): Promise<void> {
    this.#sendPending();
    await this.#chain;
  }

  #sendPending(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    this.#sent += this.#pending.length;
    const update = { progress: this.#sent, message: this.#pending.join("\n") };
    this.#pending = [];
    this.#lastAt = performance.now();
    this.#chain = this.#chain.then(() => this.#send(update)).catch(() => {});
  }
}

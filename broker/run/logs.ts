/**
 * The console output a run returns, cut at `maxLogBytes`.
 *
 * @module
 */

import type { LogEntry } from "../result.ts";
import { logTruncationMessage, MIN_LOG_ENTRY_BYTES } from "../limits.ts";
import type { LogLevel } from "../../runtime/protocol.ts";

/**
 * Console output of one run, with a byte cap and a visible marker where it was
 * cut. Each entry counts its UTF-8 bytes and at least
 * {@linkcode MIN_LOG_ENTRY_BYTES}, so the cap bounds the number of entries too
 * (`console.log()` with no arguments is not free).
 */
export class RunLogs {
  readonly entries: LogEntry[] = [];
  #bytes = 0;
  #truncated = false;
  readonly #max: number;
  readonly #encoder = new TextEncoder();
  readonly #onEntry: ((entry: LogEntry) => void) | undefined;

  /**
   * @param maxBytes The cap, `maxLogBytes`.
   * @param onEntry Sees each entry as it is kept (a cut entry as cut, then
   * the marker), so it sees exactly the run's logs, while the run goes.
   */
  constructor(maxBytes: number, onEntry?: (entry: LogEntry) => void) {
    this.#max = maxBytes;
    this.#onEntry = onEntry;
  }

  add(level: LogLevel, message: string): void {
    if (this.#truncated) return;
    const bytes = this.#encoder.encode(message);
    const cost = Math.max(MIN_LOG_ENTRY_BYTES, bytes.length);
    if (this.#bytes + cost <= this.#max) {
      this.#bytes += cost;
      this.#push({ level, message });
      return;
    }
    const room = this.#max - this.#bytes;
    // A cut entry still counts its minimum, so it needs that much room.
    if (room >= MIN_LOG_ENTRY_BYTES) {
      // Cut on a character boundary: drop a partial UTF-8 sequence.
      const head = new TextDecoder().decode(bytes.subarray(0, room)).replace(
        /\uFFFD$/,
        "",
      );
      this.#push({ level, message: head });
    }
    this.#truncated = true;
    this.#push({ level: "warn", message: logTruncationMessage(this.#max) });
  }

  #push(entry: LogEntry): void {
    this.entries.push(entry);
    if (this.#onEntry === undefined) return;
    try {
      // A copy: what the observer does to it never changes the result.
      this.#onEntry({ ...entry });
    } catch {
      // An observer's failure is its own; the run goes on.
    }
  }
}

/**
 * The console output a run returns, cut at `maxLogBytes`.
 *
 * @module
 */

import type { LogEntry } from "../result.ts";
import { logTruncationMessage, MIN_LOG_ENTRY_BYTES } from "../limits.ts";
import type { LogLevel } from "../../runtime/protocol.ts";
import { dropPartialValue, type RunPrivacy } from "../privacy/run_privacy.ts";

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
  readonly #privacy: RunPrivacy | undefined;
  readonly #onEntry: ((entry: LogEntry) => void) | undefined;

  /**
   * @param maxBytes The cap, `maxLogBytes`.
   * @param privacy Tokenizes each entry before it is kept.
   * @param onEntry Sees each entry as it is kept (tokenized, a cut entry as
   * cut, then the marker), so it sees exactly the run's logs, while the run
   * goes.
   */
  constructor(
    maxBytes: number,
    privacy?: RunPrivacy,
    onEntry?: (entry: LogEntry) => void,
  ) {
    this.#max = maxBytes;
    this.#privacy = privacy;
    this.#onEntry = onEntry;
  }

  /**
   * Adds an entry: tokenized first (with `privacy`), then cut to the cap.
   *
   * @throws {PrivacyLimitError} When the run's token scope is full; the entry
   * is not added.
   */
  add(level: LogLevel, message: string): void {
    if (this.#truncated) return;
    // An entry over the room left was cut by the runtime, maybe inside a
    // value: it is cut here too, even when its tokens made it short enough.
    let over = false;
    if (this.#privacy !== undefined) {
      over = this.#bytes + Math.max(
            MIN_LOG_ENTRY_BYTES,
            this.#encoder.encode(message).length,
          ) > this.#max;
      message = this.#privacy.tokenizeText(message);
    }
    const bytes = this.#encoder.encode(message);
    const cost = Math.max(MIN_LOG_ENTRY_BYTES, bytes.length);
    if (!over && this.#bytes + cost <= this.#max) {
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
      // The runtime may have cut the entry inside a value before it was
      // tokenized: its start must not be shown either.
      this.#push({
        level,
        message: this.#privacy === undefined ? head : dropPartialValue(head),
      });
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

/**
 * The console output a run returns, cut at `maxLogBytes`.
 *
 * @module
 */

import type { LogEntry } from "../result.ts";
import type { LogLevel } from "../../runtime/protocol.ts";

/** Console output of one run, with a byte cap and a visible marker where it was cut. */
export class RunLogs {
  readonly entries: LogEntry[] = [];
  #bytes = 0;
  #truncated = false;
  readonly #max: number;
  readonly #encoder = new TextEncoder();

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  add(level: LogLevel, message: string): void {
    if (this.#truncated) return;
    const bytes = this.#encoder.encode(message);
    if (this.#bytes + bytes.length <= this.#max) {
      this.#bytes += bytes.length;
      this.entries.push({ level, message });
      return;
    }
    const room = this.#max - this.#bytes;
    if (room > 0) {
      // Cut on a character boundary: drop a partial UTF-8 sequence.
      const head = new TextDecoder().decode(bytes.subarray(0, room)).replace(
        /\uFFFD$/,
        "",
      );
      this.entries.push({ level, message: head });
    }
    this.#truncated = true;
    this.entries.push({
      level: "warn",
      message: `[execbox] log output truncated: more than ${this.#max} bytes`,
    });
  }
}

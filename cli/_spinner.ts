/**
 * The status line `execbox run` shows on a terminal while a run takes longer
 * than a second: a spinner, the elapsed time and the tool calls so far.
 *
 * @module
 */

const _FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
// Carriage return and "erase line": the status line is redrawn in place.
const _CLEAR = "\r\u001b[2K";

/** Options of {@linkcode Spinner}. */
export interface SpinnerOptions {
  /** Writes to the terminal (stderr). */
  write: (text: string) => void;
  /** Milliseconds before the line first shows. @default {1000} */
  delayMs?: number;
  /** Milliseconds between two redraws. @default {100} */
  intervalMs?: number;
  /** The clock, in milliseconds. @default {performance.now} */
  now?: () => number;
}

/**
 * A status line that other output can interleave with: {@linkcode Spinner.print}
 * clears the line, prints, and lets the next tick redraw it.
 */
export class Spinner {
  readonly #write: (text: string) => void;
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #delay: ReturnType<typeof setTimeout>;
  #timer: ReturnType<typeof setInterval> | undefined;
  #shown = false;
  #frame = 0;
  #toolCalls = 0;
  #paused = 0;

  /** @param options Where to write, and when. */
  constructor(options: SpinnerOptions) {
    this.#write = options.write;
    this.#now = options.now ?? (() => performance.now());
    this.#startedAt = this.#now();
    this.#delay = setTimeout(() => {
      this.tick();
      this.#timer = setInterval(() => this.tick(), options.intervalMs ?? 100);
    }, options.delayMs ?? 1000);
  }

  /** Sets the number of tool calls shown. */
  set toolCalls(count: number) {
    this.#toolCalls = count;
  }

  /** Redraws the line (not while paused). */
  tick(): void {
    if (this.#paused > 0) return;
    const seconds = ((this.#now() - this.#startedAt) / 1000).toFixed(1);
    const calls = this.#toolCalls === 1
      ? "1 tool call"
      : `${this.#toolCalls} tool calls`;
    const frame = _FRAMES[this.#frame++ % _FRAMES.length];
    this.#write(`${_CLEAR}${frame} running ${seconds} s, ${calls}`);
    this.#shown = true;
  }

  /** Prints text (whole lines) above the status line. */
  print(text: string): void {
    this.#clear();
    this.#write(text);
  }

  /** Removes the line until {@linkcode Spinner.resume}, as for a question. */
  pause(): void {
    this.#paused++;
    this.#clear();
  }

  /** Lets the line show again at the next tick. */
  resume(): void {
    this.#paused = Math.max(0, this.#paused - 1);
  }

  /** Removes the line for good. */
  stop(): void {
    clearTimeout(this.#delay);
    clearInterval(this.#timer);
    this.#clear();
  }

  #clear(): void {
    if (!this.#shown) return;
    this.#write(_CLEAR);
    this.#shown = false;
  }
}

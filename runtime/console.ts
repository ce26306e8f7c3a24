/**
 * The guest's `console`: formats its arguments as Deno's console does (strings
 * as they are, other values through `Deno.inspect`) and hands each entry to the
 * prelude, which forwards it to the broker as a log frame.
 *
 * `createGuestConsole` is self-contained: the runtime injects its source into
 * the guest Worker with `Function.prototype.toString`, and it captures the
 * intrinsics it uses when the prelude calls it, before any guest code runs.
 *
 * @module
 */

import type { LogLevel } from "./protocol.ts";

/** The console methods guest code gets. */
export interface GuestConsole {
  /** Logs at level `log`. */
  log(...args: unknown[]): void;
  /** Logs at level `info`. */
  info(...args: unknown[]): void;
  /** Logs at level `debug`. */
  debug(...args: unknown[]): void;
  /** Logs at level `warn`. */
  warn(...args: unknown[]): void;
  /** Logs at level `error`. */
  error(...args: unknown[]): void;
  /** Logs at level `debug` (no stack trace: it would show the prelude). */
  trace(...args: unknown[]): void;
  /** Logs one value. */
  dir(value: unknown): void;
  /** Logs one value (no table layout). */
  table(value: unknown): void;
  /** Logs an error entry when `condition` is falsy. */
  assert(condition: unknown, ...args: unknown[]): void;
  /** Logs how often it was called with `label`. */
  count(label?: string): void;
  /** Resets a `count` label. */
  countReset(label?: string): void;
  /** Starts a timer. */
  time(label?: string): void;
  /** Logs a timer's elapsed time. */
  timeLog(label?: string, ...args: unknown[]): void;
  /** Logs a timer's elapsed time and removes it. */
  timeEnd(label?: string): void;
  /** Logs its arguments and indents what follows. */
  group(...args: unknown[]): void;
  /** Same as `group`. */
  groupCollapsed(...args: unknown[]): void;
  /** Ends the last group. */
  groupEnd(): void;
}

/**
 * Creates the guest's console.
 *
 * @param emit Receives each entry, formatted.
 * @param inspect Formats a value that is not a string.
 * @returns The console, frozen.
 */
export function createGuestConsole(
  emit: (level: LogLevel, message: string) => void,
  inspect: (value: unknown) => string,
): GuestConsole {
  const apply = Reflect.apply;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const mapDelete = Map.prototype.delete;
  const now = performance.now.bind(performance);
  const counts = new Map<string, number>();
  const timers = new Map<string, number>();
  let indent = "";

  // Index loops and captured methods: guest code may replace Array.prototype.
  function format(args: unknown[]): string {
    let message = indent;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      const text = typeof arg === "string" ? arg : inspect(arg);
      message += i === 0 ? text : ` ${text}`;
    }
    return message;
  }
  const at = (level: LogLevel) => (...args: unknown[]): void =>
    emit(level, format(args));

  const guestConsole: GuestConsole = {
    log: at("log"),
    info: at("info"),
    debug: at("debug"),
    warn: at("warn"),
    error: at("error"),
    trace: at("debug"),
    dir: (value) => at("log")(value),
    table: (value) => at("log")(value),
    assert: (condition, ...args) => {
      if (!condition) at("error")("Assertion failed", ...args);
    },
    count: (label = "default") => {
      const n = (apply(mapGet, counts, [label]) ?? 0) + 1;
      apply(mapSet, counts, [label, n]);
      at("log")(`${label}: ${n}`);
    },
    countReset: (label = "default") => {
      apply(mapDelete, counts, [label]);
    },
    time: (label = "default") => {
      apply(mapSet, timers, [label, now()]);
    },
    timeLog: (label = "default", ...args) => {
      const start = apply(mapGet, timers, [label]);
      if (start !== undefined) {
        at("log")(`${label}: ${now() - start}ms`, ...args);
      }
    },
    timeEnd: (label = "default") => {
      guestConsole.timeLog(label);
      apply(mapDelete, timers, [label]);
    },
    group: (...args) => {
      if (args.length > 0) at("log")(...args);
      indent += "  ";
    },
    groupCollapsed: (...args) => guestConsole.group(...args),
    groupEnd: () => {
      indent = indent.slice(2);
    },
  };
  return Object.freeze(guestConsole);
}

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
  const slice = String.prototype.slice;
  const StringCtor = String;
  const now = performance.now.bind(performance);
  const counts = new Map<unknown, number>();
  const timers = new Map<unknown, number>();
  let indent = "";

  // Index loops, captured methods, no spread: guest code may replace
  // Array.prototype[Symbol.iterator], String.prototype.slice and the rest.
  // `head` comes before the arguments (a label, "Assertion failed").
  function format(head: string | undefined, args: unknown[]): string {
    let message = indent;
    let first = true;
    if (head !== undefined) {
      message += head;
      first = false;
    }
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      let text = typeof arg === "string" ? arg : inspect(arg);
      if (typeof text !== "string") text = "[value that could not be shown]";
      message += first ? text : ` ${text}`;
      first = false;
    }
    return message;
  }
  const at = (level: LogLevel) => (...args: unknown[]): void =>
    emit(level, format(undefined, args));
  // A label becomes a string once, so a guest's toString runs once.
  const labelOf = (label: unknown): string =>
    label === undefined ? "default" : StringCtor(label);

  const guestConsole: GuestConsole = {
    log: at("log"),
    info: at("info"),
    debug: at("debug"),
    warn: at("warn"),
    error: at("error"),
    trace: at("debug"),
    dir: (value) => emit("log", format(undefined, [value])),
    table: (value) => emit("log", format(undefined, [value])),
    assert: (condition, ...args) => {
      if (!condition) emit("error", format("Assertion failed", args));
    },
    count: (label) => {
      const name = labelOf(label);
      const n = (apply(mapGet, counts, [name]) ?? 0) + 1;
      apply(mapSet, counts, [name, n]);
      emit("log", format(`${name}: ${n}`, []));
    },
    countReset: (label) => {
      apply(mapDelete, counts, [labelOf(label)]);
    },
    time: (label) => {
      apply(mapSet, timers, [labelOf(label), now()]);
    },
    timeLog: (label, ...args) => {
      const name = labelOf(label);
      const start = apply(mapGet, timers, [name]);
      if (start !== undefined) {
        emit("log", format(`${name}: ${now() - start}ms`, args));
      }
    },
    timeEnd: (label) => {
      const name = labelOf(label);
      guestConsole.timeLog(name);
      apply(mapDelete, timers, [name]);
    },
    group: (...args) => {
      if (args.length > 0) emit("log", format(undefined, args));
      indent += "  ";
    },
    groupCollapsed: (...args) => {
      if (args.length > 0) emit("log", format(undefined, args));
      indent += "  ";
    },
    groupEnd: () => {
      indent = apply(slice, indent, [2]);
    },
  };
  return Object.freeze(guestConsole);
}

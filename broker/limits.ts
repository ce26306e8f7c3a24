/**
 * Per-run limits, their defaults and their validation.
 *
 * @module
 */

/** Limits the broker enforces on every run. */
export interface Limits {
  /**
   * Wall-clock time of the run in milliseconds: preparing the code (parse and
   * transform) and executing it, host tool time included; not the wait in the
   * queue or for a subprocess to start. While a call waits for an approver
   * the wall clock pauses and the subprocess's CPU time counts instead.
   * Enforced from the broker's watchdog thread, so a busy broker cannot
   * delay it.
   * @default {5000}
   */
  timeoutMs: number;
  /**
   * Memory for the guest, in MiB: the V8 heap cap, and (plus the runtime's own
   * baseline, {@linkcode RUNTIME_BASELINE_MB}) the cap on the subprocess's
   * resident memory.
   * @default {128}
   */
  memoryMb: number;
  /**
   * Bytes of console output kept; the rest is dropped with a marker. Each
   * entry counts its UTF-8 bytes, and at least
   * {@linkcode MIN_LOG_ENTRY_BYTES}, so the limit also bounds the number of
   * entries.
   * @default {65536}
   */
  maxLogBytes: number;
  /**
   * Bytes of the result's JSON text (UTF-8); a larger one fails the run.
   * @default {1048576}
   */
  maxResultBytes: number;
  /**
   * Host calls one run may start, failed ones included.
   * @default {1000}
   */
  maxToolCalls: number;
  /**
   * Bytes of the submitted code (UTF-8); larger code fails with
   * `limit_exceeded` (`limit: "codeBytes"`) before it takes a run slot.
   * @default {262144}
   */
  maxCodeBytes: number;
  /**
   * UTF-8 bytes of tool-call arguments a run may have in flight (received
   * and not yet settled). A call that would pass it waits, unread, until
   * earlier ones settle; one argument larger than this fails at once with a
   * catchable `tool_error`.
   * @default {16777216}
   */
  maxInFlightArgBytes: number;
  /**
   * Bytes of one tool call's result as JSON text (UTF-8), checked in the
   * broker before it reaches the guest. A larger result fails the run with
   * `limit_exceeded` (`limit: "maxToolResultBytes"`).
   * @default {16777216}
   */
  maxToolResultBytes: number;
  /**
   * Bytes of tool results (JSON text, UTF-8) one run may receive in total. A
   * result that would pass it fails the run with `limit_exceeded`
   * (`limit: "maxRunToolResultBytes"`).
   * @default {268435456}
   */
  maxRunToolResultBytes: number;
}

/** The limits used where neither the broker nor the run sets one. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  timeoutMs: 5000,
  memoryMb: 128,
  maxLogBytes: 65_536,
  maxResultBytes: 1_048_576,
  maxToolCalls: 1000,
  maxCodeBytes: 262_144,
  maxInFlightArgBytes: 16_777_216,
  maxToolResultBytes: 16_777_216,
  maxRunToolResultBytes: 268_435_456,
});

/**
 * The fewest bytes one console entry counts against
 * {@linkcode Limits.maxLogBytes}, so that empty entries are bounded too.
 */
export const MIN_LOG_ENTRY_BYTES = 16;

const _UTF8 = new TextEncoder();

/**
 * The bytes one console entry counts against {@linkcode Limits.maxLogBytes}:
 * its message's UTF-8 bytes, and at least {@linkcode MIN_LOG_ENTRY_BYTES}.
 *
 * @param message The entry's message.
 * @returns The bytes it counts.
 *
 * @example An empty entry still counts
 * ```ts
 * import assert from "node:assert/strict";
 * import { logEntryBytes } from "./limits.ts";
 *
 * assert.equal(logEntryBytes(""), 16);
 * assert.equal(logEntryBytes("€".repeat(10)), 30);
 * ```
 */
export function logEntryBytes(message: string): number {
  return Math.max(MIN_LOG_ENTRY_BYTES, _UTF8.encode(message).length);
}

/**
 * The message of the entry that marks where console output was cut.
 *
 * @param maxLogBytes The limit that was reached.
 * @returns The marker's text.
 */
export function logTruncationMessage(maxLogBytes: number): string {
  return `[execbox] log output truncated: more than ${maxLogBytes} bytes`;
}

/**
 * Resident memory the runtime needs before guest code allocates anything (a
 * Deno process with two isolates measured ~50 MiB); the resident-memory cap
 * of a run is `memoryMb` plus this.
 */
export const RUNTIME_BASELINE_MB = 64;

const _MINIMUMS: Readonly<Limits> = {
  timeoutMs: 1,
  memoryMb: 16,
  maxLogBytes: 0,
  maxResultBytes: 16,
  maxToolCalls: 0,
  maxCodeBytes: 1,
  maxInFlightArgBytes: 1024,
  maxToolResultBytes: 16,
  maxRunToolResultBytes: 16,
};

/**
 * Merges limits over a base and checks every value.
 *
 * @param base Complete limits to start from.
 * @param overrides Values to replace.
 * @param label Where the overrides came from, for error messages.
 * @returns The merged limits.
 * @throws {TypeError} On an unknown key.
 * @throws {RangeError} On a value that is not a whole number within range.
 */
export function mergeLimits(
  base: Readonly<Limits>,
  overrides: Partial<Limits> | undefined,
  label: string,
): Limits {
  const merged: Limits = { ...base };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (!Object.hasOwn(_MINIMUMS, key)) {
      throw new TypeError(`Unknown limit "${key}" in ${label}`);
    }
    if (value === undefined) continue;
    const min = _MINIMUMS[key as keyof Limits];
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(
        `Limit "${key}" in ${label} must be a whole number of at least ${min}, got ${
          String(value)
        }`,
      );
    }
    merged[key as keyof Limits] = value;
  }
  return merged;
}

/**
 * Checks a count option: `undefined` gives the fallback, anything else must be
 * a safe whole number of at least `min`.
 *
 * @param value The option's value.
 * @param fallback The default.
 * @param name The option's name, for the error.
 * @param min The smallest value allowed.
 * @returns The value, or the fallback.
 * @throws {RangeError} When the value is not a whole number of at least `min`.
 */
export function positiveInteger(
  value: number | undefined,
  fallback: number,
  name: string,
  min = 1,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `${name} must be a whole number of at least ${min}, got ${String(value)}`,
    );
  }
  return value;
}

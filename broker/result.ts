/**
 * What `Broker.execute` returns.
 *
 * @module
 */

import type { ErrorCode } from "./errors.ts";
import type { LogLevel } from "../runtime/protocol.ts";

export type { LogLevel };

/** One console entry of a run. */
export interface LogEntry {
  /** The console method used (`console.warn` is `"warn"`). */
  level: LogLevel;
  /** The formatted message. */
  message: string;
}

/** Why a run failed. */
export interface ExecuteError {
  /** One of the documented codes. */
  code: ErrorCode;
  /** What happened, safe to show to the model that wrote the code. */
  message: string;
  /** For `syntax_error`: 1-based line in the submitted text. */
  line?: number;
  /** For `syntax_error`: 1-based column in the submitted text. */
  column?: number;
  /**
   * For `limit_exceeded`: which limit (`"queue"` when the broker's run queue
   * was full, `"callerQueue"` when the caller had its whole share of runs
   * executing and waiting, `"sessions"` when the caller has
   * `sessions.maxPerCaller` live sessions, else the limit's name:
   * `"maxResultBytes"`, `"maxToolCalls"`, `"codeBytes"`,
   * `"toolArgumentBytes"`, `"maxToolResultBytes"`,
   * `"maxRunToolResultBytes"`, `"sessionBytes"`).
   */
  limit?: string;
}

/** Measurements of one run. */
export interface RunStats {
  /** Wall-clock time of the whole `execute` call, in milliseconds. */
  durationMs: number;
  /** Host calls the run started, failed ones included. */
  toolCalls: number;
  /** Whether a subprocess was started for this run (no warm one was used). */
  coldStart: boolean;
  /**
   * The subprocess's resident-memory high-water mark at its last reading, in
   * bytes; 0 when the run ended before the first reading (every 5 to 20 ms).
   */
  peakMemoryBytes: number;
}

/** A run that finished: its result (JSON), logs and stats. */
export interface ExecuteSuccess {
  /** The run succeeded. */
  ok: true;
  /** The value returned, as JSON; absent when the code returned `undefined`. */
  result?: unknown;
  /** Console output, in order. */
  logs: LogEntry[];
  /** Measurements. */
  stats: RunStats;
}

/** A run that failed. */
export interface ExecuteFailure {
  /** The run failed. */
  ok: false;
  /** Why. */
  error: ExecuteError;
  /** Console output up to the failure. */
  logs: LogEntry[];
  /** Measurements. */
  stats: RunStats;
}

/** The outcome of `Broker.execute`; guest failures are results, never exceptions. */
export type ExecuteResult = ExecuteSuccess | ExecuteFailure;

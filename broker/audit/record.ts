/**
 * The audit trail: one record per run, whatever its outcome.
 *
 * @module
 */

import type { ErrorCode } from "../errors.ts";
import type { ExecuteResult } from "../result.ts";
import { sha256Hex } from "../sha256.ts";

/** One host or MCP call of a run (tools, resources, prompts, state). */
export interface AuditCall {
  /** The guest path, such as `"github.create_issue"` or `"state.set"`. */
  tool: string;
  /** Milliseconds from the start of the run to the call. */
  atMs: number;
  /** How long it took, in milliseconds. */
  durationMs: number;
  /** `"ok"`, or how it failed. */
  outcome: "ok" | "tool_error" | "validation_error" | "denied" | "cancelled";
  /** SHA-256 (hex) of the argument's JSON text. */
  argsSha256: string;
  /** The argument itself, only with `includeArgs`. */
  args?: unknown;
}

/** What happened in one run. */
export interface AuditRecord {
  /** A random id (UUID). */
  runId: string;
  /** When `execute` was called (ISO 8601). */
  time: string;
  /** Who asked: a token name on HTTP, or `"library"`. */
  caller: string;
  /** The session, when the run had one. */
  session?: string;
  /** SHA-256 (hex) of the code as submitted. */
  codeSha256: string;
  /** The code, only with `includeCode`. */
  code?: string;
  /** `"ok"` or the error code. */
  outcome: "ok" | ErrorCode;
  /** Wall-clock time of the run, in milliseconds. */
  durationMs: number;
  /** The subprocess's resident-memory high-water mark, in bytes (0 if never read). */
  peakMemoryBytes: number;
  /** Every call the run made, in the order they started. */
  calls: AuditCall[];
}

/** Receives one record per run; called after the caller has its result, and never awaited. */
export type AuditHook = (record: AuditRecord) => void;

/** What {@linkcode deliverAuditRecord} makes a record of. */
export interface FinishedRun {
  /** The code as the caller gave it. */
  code: string;
  /** When `execute` was called. */
  time: Date;
  /** The calls, entered as they started. */
  calls: AuditCall[];
  /** The outcome. */
  result: ExecuteResult;
  /** Who ran it. */
  caller: string;
  /** The session, if any. */
  session: string | undefined;
  /** Keep the code itself in the record. */
  includeCode: boolean;
}

/**
 * Builds a run's record and hands it to the hook. Never blocks or fails the
 * run: it is called after the result is settled, and whatever the hook throws
 * or returns is ignored.
 *
 * @param hook The broker's `onRun`.
 * @param run The finished run.
 */
export function deliverAuditRecord(hook: AuditHook, run: FinishedRun): void {
  const { result } = run;
  const record: AuditRecord = {
    runId: crypto.randomUUID(),
    time: run.time.toISOString(),
    caller: run.caller,
    codeSha256: sha256Hex(run.code),
    outcome: result.ok ? "ok" : result.error.code,
    durationMs: result.stats.durationMs,
    peakMemoryBytes: result.stats.peakMemoryBytes,
    calls: run.calls,
  };
  if (run.session !== undefined) record.session = run.session;
  if (run.includeCode) record.code = run.code;
  try {
    const returned: unknown = hook(record);
    if (returned instanceof Promise) returned.catch(() => {});
  } catch {
    // an audit sink's failure is not the run's
  }
}

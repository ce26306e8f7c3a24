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
  /**
   * The saved skill the call was made in (`skills.<name>`), as the sandbox
   * reports it: audit-only, never used to allow or deny a call.
   */
  skill?: string;
  /**
   * The argument itself, only with `includeArgs`, and only when its JSON text
   * is at most {@linkcode MAX_AUDIT_ARG_BYTES} (else see `truncated`).
   */
  args?: unknown;
  /** UTF-8 bytes of the argument's JSON text, when `truncated`. */
  argsBytes?: number;
  /**
   * `true` when `includeArgs` was on but the argument was left out for its
   * size; `argsSha256` and `argsBytes` still identify it.
   */
  truncated?: true;
  /**
   * For a tool that needs approval: the request's id and how the wait ended.
   * The rest of the request is this record's: `runId`, `caller`, `session`,
   * `codeSha256`, `tool`, and the argument (`argsSha256`, or `args` with
   * `includeArgs`).
   */
  approval?: AuditApproval;
  /**
   * For the guest's `fetch` (`tool: "fetch"`): each hop the broker checked,
   * the request first, then each redirect it followed. Never the headers the
   * broker added.
   */
  fetch?: AuditFetchHop[];
}

/** How one wait for an approver ended, as the audit record keeps it. */
export interface AuditApproval {
  /** The approval request's id. */
  id: string;
  /**
   * `"approved"`, `"denied"` by the approver (or for want of one),
   * `"timeout"` after `approvalTimeoutMs`, or `"cancelled"` when the run
   * ended first.
   */
  outcome: "approved" | "denied" | "timeout" | "cancelled";
  /** Why it was not approved. */
  reason?: string;
  /** Milliseconds the call waited. */
  waitedMs: number;
}

/** One hop of a guest's `fetch` in {@linkcode AuditCall.fetch}. */
export interface AuditFetchHop {
  /** The method. */
  method: string;
  /** The origin (`https://api.example.com`). */
  origin: string;
  /** The path, without the query. */
  path: string;
  /** The status the server answered; absent when refused or failed. */
  status?: number;
  /** Bytes of the body handed to the guest, on the last hop that has one. */
  bytes?: number;
  /** Why the broker refused this hop. */
  refused?: string;
}

/**
 * The most UTF-8 bytes of one call's argument (its JSON text) an audit record
 * keeps with `includeArgs`; a larger argument is replaced by its byte count
 * and `truncated: true` next to its SHA-256, so a run cannot push its own
 * record out of a bounded audit log by padding its calls.
 */
export const MAX_AUDIT_ARG_BYTES = 16_384;

/**
 * Puts a call's argument into its audit entry, or, over
 * {@linkcode MAX_AUDIT_ARG_BYTES}, its size and `truncated: true`.
 *
 * @param entry The call's entry.
 * @param args The argument.
 * @param bytes UTF-8 bytes of its JSON text.
 */
export function keepAuditArgs(
  entry: AuditCall,
  args: unknown,
  bytes: number,
): void {
  if (bytes <= MAX_AUDIT_ARG_BYTES) {
    entry.args = args;
  } else {
    entry.argsBytes = bytes;
    entry.truncated = true;
  }
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
  /**
   * `true` when the code and the calls' arguments were left out so that the
   * record fits the audit log's queue (see {@linkcode compactAuditRecord}).
   */
  truncated?: true;
}

/**
 * The record without its code and its calls' arguments (their hashes stay,
 * each call that had its argument gets `argsBytes` and `truncated: true`),
 * marked `truncated: true`: what an audit log writes rather than drop a
 * record that does not fit.
 *
 * @param record A record.
 * @returns The smaller copy, or `undefined` when there is nothing to leave out.
 */
export function compactAuditRecord(
  record: AuditRecord,
): AuditRecord | undefined {
  if (record.code === undefined && record.calls.every((c) => !("args" in c))) {
    return undefined;
  }
  const { code: _, ...rest } = record;
  return {
    ...rest,
    calls: record.calls.map((call) => {
      if (!("args" in call)) return call;
      const { args, ...kept } = call;
      const text = JSON.stringify(args) ?? "";
      return { ...kept, argsBytes: _UTF8.encode(text).length, truncated: true };
    }),
    truncated: true,
  };
}

const _UTF8 = new TextEncoder();

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
  /**
   * The run's id, when it already has one (approval requests name it).
   * @default {a new random UUID}
   */
  runId?: string;
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
    runId: run.runId ?? crypto.randomUUID(),
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

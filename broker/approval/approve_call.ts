/**
 * The approval step of one tool call: build the request, pause the run's
 * clock, ask, and record the outcome.
 *
 * @module
 */

import type { AuditApproval } from "../audit/record.ts";
import type { ApprovalHandler } from "./approval.ts";
import { askApproval } from "./ask_approval.ts";
import { presentArguments } from "./present_arguments.ts";

/** Default of `approvalTimeoutMs`: five minutes. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 300_000;

/** What a run knows for its approval requests. */
export interface RunApproval {
  /** Who decides; without one, every call that needs approval is denied. */
  handler: ApprovalHandler | undefined;
  /** How long one call may wait, in milliseconds. */
  timeoutMs: number;
  /** The run's id (its audit record's `runId`). */
  runId: string;
  /** The run's caller. */
  caller: string;
  /** The run's session, if any. */
  session: string | undefined;
  /** SHA-256 (hex) of the run's code. */
  codeSha256: string;
  /** Values an approver never sees. */
  secrets: readonly string[];
}

/** What {@linkcode approveCall} needs besides the run's approval settings. */
export interface ApproveCallOptions {
  /** The guest path of the tool, such as `"github.delete_repo"`. */
  tool: string;
  /** The argument the guest passed. */
  args: unknown;
  /** Aborted when the run ends. */
  signal: AbortSignal;
  /** Pauses the run's wall clock; the returned function resumes it. */
  pause: () => () => void;
  /** Receives the audit entry at once, and sees it filled in when decided. */
  record?: (approval: AuditApproval) => void;
}

/**
 * Asks for approval of one call while the run's wall clock is paused.
 *
 * @param run The run's approval settings.
 * @param call The call, the run's signal and clock.
 * @returns How the wait ended; the call may run only when `outcome` is
 * `"approved"`, else `reason` says why not.
 */
export async function approveCall(
  run: RunApproval,
  call: ApproveCallOptions,
): Promise<AuditApproval> {
  const started = performance.now();
  const audit: AuditApproval = {
    id: crypto.randomUUID(),
    outcome: "cancelled",
    reason: "the run ended",
    waitedMs: 0,
  };
  call.record?.(audit);
  const resume = call.pause();
  try {
    const outcome = await askApproval(run.handler, {
      id: audit.id,
      runId: run.runId,
      caller: run.caller,
      ...(run.session === undefined ? {} : { session: run.session }),
      tool: call.tool,
      arguments: presentArguments(call.args, { secrets: run.secrets }),
      codeSha256: run.codeSha256,
      time: new Date().toISOString(),
    }, { timeoutMs: run.timeoutMs, signal: call.signal });
    audit.outcome = outcome.outcome;
    if (outcome.reason === undefined) delete audit.reason;
    else audit.reason = outcome.reason;
    return audit;
  } finally {
    resume();
    audit.waitedMs = Math.round(performance.now() - started);
  }
}

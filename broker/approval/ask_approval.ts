/**
 * Asks an approver about one call and bounds the wait.
 *
 * @module
 */

import type { AuditApproval } from "../audit/record.ts";
import type { ApprovalHandler, ApprovalRequest } from "./approval.ts";

/** The longest reason kept from an approver, in characters. */
export const MAX_REASON_CHARS = 1000;

/** What {@linkcode askApproval} needs besides the request. */
export interface AskApprovalOptions {
  /** How long to wait before the call is denied, in milliseconds. */
  timeoutMs: number;
  /** Aborted when the run ends: the wait ends `cancelled`. */
  signal: AbortSignal;
}

/** How the wait ended, without its duration. */
export type ApprovalOutcome = Omit<AuditApproval, "id" | "waitedMs">;

/**
 * Waits for the approver's decision, at most `timeoutMs`, and never throws:
 * an approver that throws, or answers anything but `{ approved: true }`,
 * denies the call; no approver denies it at once.
 *
 * @param handler The approver, if any.
 * @param request The call.
 * @param options The time limit and the run's signal.
 * @returns The outcome.
 */
export async function askApproval(
  handler: ApprovalHandler | undefined,
  request: ApprovalRequest,
  options: AskApprovalOptions,
): Promise<ApprovalOutcome> {
  if (handler === undefined) {
    return { outcome: "denied", reason: "no approver is configured" };
  }
  if (options.signal.aborted) {
    return { outcome: "cancelled", reason: "the run ended" };
  }
  const ended = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<ApprovalOutcome>((resolve) => {
    timer = setTimeout(() =>
      resolve({
        outcome: "timeout",
        reason: `no decision within ${options.timeoutMs} ms`,
      }), options.timeoutMs);
    onAbort = () => resolve({ outcome: "cancelled", reason: "the run ended" });
    options.signal.addEventListener("abort", onAbort, { once: true });
  });
  const asked = (async (): Promise<ApprovalOutcome> => {
    try {
      const decision = await handler(request, { signal: ended.signal });
      if (decision?.approved === true) return { outcome: "approved" };
      const reason = typeof decision?.reason === "string" &&
          decision.reason !== ""
        ? decision.reason.slice(0, MAX_REASON_CHARS)
        : "denied by the approver";
      return { outcome: "denied", reason };
    } catch (error) {
      return {
        outcome: "denied",
        reason: `the approver failed: ${
          String((error as Error)?.message ?? error).slice(0, MAX_REASON_CHARS)
        }`,
      };
    }
  })();
  try {
    return await Promise.race([asked, stop]);
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener("abort", onAbort!);
    ended.abort();
  }
}

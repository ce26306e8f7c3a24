/**
 * What an approver sees and answers: the request for one tool call that
 * needs approval, the decision, and the hook that makes it.
 *
 * @module
 */

/** One tool call waiting for an approver. */
export interface ApprovalRequest {
  /** A random id (UUID) of this request; the HTTP service decides by it. */
  id: string;
  /** The run's id, the same as its audit record's `runId`. */
  runId: string;
  /** Who started the run: a token name on HTTP, `"mcp"` on stdio, or `"library"`. */
  caller: string;
  /** The run's session, when it has one. */
  session?: string;
  /** The guest path of the tool, such as `"github.delete_repo"`. */
  tool: string;
  /**
   * The call's argument as an approver may see it: secrets redacted (see
   * {@linkcode presentArguments}), never more than the model itself may see.
   */
  arguments: unknown;
  /** SHA-256 (hex) of the run's code as submitted. */
  codeSha256: string;
  /** When the call began to wait (ISO 8601). */
  time: string;
}

/** An approver's answer. */
export type ApprovalDecision =
  | { approved: true }
  | { approved: false; reason: string };

/** What an approver is given besides the request. */
export interface ApprovalContext {
  /**
   * Aborted when the answer is no longer wanted: the run ended or was
   * cancelled, or `approvalTimeoutMs` passed (the call is then denied).
   */
  signal: AbortSignal;
}

/**
 * Decides whether a tool call that needs approval may run. It may take
 * minutes (up to `approvalTimeoutMs`); throwing denies the call.
 */
export type ApprovalHandler = (
  request: ApprovalRequest,
  context: ApprovalContext,
) => ApprovalDecision | Promise<ApprovalDecision>;

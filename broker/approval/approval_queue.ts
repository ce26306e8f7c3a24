/**
 * Pending approvals that someone else decides later, by id: what the HTTP
 * service lists at `GET /v1/approvals` and decides at
 * `POST /v1/approvals/{id}`.
 *
 * @module
 */

import type {
  ApprovalDecision,
  ApprovalHandler,
  ApprovalRequest,
} from "./approval.ts";

/** What {@linkcode ApprovalQueue.decide} did. */
export type QueueDecision = "decided" | "not_found" | "self_approval";

/** Options of {@linkcode ApprovalQueue.decide}. */
export interface DecideOptions {
  /** Who decides (a token name); compared with the run's caller. */
  by: string;
  /**
   * Whether a caller may decide the calls of its own runs.
   * @default {false}
   */
  selfApproval?: boolean;
}

/**
 * Approvals waiting for a decision made elsewhere. Pass
 * {@linkcode ApprovalQueue.handler} as a run's `onApproval`; each call that
 * needs approval waits in the queue until {@linkcode ApprovalQueue.decide},
 * its run's end, or `approvalTimeoutMs`.
 *
 * @example Approve a waiting call
 * ```ts
 * import assert from "node:assert/strict";
 * import { ApprovalQueue } from "./approval_queue.ts";
 *
 * const queue = new ApprovalQueue();
 * const decision = queue.handler({
 *   id: "a1", runId: "r1", caller: "agent", tool: "github.delete_repo",
 *   arguments: { repo: "x" }, codeSha256: "00", time: new Date().toISOString(),
 * }, { signal: new AbortController().signal });
 * assert.equal(queue.list().length, 1);
 * assert.equal(queue.decide("a1", { approved: true }, { by: "ops" }), "decided");
 * assert.deepEqual(await decision, { approved: true });
 * ```
 */
export class ApprovalQueue {
  readonly #pending = new Map<
    string,
    { request: ApprovalRequest; resolve: (d: ApprovalDecision) => void }
  >();

  /** The approver to give a run: it waits in this queue. */
  readonly handler: ApprovalHandler = (request, { signal }) =>
    new Promise<ApprovalDecision>((resolve) => {
      const done = (decision: ApprovalDecision) => {
        this.#pending.delete(request.id);
        signal.removeEventListener("abort", ended);
        resolve(decision);
      };
      // The run ended or the wait timed out: the answer is no longer wanted.
      const ended = () =>
        done({ approved: false, reason: "no longer waiting" });
      if (signal.aborted) return ended();
      signal.addEventListener("abort", ended, { once: true });
      this.#pending.set(request.id, { request, resolve: done });
    });

  /** Number of calls waiting. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * The calls waiting, oldest first.
   *
   * @returns Their requests.
   */
  list(): ApprovalRequest[] {
    return [...this.#pending.values()].map((p) => p.request);
  }

  /**
   * Decides a waiting call.
   *
   * @param id The request's id.
   * @param decision Approve, or deny with a reason.
   * @param options Who decides, and whether a caller may decide its own runs' calls.
   * @returns `"decided"`, `"not_found"` when no call waits with that id, or
   * `"self_approval"` when `by` is the run's caller and `selfApproval` is off.
   */
  decide(
    id: string,
    decision: ApprovalDecision,
    options: DecideOptions,
  ): QueueDecision {
    const pending = this.#pending.get(id);
    if (pending === undefined) return "not_found";
    if (options.by === pending.request.caller && !options.selfApproval) {
      return "self_approval";
    }
    pending.resolve(decision);
    return "decided";
  }
}

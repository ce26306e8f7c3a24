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
import type { KeyValueStore } from "../store/key_value_store.ts";

/** Options of {@linkcode ApprovalQueue}. */
export interface ApprovalQueueOptions {
  /**
   * A store replicas share: each pending request is published there, so any
   * replica lists it and decides it (`decideAnywhere`), and the replica that
   * holds the run picks the decision up by polling.
   * @default {none: this process's requests only}
   */
  store?: KeyValueStore;
  /**
   * How often a pending request looks for a decision in the store, in
   * milliseconds.
   * @default {250}
   */
  pollMs?: number;
}

// A published request outlives no approval timeout worth having.
const _PUBLISHED_TTL_MS = 24 * 3_600_000;
const _DECISION_TTL_MS = 10 * 60_000;

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

  readonly #store: KeyValueStore | undefined;
  readonly #pollMs: number;

  /**
   * Creates an empty queue.
   *
   * @param options A shared store, and how often to poll it.
   */
  constructor(options: ApprovalQueueOptions = {}) {
    this.#store = options.store;
    this.#pollMs = options.pollMs ?? 250;
  }

  /** The approver to give a run: it waits in this queue. */
  readonly handler: ApprovalHandler = (request, { signal }) =>
    new Promise<ApprovalDecision>((resolve) => {
      let poll: ReturnType<typeof setInterval> | undefined;
      const done = (decision: ApprovalDecision) => {
        if (!this.#pending.has(request.id)) return;
        this.#pending.delete(request.id);
        signal.removeEventListener("abort", ended);
        if (poll !== undefined) clearInterval(poll);
        this.#unpublish(request.id);
        resolve(decision);
      };
      // The run ended or the wait timed out: the answer is no longer wanted.
      const ended = () =>
        done({ approved: false, reason: "no longer waiting" });
      if (signal.aborted) return ended();
      signal.addEventListener("abort", ended, { once: true });
      this.#pending.set(request.id, { request, resolve: done });
      const store = this.#store;
      if (store !== undefined) {
        // Failing to publish leaves the request decidable here only.
        store.set(_requestKey(request.id), JSON.stringify(request), {
          ttlMs: _PUBLISHED_TTL_MS,
        }).catch(() => {});
        poll = setInterval(() => {
          store.get(_decisionKey(request.id)).then((text) => {
            const decision = _parseDecision(text);
            if (decision !== undefined) done(decision);
          }, () => {});
        }, this.#pollMs);
      }
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

  /**
   * Every pending request of every replica sharing the store (this
   * process's alone without one).
   *
   * @returns The requests, this process's first.
   * @throws {ExecboxError} Code `internal_error` when the store fails.
   */
  async listAnywhere(): Promise<ApprovalRequest[]> {
    const out = this.list();
    if (this.#store === undefined) return out;
    const seen = new Set(out.map((r) => r.id));
    for (const key of await this.#store.list(_requestKey(""))) {
      const request = _parseRequest(await this.#store.get(key));
      if (request !== undefined && !seen.has(request.id)) out.push(request);
    }
    return out;
  }

  /**
   * Decides a pending request held here or, through the shared store, by
   * another replica: the first decision written wins, and the replica that
   * holds the run applies it at its next poll.
   *
   * @param id The request's id.
   * @param decision Approve, or deny with a reason.
   * @param options Who decides, and whether they may decide their own.
   * @returns What happened.
   * @throws {ExecboxError} Code `internal_error` when the store fails.
   */
  async decideAnywhere(
    id: string,
    decision: ApprovalDecision,
    options: DecideOptions,
  ): Promise<QueueDecision> {
    const here = this.decide(id, decision, options);
    if (here !== "not_found" || this.#store === undefined) return here;
    const request = _parseRequest(await this.#store.get(_requestKey(id)));
    if (request === undefined || request.id !== id) return "not_found";
    if (options.by === request.caller && !options.selfApproval) {
      return "self_approval";
    }
    const written = await this.#store.compareAndSet(
      _decisionKey(id),
      undefined,
      JSON.stringify(decision),
      { ttlMs: _DECISION_TTL_MS },
    );
    return written ? "decided" : "not_found";
  }

  #unpublish(id: string): void {
    const store = this.#store;
    if (store === undefined) return;
    // The decision stays until it expires, so a later decision of the same
    // call still finds it taken.
    store.delete(_requestKey(id)).catch(() => false);
  }
}

function _requestKey(id: string): string {
  return `approval:request:${id}`;
}

function _decisionKey(id: string): string {
  return `approval:decision:${id}`;
}

function _parseRequest(text: string | undefined): ApprovalRequest | undefined {
  if (text === undefined) return undefined;
  try {
    const request = JSON.parse(text) as ApprovalRequest;
    return typeof request?.id === "string" &&
        typeof request.caller === "string"
      ? request
      : undefined;
  } catch {
    return undefined;
  }
}

function _parseDecision(
  text: string | undefined,
): ApprovalDecision | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as ApprovalDecision;
    if (value?.approved === true) return { approved: true };
    if (value?.approved === false && typeof value.reason === "string") {
      return { approved: false, reason: value.reason };
    }
  } catch {
    // Not a decision.
  }
  return undefined;
}

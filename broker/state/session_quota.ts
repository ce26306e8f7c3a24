/**
 * How many live sessions each caller may have, so that one caller (an HTTP
 * token, an MCP client) cannot fill the store with sessions.
 *
 * @module
 */

import { ExecboxError } from "../errors.ts";

/** Options of {@linkcode SessionQuota}. */
export interface SessionQuotaOptions {
  /** Live sessions one caller may have. */
  maxPerCaller: number;
  /** How long a session stays live after the last run that used it, in milliseconds. */
  ttlMs: number;
  /**
   * The clock, in milliseconds since the epoch; tests pass their own to move
   * time without waiting.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

// Callers whose sessions all expired are forgotten by a scan, at most this
// often, started by a run (no timers to clean up).
const _SWEEP_INTERVAL_MS = 60_000;

/**
 * Counts each caller's live sessions: a session is live from the start of a
 * run that uses it until `ttlMs` after the start of the last one, as its
 * state is kept. It counts whether or not the session holds state, whatever
 * the store.
 *
 * @example Refuse a third session
 * ```ts
 * import assert from "node:assert/strict";
 * import { SessionQuota } from "./session_quota.ts";
 *
 * const quota = new SessionQuota({ maxPerCaller: 2, ttlMs: 60_000 });
 * quota.enter("alice", "a");
 * quota.enter("alice", "b");
 * quota.enter("alice", "a"); // a live session may always be used again
 * quota.enter("bob", "c");
 * assert.throws(() => quota.enter("alice", "c"), /already has 2 live sessions/);
 * ```
 */
export class SessionQuota {
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  // Expiry of each live session, by caller.
  readonly #callers: Map<string, Map<string, number>> = new Map();
  #lastSweep = -Infinity;

  /** @param options The cap, the sessions' lifetime and the clock. */
  constructor(options: SessionQuotaOptions) {
    this.#max = options.maxPerCaller;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Marks a session live for a run that starts now.
   *
   * @param caller Who runs.
   * @param session The session the run uses.
   * @throws {ExecboxError} Code `limit_exceeded` when the session is not live
   * and the caller already has `maxPerCaller` live sessions.
   */
  enter(caller: string, session: string): void {
    const now = this.#now();
    this.#sweep(now);
    let sessions = this.#callers.get(caller);
    if (sessions === undefined) {
      sessions = new Map();
      this.#callers.set(caller, sessions);
    }
    if (!sessions.has(session) && sessions.size >= this.#max) {
      for (const [id, expiresAt] of sessions) {
        if (now >= expiresAt) sessions.delete(id);
      }
      if (sessions.size >= this.#max) {
        throw new ExecboxError(
          "limit_exceeded",
          `Cannot start session ${JSON.stringify(session)}: caller ${
            JSON.stringify(caller)
          } already has ${sessions.size} live sessions, the limit of sessions.maxPerCaller`,
        );
      }
    }
    sessions.set(session, now + this.#ttlMs);
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < _SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    for (const [caller, sessions] of this.#callers) {
      for (const [id, expiresAt] of sessions) {
        if (now >= expiresAt) sessions.delete(id);
      }
      if (sessions.size === 0) this.#callers.delete(caller);
    }
  }
}

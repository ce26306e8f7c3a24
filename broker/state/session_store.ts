/**
 * Session state that a caller asks for explicitly (`execute(code, { session })`),
 * kept by the broker between runs: the store interface, and the default store
 * in memory. Runs stay isolated; only what the guest writes through `state`
 * survives, as JSON.
 *
 * @module
 */

import { ExecboxError } from "../errors.ts";

/** Limits a store applies to every write. */
export interface SessionLimits {
  /** Largest size of a session: UTF-8 bytes of its entries as one JSON object. */
  maxBytes: number;
  /** How long a session lives after its last use, in milliseconds. */
  ttlMs: number;
}

/**
 * Where sessions live. Implementations apply each operation at once (nothing
 * is rolled back when the run later fails), let the last write win between
 * concurrent runs, and treat an expired session as absent.
 */
export interface SessionStore {
  /** The value of `key`, or `undefined`. */
  get(session: string, key: string): Promise<unknown>;
  /**
   * Stores a JSON value (already checked to be JSON) and refreshes the expiry.
   *
   * @throws {ExecboxError} Code `limit_exceeded` when the session would grow
   * past `limits.maxBytes`; the session is left unchanged.
   */
  set(
    session: string,
    key: string,
    value: unknown,
    limits: SessionLimits,
  ): Promise<void>;
  /** Removes `key`; resolves to whether it existed. */
  delete(session: string, key: string): Promise<boolean>;
  /** The keys of a session, in insertion order. */
  keys(session: string): Promise<string[]>;
  /** Refreshes a session's expiry (a run started with it). */
  touch(session: string, ttlMs: number): Promise<void>;
  /** Releases resources; the store is not used afterwards. */
  close?(): Promise<void>;
}

/**
 * The entries of a session after setting `key` to `value`, measured as
 * {@linkcode SessionLimits.maxBytes} describes; the stores share it so they
 * measure and fail alike. `entries` is not modified, and an existing key keeps
 * its place in the order.
 *
 * @param entries The session's current entries.
 * @param key The key to set.
 * @param value A JSON value, already copied by the caller.
 * @param maxBytes The largest size the session may reach, in UTF-8 bytes.
 * @returns New entries that hold the change.
 * @throws {ExecboxError} Code `limit_exceeded` when the result would be larger
 * than `maxBytes`.
 *
 * @example Grow a session within its limit
 * ```ts
 * import assert from "node:assert/strict";
 * import { withSessionEntry } from "./session_store.ts";
 *
 * const entries = withSessionEntry(new Map(), "a", 1, 7); // {"a":1}
 * assert.deepEqual([...entries], [["a", 1]]);
 * assert.throws(() => withSessionEntry(entries, "b", 2, 12)); // {"a":1,"b":2}
 * ```
 */
export function withSessionEntry(
  entries: ReadonlyMap<string, unknown>,
  key: string,
  value: unknown,
  maxBytes: number,
): Map<string, unknown> {
  const next = new Map(entries).set(key, value);
  // Object.fromEntries defines `__proto__` as an own key, so it is counted.
  const bytes = _UTF8.encode(JSON.stringify(Object.fromEntries(next))).length;
  if (bytes > maxBytes) {
    throw new ExecboxError(
      "limit_exceeded",
      `Session state would be ${bytes} bytes, more than the limit of ${maxBytes}`,
    );
  }
  return next;
}

const _UTF8 = new TextEncoder();

// Expired sessions nobody asks for again are removed by a scan of the whole
// store, at most this often, started by a write (no timers to clean up).
const _SWEEP_INTERVAL_MS = 60_000;

/** Options for {@linkcode MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /**
   * The clock, in milliseconds since the epoch; tests pass their own to move
   * time without waiting.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

interface _MemorySession {
  entries: Map<string, unknown>;
  expiresAt: number;
}

/**
 * The default {@linkcode SessionStore}: sessions in this process's memory,
 * lost when it exits. Values are copied in and out, so neither the caller nor
 * the guest shares an object with the store. A session whose last key is
 * deleted is removed.
 *
 * @example Keep state between two runs
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemorySessionStore } from "./session_store.ts";
 *
 * const store = new MemorySessionStore();
 * const limits = { maxBytes: 1024, ttlMs: 60_000 };
 * await store.set("chat-1", "cursor", { page: 2 }, limits);
 * assert.deepEqual(await store.get("chat-1", "cursor"), { page: 2 });
 * assert.deepEqual(await store.keys("chat-2"), []);
 * ```
 */
export class MemorySessionStore implements SessionStore {
  readonly #sessions: Map<string, _MemorySession> = new Map();
  readonly #now: () => number;
  #lastSweep = -Infinity;

  /**
   * Creates an empty store.
   *
   * @param options The clock.
   */
  constructor(options: MemorySessionStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /**
   * The value of `key`, or `undefined`.
   *
   * @param session The session id.
   * @param key The key to read.
   * @returns A copy of the value.
   */
  get(session: string, key: string): Promise<unknown> {
    const entries = this.#live(session, this.#now())?.entries;
    return Promise.resolve(
      entries?.has(key) ? structuredClone(entries.get(key)) : undefined,
    );
  }

  /**
   * Stores a copy of a JSON value and refreshes the session's expiry.
   *
   * @param session The session id.
   * @param key The key to set.
   * @param value A JSON value.
   * @param limits The size cap and the time to live.
   * @returns Once stored.
   * @throws {ExecboxError} Code `limit_exceeded` when the session would grow
   * past `limits.maxBytes`; the session is left unchanged.
   */
  set(
    session: string,
    key: string,
    value: unknown,
    limits: SessionLimits,
  ): Promise<void> {
    try {
      const now = this.#now();
      this.#sweep(now);
      const entries = withSessionEntry(
        this.#live(session, now)?.entries ?? new Map(),
        key,
        structuredClone(value),
        limits.maxBytes,
      );
      this.#sessions.set(session, { entries, expiresAt: now + limits.ttlMs });
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Removes `key`.
   *
   * @param session The session id.
   * @param key The key to remove.
   * @returns Whether it existed.
   */
  delete(session: string, key: string): Promise<boolean> {
    const live = this.#live(session, this.#now());
    const existed = live?.entries.delete(key) ?? false;
    if (live?.entries.size === 0) this.#sessions.delete(session);
    return Promise.resolve(existed);
  }

  /**
   * The keys of a session.
   *
   * @param session The session id.
   * @returns The keys in insertion order; none for an absent session.
   */
  keys(session: string): Promise<string[]> {
    const entries = this.#live(session, this.#now())?.entries;
    return Promise.resolve(entries ? [...entries.keys()] : []);
  }

  /**
   * Refreshes a session's expiry; an absent session stays absent.
   *
   * @param session The session id.
   * @param ttlMs How long the session lives from now, in milliseconds.
   * @returns Once refreshed.
   */
  touch(session: string, ttlMs: number): Promise<void> {
    const now = this.#now();
    this.#sweep(now);
    const live = this.#live(session, now);
    if (live) live.expiresAt = now + ttlMs;
    return Promise.resolve();
  }

  /**
   * Drops every session.
   *
   * @returns Once dropped.
   */
  close(): Promise<void> {
    this.#sessions.clear();
    return Promise.resolve();
  }

  #live(session: string, now: number): _MemorySession | undefined {
    const found = this.#sessions.get(session);
    if (found && now >= found.expiresAt) {
      this.#sessions.delete(session);
      return undefined;
    }
    return found;
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < _SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    for (const [session, { expiresAt }] of this.#sessions) {
      if (now >= expiresAt) this.#sessions.delete(session);
    }
  }
}

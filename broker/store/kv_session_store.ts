/**
 * {@linkcode KvSessionStore}: sessions on the key-value seam, so several
 * replicas sharing one store see the same sessions.
 *
 * @module
 */

import {
  type SessionLimits,
  type SessionStore,
  withSessionEntry,
} from "../state/session_store.ts";
import { type KeyValueStore, updateKey } from "./key_value_store.ts";

/**
 * A {@linkcode SessionStore} that keeps each session as one key
 * (`session:<id>`, its entries as JSON in insertion order) with the session's
 * expiry. Every write is a compare-and-set of the whole session, measured
 * against `maxBytes` before it is written, so two replicas writing one
 * session at once never make it larger than the cap, and the last write of a
 * key wins.
 *
 * @example Sessions in a key-value store
 * ```ts
 * import assert from "node:assert/strict";
 * import { KvSessionStore } from "./kv_session_store.ts";
 * import { MemoryKeyValueStore } from "./memory_key_value_store.ts";
 *
 * const sessions = new KvSessionStore(new MemoryKeyValueStore());
 * await sessions.set("s", "a", 1, { maxBytes: 100, ttlMs: 60_000 });
 * assert.deepEqual(await sessions.keys("s"), ["a"]);
 * ```
 */
export class KvSessionStore implements SessionStore {
  readonly #store: KeyValueStore;

  /**
   * Keeps sessions in `store`.
   *
   * @param store The key-value store (not closed by this one).
   */
  constructor(store: KeyValueStore) {
    this.#store = store;
  }

  /**
   * The value of `key`.
   *
   * @param session The session id.
   * @param key The key.
   * @returns The value, or `undefined`.
   */
  async get(session: string, key: string): Promise<unknown> {
    const entries = await this.#entries(session);
    return entries.get(key);
  }

  /**
   * Stores a JSON value and refreshes the session's expiry, atomically.
   *
   * @param session The session id.
   * @param key The key.
   * @param value A JSON value.
   * @param limits The size cap and the time to live.
   * @returns Once stored.
   * @throws {ExecboxError} Code `limit_exceeded` when the session would grow
   * past `limits.maxBytes`; the session is left unchanged.
   */
  async set(
    session: string,
    key: string,
    value: unknown,
    limits: SessionLimits,
  ): Promise<void> {
    // A copy through JSON: the stored form is what the next reader gets.
    const copy = JSON.parse(JSON.stringify(value) ?? "null");
    await updateKey(
      this.#store,
      _key(session),
      (current) =>
        _encode(
          withSessionEntry(_decode(current), key, copy, limits.maxBytes),
        ),
      { ttlMs: limits.ttlMs },
    );
  }

  /**
   * Removes `key`; the session goes with its last key.
   *
   * @param session The session id.
   * @param key The key.
   * @returns Whether it existed.
   */
  async delete(session: string, key: string): Promise<boolean> {
    let existed = false;
    await updateKey(this.#store, _key(session), (current) => {
      const entries = _decode(current);
      existed = entries.delete(key);
      if (!existed) return current;
      return entries.size === 0 ? undefined : _encode(entries);
    }, { keepTtl: true });
    return existed;
  }

  /**
   * The keys of a session.
   *
   * @param session The session id.
   * @returns The keys in insertion order.
   */
  async keys(session: string): Promise<string[]> {
    return [...(await this.#entries(session)).keys()];
  }

  /**
   * Refreshes a session's expiry; an absent session stays absent.
   *
   * @param session The session id.
   * @param ttlMs How long it lives from now.
   * @returns Once refreshed.
   */
  async touch(session: string, ttlMs: number): Promise<void> {
    await updateKey(this.#store, _key(session), (current) => current, {
      ttlMs,
    });
  }

  async #entries(session: string): Promise<Map<string, unknown>> {
    return _decode(await this.#store.get(_key(session)));
  }
}

function _key(session: string): string {
  return `session:${session}`;
}

function _encode(entries: ReadonlyMap<string, unknown>): string {
  return JSON.stringify([...entries]);
}

// A damaged value reads as an empty session, as a missing one does.
function _decode(text: string | undefined): Map<string, unknown> {
  if (text === undefined) return new Map();
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) {
      return new Map(
        parsed.filter((e): e is [string, unknown] =>
          Array.isArray(e) && typeof e[0] === "string"
        ),
      );
    }
  } catch {
    // Fall through.
  }
  return new Map();
}

/**
 * The one storage seam for what execbox keeps between runs: a small
 * key-value interface that memory, a directory of files and Redis implement,
 * and the compare-and-set loop that stores build atomic updates on.
 *
 * @module
 */

import { ExecboxError } from "../errors.ts";

/** Options of {@linkcode KeyValueStore.set} and {@linkcode KeyValueStore.compareAndSet}. */
export interface KeyValueSetOptions {
  /**
   * How long the value lives, in milliseconds; without it, until deleted.
   * @default {no expiry}
   */
  ttlMs?: number;
  /**
   * Keep the expiry the key has now (`ttlMs` is then ignored); used by
   * {@linkcode KeyValueStore.compareAndSet} to change a value, not its life.
   * @default {false}
   */
  keepTtl?: boolean;
}

/** How a store is doing, for `/readyz` and `/metrics`. */
export interface KeyValueStoreStatus {
  /** Its kind: `"memory"`, `"file"`, `"redis"`. */
  name: string;
  /** Whether it answers now. */
  up: boolean;
}

/**
 * Where execbox keeps state between runs and between replicas. Keys and values
 * are strings; an expired key is absent. Every operation either applies at
 * once or fails; a failure is an {@linkcode ExecboxError} with code
 * `internal_error` that names the store.
 */
export interface KeyValueStore {
  /** The value of `key`, or `undefined`. */
  get(key: string): Promise<string | undefined>;
  /** Sets `key` (last write wins), with an optional expiry. */
  set(key: string, value: string, options?: KeyValueSetOptions): Promise<void>;
  /** Removes `key`; resolves to whether it existed. */
  delete(key: string): Promise<boolean>;
  /** The live keys that start with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /**
   * Sets `key` to `next` (or removes it when `next` is `undefined`) only when
   * its value is `expected` (`undefined`: absent), atomically for every
   * process sharing the store.
   *
   * @returns Whether it was set.
   */
  compareAndSet(
    key: string,
    expected: string | undefined,
    next: string | undefined,
    options?: KeyValueSetOptions,
  ): Promise<boolean>;
  /** Connects, or checks the store answers; throws when it does not. */
  connect?(): Promise<void>;
  /** How the store is doing now. */
  status(): KeyValueStoreStatus;
  /** Releases connections; the store is not used afterwards. */
  close?(): Promise<void>;
}

// Enough for many replicas racing on one key; a store that loses this often
// is broken rather than busy.
const _MAX_ATTEMPTS = 100;

/**
 * Updates `key` atomically: reads it, computes the next value and writes it
 * with {@linkcode KeyValueStore.compareAndSet}, again while another writer got
 * there first. `update` may throw to leave the key unchanged.
 *
 * @param store The store.
 * @param key The key.
 * @param update The next value from the current one; `undefined` removes it.
 * @param options The expiry of the written value.
 * @returns The value written.
 * @throws {ExecboxError} Code `internal_error` when writers keep racing.
 *
 * @example Count atomically
 * ```ts
 * import assert from "node:assert/strict";
 * import { updateKey } from "./key_value_store.ts";
 * import { MemoryKeyValueStore } from "./memory_key_value_store.ts";
 *
 * const store = new MemoryKeyValueStore();
 * const bump = () => updateKey(store, "n", (n) => String(Number(n ?? 0) + 1));
 * await Promise.all([bump(), bump(), bump()]);
 * assert.equal(await store.get("n"), "3");
 * ```
 */
export async function updateKey(
  store: KeyValueStore,
  key: string,
  update: (current: string | undefined) => string | undefined,
  options: KeyValueSetOptions = {},
): Promise<string | undefined> {
  for (let attempt = 0; attempt < _MAX_ATTEMPTS; attempt++) {
    const current = await store.get(key);
    const next = update(current);
    if (await store.compareAndSet(key, current, next, options)) return next;
  }
  throw new ExecboxError(
    "internal_error",
    `Store update of "${key}" lost ${_MAX_ATTEMPTS} races in a row`,
  );
}

/**
 * The error a store throws when it cannot answer: `internal_error`, naming
 * the store but not its address or credentials (guest code may see it).
 *
 * @param name The store's kind.
 * @param cause What failed.
 * @returns The error.
 */
export function storeUnavailable(name: string, cause: unknown): ExecboxError {
  return new ExecboxError(
    "internal_error",
    `Store "${name}" is unavailable`,
    { cause },
  );
}

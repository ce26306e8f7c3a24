/**
 * {@linkcode MemoryKeyValueStore}: the key-value seam in this process's memory.
 *
 * @module
 */

import type {
  KeyValueSetOptions,
  KeyValueStore,
  KeyValueStoreStatus,
} from "./key_value_store.ts";

/** Options for {@linkcode MemoryKeyValueStore}. */
export interface MemoryKeyValueStoreOptions {
  /**
   * The clock, in milliseconds since the epoch; tests pass their own.
   * @default {Date.now}
   */
  now?: () => number;
}

/**
 * A {@linkcode KeyValueStore} in memory, lost when the process exits; for one
 * process only. Each operation runs to completion before another starts, so
 * compare-and-set is atomic.
 *
 * @example Set and read a key
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryKeyValueStore } from "./memory_key_value_store.ts";
 *
 * const store = new MemoryKeyValueStore();
 * await store.set("a", "1");
 * assert.equal(await store.get("a"), "1");
 * ```
 */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly #values = new Map<string, { value: string; expiresAt: number }>();
  readonly #now: () => number;

  /**
   * Creates an empty store.
   *
   * @param options The clock.
   */
  constructor(options: MemoryKeyValueStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /**
   * The value of `key`.
   *
   * @param key The key.
   * @returns The value, or `undefined`.
   */
  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.#live(key));
  }

  /**
   * Sets `key`.
   *
   * @param key The key.
   * @param value The value.
   * @param options The expiry.
   * @returns Once set.
   */
  set(
    key: string,
    value: string,
    options: KeyValueSetOptions = {},
  ): Promise<void> {
    this.#put(key, value, options);
    return Promise.resolve();
  }

  /**
   * Removes `key`.
   *
   * @param key The key.
   * @returns Whether it existed.
   */
  delete(key: string): Promise<boolean> {
    const existed = this.#live(key) !== undefined;
    this.#values.delete(key);
    return Promise.resolve(existed);
  }

  /**
   * The live keys starting with `prefix`.
   *
   * @param prefix The prefix.
   * @returns The keys, sorted.
   */
  list(prefix: string): Promise<string[]> {
    const keys = [...this.#values.keys()].filter((key) =>
      key.startsWith(prefix) && this.#live(key) !== undefined
    );
    return Promise.resolve(keys.sort());
  }

  /**
   * Sets or removes `key` when its value is `expected`.
   *
   * @param key The key.
   * @param expected The value it must have; `undefined`: absent.
   * @param next The new value; `undefined` removes it.
   * @param options The expiry.
   * @returns Whether it was changed.
   */
  compareAndSet(
    key: string,
    expected: string | undefined,
    next: string | undefined,
    options: KeyValueSetOptions = {},
  ): Promise<boolean> {
    if (this.#live(key) !== expected) return Promise.resolve(false);
    if (next === undefined) this.#values.delete(key);
    else this.#put(key, next, options);
    return Promise.resolve(true);
  }

  /**
   * Always up.
   *
   * @returns `{ name: "memory", up: true }`.
   */
  status(): KeyValueStoreStatus {
    return { name: "memory", up: true };
  }

  /**
   * Drops every key.
   *
   * @returns Once dropped.
   */
  close(): Promise<void> {
    this.#values.clear();
    return Promise.resolve();
  }

  #put(key: string, value: string, options: KeyValueSetOptions): void {
    const expiresAt = options.keepTtl
      ? this.#values.get(key)?.expiresAt ?? Infinity
      : options.ttlMs === undefined
      ? Infinity
      : this.#now() + options.ttlMs;
    this.#values.set(key, { value, expiresAt });
  }

  #live(key: string): string | undefined {
    const found = this.#values.get(key);
    if (found === undefined) return undefined;
    if (this.#now() >= found.expiresAt) {
      this.#values.delete(key);
      return undefined;
    }
    return found.value;
  }
}

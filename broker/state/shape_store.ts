/**
 * Where learned result shapes live between broker restarts: the store
 * interface, and the default store in memory. A shape holds type names and
 * key names, never a value a tool returned.
 *
 * @module
 */

/**
 * Where the broker keeps the result shapes it learns, by key (the server or
 * provider, the tool, and a hash of the tool's input schema and
 * description). Values are plain JSON; the broker checks what `get` returns
 * before it uses it, so a damaged store costs a learned type, nothing more.
 */
export interface ShapeStore {
  /** The value stored under `key`, or `undefined`. */
  get(key: string): Promise<unknown>;
  /** Stores a JSON value under `key`, replacing the one before. */
  set(key: string, value: unknown): Promise<void>;
  /** Waits for pending writes and releases resources; the store is not used afterwards. */
  close?(): Promise<void>;
}

/**
 * Shapes in memory: the default, lost when the process ends.
 *
 * @example Store a shape
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryShapeStore } from "./shape_store.ts";
 *
 * const store = new MemoryShapeStore();
 * await store.set("k", { string: true });
 * assert.deepEqual(await store.get("k"), { string: true });
 * ```
 */
export class MemoryShapeStore implements ShapeStore {
  readonly #values = new Map<string, unknown>();

  /**
   * The value stored under `key`.
   *
   * @param key The key.
   * @returns A copy of the value, or `undefined`.
   */
  get(key: string): Promise<unknown> {
    return Promise.resolve(structuredClone(this.#values.get(key)));
  }

  /**
   * Stores a copy of a JSON value.
   *
   * @param key The key.
   * @param value The value.
   * @returns Once stored.
   */
  set(key: string, value: unknown): Promise<void> {
    this.#values.set(key, structuredClone(value));
    return Promise.resolve();
  }
}

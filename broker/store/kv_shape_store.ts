/**
 * {@linkcode KvShapeStore}: learned result shapes on the key-value seam.
 *
 * @module
 */

import type { ShapeStore } from "../state/shape_store.ts";
import type { KeyValueStore } from "./key_value_store.ts";

/**
 * A {@linkcode ShapeStore} that keeps each shape as one key (`shape:<key>`,
 * JSON), so replicas sharing the store start from what any of them learned.
 * The last write wins; the broker merges what it reads before it writes.
 *
 * @example Shapes in a key-value store
 * ```ts
 * import assert from "node:assert/strict";
 * import { KvShapeStore } from "./kv_shape_store.ts";
 * import { MemoryKeyValueStore } from "./memory_key_value_store.ts";
 *
 * const shapes = new KvShapeStore(new MemoryKeyValueStore());
 * await shapes.set("k", { string: true });
 * assert.deepEqual(await shapes.get("k"), { string: true });
 * ```
 */
export class KvShapeStore implements ShapeStore {
  readonly #store: KeyValueStore;

  /**
   * Keeps shapes in `store`.
   *
   * @param store The key-value store (not closed by this one).
   */
  constructor(store: KeyValueStore) {
    this.#store = store;
  }

  /**
   * The shape stored under `key`.
   *
   * @param key The key.
   * @returns The parsed value, or `undefined` (also for damaged JSON).
   */
  async get(key: string): Promise<unknown> {
    const text = await this.#store.get(`shape:${key}`);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  /**
   * Stores a shape.
   *
   * @param key The key.
   * @param value A JSON value.
   * @returns Once stored.
   */
  async set(key: string, value: unknown): Promise<void> {
    await this.#store.set(`shape:${key}`, JSON.stringify(value));
  }
}

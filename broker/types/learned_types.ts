/**
 * Return types learned from real results: for a tool without an output
 * schema, the broker records the shape of each result it hands the guest,
 * merges the shapes per tool, keeps them in a {@linkcode ShapeStore}, and
 * shows the merged type in the declarations.
 *
 * @module
 */

import { sha256Hex } from "../sha256.ts";
import { MIN_SECRET_LENGTH } from "../redact.ts";
import type { ProviderTool } from "../tools/catalog.ts";
import type { ToolInfo } from "../tools/info.ts";
import { MemoryShapeStore, type ShapeStore } from "../state/shape_store.ts";
import {
  isNameKey,
  mergeShapes,
  parseShape,
  type Shape,
  type ShapeCaps,
  shapeOf,
  shapeToType,
} from "./shape.ts";

// Results in a row that left a tool's shape unchanged before it counts as
// settled, and how rarely a settled tool's results are examined.
const _SETTLED = 16;
const _SAMPLE_EVERY = 16;

/** Options of {@linkcode LearnedTypes}. */
export interface LearnedTypesOptions {
  /**
   * Where shapes are kept.
   * @default {a MemoryShapeStore}
   */
  store?: ShapeStore;
  /**
   * Called when the store fails; the call that was recorded is unaffected.
   * @default {ignore the error}
   */
  onError?: (error: Error) => void;
  /**
   * Values that must never enter a shape: an object with a key that holds
   * one is data-keyed.
   * @default {[]}
   */
  secrets?: readonly string[];
}

/** The learned shape of each tool, and the type text it renders to. */
export class LearnedTypes {
  readonly #store: ShapeStore;
  readonly #onError: (error: Error) => void;
  readonly #caps: Partial<ShapeCaps>;
  readonly #shapes = new Map<
    string,
    { shape: Shape; type: string; unchanged: number }
  >();
  readonly #loads = new Map<string, Promise<void>>();
  // Each key's last write, so writes to one key land in order.
  readonly #writes = new Map<string, Promise<void>>();
  readonly #keys = new WeakMap<object, string>();
  // Every key a wrapped tool has, for re-reading what other replicas learned.
  readonly #known = new Set<string>();
  #refreshing: Promise<void> | undefined;
  #refreshedAt = -Infinity;
  #version = 0;
  #annotated:
    | { tools: readonly ToolInfo[]; version: number; out: ToolInfo[] }
    | undefined;

  /**
   * @param options The store, the error callback and the secrets.
   */
  constructor(options: LearnedTypesOptions = {}) {
    this.#store = options.store ?? new MemoryShapeStore();
    this.#onError = options.onError ?? (() => {});
    const secrets = (options.secrets ?? []).filter((s) =>
      s.length >= MIN_SECRET_LENGTH
    );
    this.#caps = secrets.length === 0 ? {} : {
      isName: (key) =>
        isNameKey(key) && !secrets.some((secret) => key.includes(secret)),
    };
  }

  /**
   * A tool that records the shape of each of its results, and starts
   * loading what the store holds for it. A tool with an output schema is
   * returned as it is.
   *
   * @param namespace The tool's guest namespace.
   * @param tool The tool.
   * @returns The recording tool.
   */
  wrap(namespace: string, tool: ProviderTool): ProviderTool {
    if (tool.outputSchema !== undefined) return tool;
    const key = this.#key(namespace, tool.name, tool);
    this.#known.add(key);
    this.#load(key);
    return {
      ...tool,
      call: async (input, context) => {
        const value = await tool.call(input, context);
        this.#record(key, value);
        return value;
      },
    };
  }

  /**
   * Waits until every shape being loaded from the store is in memory.
   *
   * @returns Once loaded (a failed load is reported, not thrown).
   */
  async ready(): Promise<void> {
    while (this.#loads.size > 0) await Promise.all(this.#loads.values());
  }

  /**
   * Reads every known tool's shape from the store again and merges it in, at
   * most once per `minIntervalMs`: what other processes sharing the store
   * (replicas on one Redis) learned shows up here. Starts in the background;
   * the returned promise is for tests.
   *
   * @param minIntervalMs The least time between two reads of the store.
   * @returns Once this refresh (or the one in progress) is done.
   */
  refresh(minIntervalMs = 1000): Promise<void> {
    if (this.#refreshing !== undefined) return this.#refreshing;
    const now = performance.now();
    if (now - this.#refreshedAt < minIntervalMs) return Promise.resolve();
    this.#refreshedAt = now;
    this.#refreshing = (async () => {
      try {
        await Promise.all([...this.#known].map(async (key) => {
          try {
            const stored = parseShape(await this.#store.get(key), this.#caps);
            if (stored !== undefined) this.#merge(key, stored, false);
          } catch {
            // The next refresh tries again; a store that is down is reported
            // by its writes.
          }
        }));
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  /**
   * The tools with their learned return type (`inferredOutputType`), for
   * those without an output schema that have returned something.
   *
   * @param tools The catalog's tools.
   * @returns The tools, those with a learned type as copies; the same array
   * until the catalog or a learned type changes.
   */
  annotate(tools: readonly ToolInfo[]): readonly ToolInfo[] {
    const cached = this.#annotated;
    if (cached?.tools === tools && cached.version === this.#version) {
      return cached.out;
    }
    const out = tools.map((tool) => {
      if (tool.outputSchema !== undefined) return tool;
      const learned = this.#shapes.get(
        this.#key(tool.namespace, tool.originalName, tool),
      );
      return learned ? { ...tool, inferredOutputType: learned.type } : tool;
    });
    this.#annotated = { tools, version: this.#version, out };
    return out;
  }

  /**
   * Waits for the writes in progress and closes the store.
   *
   * @returns Once closed.
   */
  async close(): Promise<void> {
    await Promise.all(this.#writes.values());
    await this.#store.close?.();
  }

  // Server, tool, and a hash of what defines the tool for its callers: a
  // changed schema or description starts over.
  #key(
    namespace: string,
    name: string,
    tool: { description?: string; inputSchema: unknown },
  ): string {
    let key = this.#keys.get(tool);
    if (key === undefined) {
      const hash = sha256Hex(
        JSON.stringify([tool.description ?? null, tool.inputSchema]),
      ).slice(0, 16);
      key = JSON.stringify([namespace, name, hash]);
      this.#keys.set(tool, key);
    }
    return key;
  }

  #load(key: string): void {
    if (this.#shapes.has(key) || this.#loads.has(key)) return;
    const load = (async () => {
      try {
        const stored = parseShape(await this.#store.get(key), this.#caps);
        if (stored !== undefined) this.#merge(key, stored, false);
      } catch (error) {
        this.#report(error);
      } finally {
        this.#loads.delete(key);
      }
    })();
    this.#loads.set(key, load);
  }

  // Never throws: a result the broker cannot describe is not the call's failure.
  #record(key: string, value: unknown): void {
    // A type that has settled is checked on one result in _SAMPLE_EVERY, so a
    // busy tool pays for the walk rarely once learned.
    const learned = this.#shapes.get(key);
    if (
      learned !== undefined && learned.unchanged >= _SETTLED &&
      learned.unchanged++ % _SAMPLE_EVERY !== 0
    ) return;
    let shape: Shape;
    try {
      shape = shapeOf(value, this.#caps);
    } catch (error) {
      this.#report(error);
      return;
    }
    // After the stored shape is in, so a write never drops what it held.
    const loading = this.#loads.get(key);
    if (loading === undefined) this.#merge(key, shape);
    else loading.then(() => this.#merge(key, shape));
  }

  #merge(key: string, shape: Shape, save = true): void {
    try {
      const before = this.#shapes.get(key);
      const merged = before
        ? mergeShapes(before.shape, shape, this.#caps)
        : shape;
      if (
        before !== undefined &&
        JSON.stringify(merged) === JSON.stringify(before.shape)
      ) {
        // The usual case once a tool is learned: nothing to write.
        if (before.unchanged < _SETTLED) before.unchanged++;
        return;
      }
      const type = shapeToType(merged).text;
      this.#shapes.set(key, { shape: merged, type, unchanged: 0 });
      if (before?.type !== type) this.#version++;
      if (save) this.#save(key, merged);
    } catch (error) {
      this.#report(error);
    }
  }

  #save(key: string, shape: Shape): void {
    const write = (this.#writes.get(key) ?? Promise.resolve())
      .then(async () => {
        // What another process wrote since is merged in, not overwritten; a
        // failed read is the write's to report, if it fails too.
        const stored = await this.#store.get(key).then(
          (value) => parseShape(value, this.#caps),
          () => undefined,
        );
        if (stored === undefined) return await this.#store.set(key, shape);
        const merged = mergeShapes(stored, shape, this.#caps);
        if (JSON.stringify(merged) === JSON.stringify(stored)) return;
        await this.#store.set(key, merged);
      })
      .catch((error) => this.#report(error));
    this.#writes.set(key, write);
    write.then(() => {
      if (this.#writes.get(key) === write) this.#writes.delete(key);
    });
  }

  #report(error: unknown): void {
    try {
      this.#onError(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // A throwing callback changes nothing.
    }
  }
}

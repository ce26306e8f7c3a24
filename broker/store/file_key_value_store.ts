/**
 * {@linkcode FileKeyValueStore}: the key-value seam as a directory of files.
 *
 * @module
 */

import {
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex } from "../sha256.ts";
import {
  type KeyValueSetOptions,
  type KeyValueStore,
  type KeyValueStoreStatus,
  storeUnavailable,
} from "./key_value_store.ts";

/** Options for {@linkcode FileKeyValueStore}. */
export interface FileKeyValueStoreOptions {
  /** The directory that holds one file per key (created, mode 0700). */
  dir: string;
  /**
   * The clock, in milliseconds since the epoch; tests pass their own.
   * @default {Date.now}
   */
  now?: () => number;
}

interface _Entry {
  k: string;
  v: string;
  e: number | null;
}

/**
 * A {@linkcode KeyValueStore} in a directory, one file (mode 0600) per key,
 * named by the SHA-256 of the key (never the key: it may be a session id) and
 * written to a temporary file and renamed so a reader never sees half a value.
 * Operations are serialized within this process, so compare-and-set is atomic
 * for one process; the directory must not be shared by two processes (use
 * Redis for several replicas).
 *
 * @example Keep a key across restarts
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileKeyValueStore } from "./file_key_value_store.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await new FileKeyValueStore({ dir }).set("a", "1");
 * assert.equal(await new FileKeyValueStore({ dir }).get("a"), "1");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FileKeyValueStore implements KeyValueStore {
  readonly #dir: string;
  readonly #now: () => number;
  #queue: Promise<unknown> = Promise.resolve();
  #made = false;

  /**
   * Creates a store over `options.dir`.
   *
   * @param options The directory and the clock.
   */
  constructor(options: FileKeyValueStoreOptions) {
    this.#dir = options.dir;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The value of `key`.
   *
   * @param key The key.
   * @returns The value, or `undefined`.
   */
  get(key: string): Promise<string | undefined> {
    return this.#serial(() => this.#read(key));
  }

  /**
   * Sets `key`.
   *
   * @param key The key.
   * @param value The value.
   * @param options The expiry.
   * @returns Once written.
   */
  set(
    key: string,
    value: string,
    options: KeyValueSetOptions = {},
  ): Promise<void> {
    return this.#serial(() => this.#write(key, value, options));
  }

  /**
   * Removes `key`.
   *
   * @param key The key.
   * @returns Whether it existed.
   */
  delete(key: string): Promise<boolean> {
    return this.#serial(async () => {
      const existed = (await this.#read(key)) !== undefined;
      await rm(this.#path(key), { force: true });
      return existed;
    });
  }

  /**
   * The live keys starting with `prefix`.
   *
   * @param prefix The prefix.
   * @returns The keys, sorted.
   */
  list(prefix: string): Promise<string[]> {
    return this.#serial(async () => {
      let names: string[];
      try {
        names = await readdir(this.#dir);
      } catch (error) {
        if ((error as { code?: string }).code === "ENOENT") return [];
        throw storeUnavailable("file", error);
      }
      const keys: string[] = [];
      for (const name of names) {
        if (!/^[0-9a-f]{64}\.json$/.test(name)) continue;
        const key = await this.#keyIn(join(this.#dir, name));
        if (
          key?.startsWith(prefix) && (await this.#read(key)) !== undefined
        ) keys.push(key);
      }
      return keys.sort();
    });
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
    return this.#serial(async () => {
      if ((await this.#read(key)) !== expected) return false;
      if (next === undefined) await rm(this.#path(key), { force: true });
      else await this.#write(key, next, options, this.#expiry);
      return true;
    });
  }

  /**
   * Up while the directory can be written.
   *
   * @returns `{ name: "file", up: true }`.
   */
  status(): KeyValueStoreStatus {
    return { name: "file", up: true };
  }

  /**
   * Waits for the operations in progress.
   *
   * @returns Once they are done.
   */
  async close(): Promise<void> {
    await this.#queue.catch(() => {});
  }

  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation, operation);
    this.#queue = result.catch(() => {});
    return result;
  }

  #path(key: string): string {
    return join(this.#dir, `${sha256Hex(key)}.json`);
  }

  async #keyIn(path: string): Promise<string | undefined> {
    try {
      const entry = JSON.parse(await readFile(path, "utf8")) as _Entry;
      return typeof entry?.k === "string" ? entry.k : undefined;
    } catch {
      return undefined; // Gone or damaged: not listed.
    }
  }

  // The expiry of the key #read saw last, for `keepTtl`.
  #expiry: number | null = null;

  async #read(key: string): Promise<string | undefined> {
    this.#expiry = null;
    let text: string;
    try {
      text = await readFile(this.#path(key), "utf8");
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return undefined;
      throw storeUnavailable("file", error);
    }
    let entry: _Entry;
    try {
      entry = JSON.parse(text) as _Entry;
    } catch {
      return undefined; // A damaged file is an absent key.
    }
    if (typeof entry?.v !== "string" || entry.k !== key) return undefined;
    this.#expiry = typeof entry.e === "number" ? entry.e : null;
    if (entry.e !== null && this.#now() >= entry.e) {
      await rm(this.#path(key), { force: true });
      return undefined;
    }
    return entry.v;
  }

  async #write(
    key: string,
    value: string,
    options: KeyValueSetOptions,
    kept: number | null = null,
  ): Promise<void> {
    try {
      if (!this.#made) {
        await mkdir(this.#dir, { recursive: true, mode: 0o700 });
        this.#made = true;
      }
      const entry: _Entry = {
        k: key,
        v: value,
        e: options.keepTtl
          ? kept
          : options.ttlMs === undefined
          ? null
          : this.#now() + options.ttlMs,
      };
      const path = this.#path(key);
      const temp = `${path}.${crypto.randomUUID()}.tmp`;
      await writeFile(temp, JSON.stringify(entry), { mode: 0o600 });
      await rename(temp, path);
    } catch (error) {
      throw storeUnavailable("file", error);
    }
  }
}

/**
 * A {@linkcode ShapeStore} in one JSON file, so learned return types survive
 * a restart of the CLI or the service. It uses only `node:` modules, so the
 * npm build runs it on Node unchanged.
 *
 * @module
 */

import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { ExecboxError } from "../errors.ts";
import type { ShapeStore } from "./shape_store.ts";

/** Options for {@linkcode FileShapeStore}. */
export interface FileShapeStoreOptions {
  /**
   * The file, `{ "version": 1, "shapes": { key: shape, ... } }`. Created
   * (mode `0o600`, its directory `0o700`) on the first write.
   */
  file: string;
}

/**
 * Shapes in one JSON file, read once on first use and rewritten whole on
 * each change: a temporary file beside it, then a rename, so a reader never
 * sees half a file. Writes that arrive while one is in progress are
 * coalesced into the next. A file that cannot be parsed reads as empty (and
 * is replaced on the next write). Sharing a file between processes is not
 * supported: the last writer wins.
 *
 * @example Shapes outlive the store
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileShapeStore } from "./shape_file_store.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   const before = new FileShapeStore({ file: `${dir}/shapes.json` });
 *   await before.set("k", { number: true });
 *   await before.close();
 *
 *   const after = new FileShapeStore({ file: `${dir}/shapes.json` });
 *   assert.deepEqual(await after.get("k"), { number: true });
 *   await after.close();
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class FileShapeStore implements ShapeStore {
  readonly #file: string;
  #shapes: Promise<Map<string, unknown>> | undefined;
  // The write in progress, and whether another must follow it.
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;
  #scheduled = false;

  /**
   * Creates a store over a file; nothing is touched until the first call.
   *
   * @param options The file.
   */
  constructor(options: FileShapeStoreOptions) {
    this.#file = options.file;
  }

  /**
   * The value stored under `key`.
   *
   * @param key The key.
   * @returns A copy of the value, or `undefined`.
   * @throws {ExecboxError} Code `internal_error` when the file cannot be read.
   */
  async get(key: string): Promise<unknown> {
    return structuredClone((await this.#load()).get(key));
  }

  /**
   * Stores a JSON value and rewrites the file.
   *
   * @param key The key.
   * @param value The value.
   * @returns Once a write that holds the value has replaced the file.
   * @throws {ExecboxError} Code `internal_error` when the file cannot be
   * read or written.
   */
  async set(key: string, value: unknown): Promise<void> {
    const shapes = await this.#load();
    shapes.set(key, structuredClone(value));
    this.#dirty = true;
    if (!this.#scheduled) {
      this.#scheduled = true;
      // After the write in progress, whatever its outcome.
      this.#writing = this.#writing.catch(_ignore).then(() => {
        this.#scheduled = false;
        return this.#write(shapes);
      });
    }
    await this.#writing;
  }

  /**
   * Waits for the write in progress; the file stays.
   *
   * @returns Once nothing is in progress.
   */
  async close(): Promise<void> {
    await this.#writing.catch(_ignore);
  }

  #load(): Promise<Map<string, unknown>> {
    this.#shapes ??= this.#read().catch((error) => {
      this.#shapes = undefined;
      throw error;
    });
    return this.#shapes;
  }

  async #read(): Promise<Map<string, unknown>> {
    let text: string;
    try {
      text = await readFile(this.#file, "utf8");
    } catch (error) {
      if (_isNotFound(error)) return new Map();
      throw _ioError("read the shape file", error);
    }
    try {
      const data = JSON.parse(text) as { version?: unknown; shapes?: unknown };
      if (
        data?.version !== 1 || typeof data.shapes !== "object" ||
        data.shapes === null || Array.isArray(data.shapes)
      ) return new Map();
      return new Map(Object.entries(data.shapes));
    } catch {
      return new Map();
    }
  }

  async #write(shapes: Map<string, unknown>): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    const text = JSON.stringify({
      version: 1,
      shapes: Object.fromEntries(shapes),
    });
    const temporary = `${this.#file}.${randomUUID()}.tmp`;
    try {
      await mkdir(dirname(this.#file), { recursive: true, mode: 0o700 });
      await writeFile(temporary, text, { mode: 0o600 });
      await rename(temporary, this.#file);
    } catch (error) {
      this.#dirty = true; // the next write tries again
      await rm(temporary, { force: true }).catch(_ignore);
      throw _ioError("write the shape file", error);
    }
  }
}

function _isNotFound(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "ENOENT";
}

// No path in the message: the cause keeps the details.
function _ioError(action: string, error: unknown): ExecboxError {
  const code = error instanceof Error && "code" in error &&
      typeof error.code === "string"
    ? error.code
    : "unknown error";
  return new ExecboxError("internal_error", `Cannot ${action}: ${code}`, {
    cause: error,
  });
}

function _ignore(): void {}

/**
 * A {@linkcode SessionStore} on disk, so sessions survive a broker restart.
 * It uses only `node:` modules, so the npm build runs it on Node unchanged.
 *
 * @module
 */

import { createHash, randomUUID } from "node:crypto";
import {
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import { ExecboxError } from "../errors.ts";
import {
  type SessionLimits,
  type SessionStore,
  withSessionEntry,
} from "./session_store.ts";

/** Options for {@linkcode FileSessionStore}. */
export interface FileSessionStoreOptions {
  /**
   * The directory that holds one file per session, created (mode `0o700`) on
   * the first write. Give each store a directory of its own: files in it that
   * look like sessions, expired or unreadable, are deleted.
   */
  dir: string;
  /**
   * The clock, in milliseconds since the epoch; tests pass their own to move
   * time without waiting.
   *
   * @default {Date.now}
   */
  now?: () => number;
}

interface _SessionFile {
  expiresAt: number;
  entries: Map<string, unknown>;
}

// Expired sessions nobody asks for again are removed by a scan of the
// directory, at most this often, started by a write (no timers to clean up).
const _SWEEP_INTERVAL_MS = 60_000;

// `<hash>.json`, or a temporary file a write left behind: `<hash>.json.<uuid>.tmp`.
const _FILE_NAME = /^([0-9a-f]{64})\.json(\.[0-9a-f-]{36}\.tmp)?$/;

/**
 * Sessions as JSON files, `{ "expiresAt": number, "entries": [[key, value], ...] }`,
 * named by the SHA-256 of the session id so that no id reaches a path. Writes
 * replace a file atomically (a temporary file, then a rename), and the
 * operations on one session run one at a time in this process, so concurrent
 * writes to different keys all land. A file that cannot be parsed reads as an
 * empty session. Sharing a directory between processes is not supported.
 *
 * @example Sessions outlive the store
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileSessionStore } from "./session_file_store.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   const limits = { maxBytes: 1024, ttlMs: 60_000 };
 *   const before = new FileSessionStore({ dir });
 *   await before.set("chat-1", "cursor", { page: 2 }, limits);
 *   await before.close();
 *
 *   const after = new FileSessionStore({ dir });
 *   assert.deepEqual(await after.get("chat-1", "cursor"), { page: 2 });
 *   await after.close();
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class FileSessionStore implements SessionStore {
  readonly #dir: string;
  readonly #now: () => number;
  // The tail of each session's queue of operations, by file hash.
  readonly #queues: Map<string, Promise<void>> = new Map();
  #dirReady: Promise<void> | undefined;
  #lastSweep = -Infinity;
  #sweeping: Promise<void> = Promise.resolve();

  /**
   * Creates a store over a directory; nothing is touched until the first call.
   *
   * @param options The directory and the clock.
   */
  constructor(options: FileSessionStoreOptions) {
    this.#dir = options.dir;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The value of `key`, or `undefined`.
   *
   * @param session The session id.
   * @param key The key to read.
   * @returns The value, parsed afresh from the file.
   * @throws {ExecboxError} Code `internal_error` when the file cannot be read.
   */
  get(session: string, key: string): Promise<unknown> {
    const hash = _hash(session);
    return this.#enqueue(hash, async () => {
      const entries = (await this.#readLive(hash, this.#now()))?.entries;
      return entries?.get(key);
    });
  }

  /**
   * Stores a JSON value and refreshes the session's expiry.
   *
   * @param session The session id.
   * @param key The key to set.
   * @param value A JSON value.
   * @param limits The size cap and the time to live.
   * @returns Once the file is replaced.
   * @throws {ExecboxError} Code `limit_exceeded` when the session would grow
   * past `limits.maxBytes` (the session is left unchanged), `internal_error`
   * when the file cannot be read or written.
   */
  async set(
    session: string,
    key: string,
    value: unknown,
    limits: SessionLimits,
  ): Promise<void> {
    const hash = _hash(session);
    // Copied now: the caller may change the value while the write waits its turn.
    const copy = structuredClone(value);
    await this.#enqueue(hash, async () => {
      const now = this.#now();
      const entries = withSessionEntry(
        (await this.#readLive(hash, now))?.entries ?? new Map(),
        key,
        copy,
        limits.maxBytes,
      );
      await this.#write(hash, { expiresAt: now + limits.ttlMs, entries });
    });
    this.#startSweep();
  }

  /**
   * Removes `key`; the file goes with the session's last key.
   *
   * @param session The session id.
   * @param key The key to remove.
   * @returns Whether it existed.
   * @throws {ExecboxError} Code `internal_error` when the file cannot be read
   * or written.
   */
  delete(session: string, key: string): Promise<boolean> {
    const hash = _hash(session);
    return this.#enqueue(hash, async () => {
      const live = await this.#readLive(hash, this.#now());
      if (!live?.entries.delete(key)) return false;
      if (live.entries.size === 0) await this.#remove(hash);
      else await this.#write(hash, live);
      return true;
    });
  }

  /**
   * The keys of a session.
   *
   * @param session The session id.
   * @returns The keys in insertion order; none for an absent session.
   * @throws {ExecboxError} Code `internal_error` when the file cannot be read.
   */
  keys(session: string): Promise<string[]> {
    const hash = _hash(session);
    return this.#enqueue(hash, async () => {
      const live = await this.#readLive(hash, this.#now());
      return live ? [...live.entries.keys()] : [];
    });
  }

  /**
   * Refreshes a session's expiry; an absent session stays absent.
   *
   * @param session The session id.
   * @param ttlMs How long the session lives from now, in milliseconds.
   * @returns Once the file is replaced.
   * @throws {ExecboxError} Code `internal_error` when the file cannot be read
   * or written.
   */
  async touch(session: string, ttlMs: number): Promise<void> {
    const hash = _hash(session);
    await this.#enqueue(hash, async () => {
      const now = this.#now();
      const live = await this.#readLive(hash, now);
      if (live) await this.#write(hash, { ...live, expiresAt: now + ttlMs });
    });
    this.#startSweep();
  }

  /**
   * Waits for the operations and the sweep in progress; the files stay.
   *
   * @returns Once nothing is in progress.
   */
  async close(): Promise<void> {
    await Promise.all([this.#sweeping, ...this.#queues.values()]);
  }

  // Runs `operation` after every earlier one on the same session has settled.
  #enqueue<T>(hash: string, operation: () => Promise<T>): Promise<T> {
    const result = (this.#queues.get(hash) ?? Promise.resolve()).then(
      operation,
    );
    const tail: Promise<void> = result.then(_ignore, _ignore).then(() => {
      if (this.#queues.get(hash) === tail) this.#queues.delete(hash);
    });
    this.#queues.set(hash, tail);
    return result;
  }

  async #readLive(
    hash: string,
    now: number,
  ): Promise<_SessionFile | undefined> {
    const state = await this.#read(hash);
    if (state && now >= state.expiresAt) {
      await this.#remove(hash);
      return undefined;
    }
    return state;
  }

  // The session in the file; `undefined` when there is none or it is unparsable.
  async #read(hash: string): Promise<_SessionFile | undefined> {
    let text: string;
    try {
      text = await readFile(this.#path(hash), "utf8");
    } catch (error) {
      if (_isNotFound(error)) return undefined;
      throw _ioError("read session state", error);
    }
    return _parse(text);
  }

  async #write(hash: string, state: _SessionFile): Promise<void> {
    const text = JSON.stringify({
      expiresAt: state.expiresAt,
      entries: [...state.entries],
    });
    this.#dirReady ??= mkdir(this.#dir, { recursive: true, mode: 0o700 }).then(
      () => {},
      (error: unknown) => {
        this.#dirReady = undefined;
        throw _ioError("create the session directory", error);
      },
    );
    await this.#dirReady;
    const temporary = `${this.#path(hash)}.${randomUUID()}.tmp`;
    try {
      await writeFile(temporary, text, { mode: 0o600 });
      await rename(temporary, this.#path(hash));
    } catch (error) {
      await rm(temporary, { force: true }).catch(_ignore);
      throw _ioError("write session state", error);
    }
  }

  async #remove(hash: string): Promise<void> {
    try {
      await rm(this.#path(hash), { force: true });
    } catch (error) {
      throw _ioError("remove session state", error);
    }
  }

  #path(hash: string): string {
    return join(this.#dir, `${hash}.json`);
  }

  // In the background, so a write does not wait for a scan of every session;
  // `close()` waits for it. Housekeeping failures are not the caller's.
  #startSweep(): void {
    const now = this.#now();
    if (now - this.#lastSweep < _SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    this.#sweeping = this.#sweeping.then(() => this.#sweep(now)).catch(
      _ignore,
    );
  }

  async #sweep(now: number): Promise<void> {
    for (const name of await readdir(this.#dir)) {
      const match = _FILE_NAME.exec(name);
      if (!match?.[1]) continue;
      const hash = match[1];
      // Queued like any operation on the session, so it never removes a file
      // that a concurrent write has just renamed into place.
      await this.#enqueue(hash, async () => {
        if (match[2]) {
          await rm(join(this.#dir, name), { force: true });
          return;
        }
        // An unparsable file goes too: it reads as an empty session anyway.
        const state = await this.#read(hash);
        if (!state || now >= state.expiresAt) await this.#remove(hash);
      }).catch(_ignore);
    }
  }
}

function _hash(session: string): string {
  // UTF-16 code units rather than UTF-8: UTF-8 turns every lone surrogate into
  // U+FFFD, which would let two different ids name the same file.
  return createHash("sha256").update(session, "utf16le").digest("hex");
}

function _parse(text: string): _SessionFile | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== "object" || data === null) return undefined;
  const { expiresAt, entries } = data as Record<string, unknown>;
  if (typeof expiresAt !== "number" || !Array.isArray(entries)) {
    return undefined;
  }
  const isEntry = (entry: unknown): entry is [string, unknown] =>
    Array.isArray(entry) && entry.length === 2 && typeof entry[0] === "string";
  return entries.every(isEntry)
    ? { expiresAt, entries: new Map(entries) }
    : undefined;
}

function _isNotFound(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "ENOENT";
}

// No path in the message: it may reach a guest. The cause keeps the details.
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

/**
 * An {@linkcode OAuthStore} on disk: one JSON file per server, mode `0o600`,
 * in a directory of mode `0o700` under the user's state directory. It uses
 * only `node:` modules, so the npm build runs it on Node unchanged.
 *
 * @module
 */

import { createHash, randomUUID } from "node:crypto";
import {
  chmod,
  mkdir,
  readFile,
  rename,
  rm,
  writeFile,
} from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { OAuthRecord, OAuthStore } from "./oauth_store.ts";

/** Options for {@linkcode FileOAuthStore}. */
export interface FileOAuthStoreOptions {
  /**
   * The directory that holds the records, created (mode `0o700`) on the
   * first write.
   * @default {defaultOAuthDir()}
   */
  dir?: string;
}

/**
 * The default directory of OAuth records: `$EXECBOX_STATE_DIR/oauth`, else
 * `$XDG_STATE_HOME/execbox/oauth`, else `~/.local/state/execbox/oauth`.
 *
 * @returns The path.
 *
 * @example Where tokens go
 * ```ts
 * import { defaultOAuthDir } from "./oauth_file_store.ts";
 * defaultOAuthDir(); // "/home/me/.local/state/execbox/oauth"
 * ```
 */
export function defaultOAuthDir(): string {
  const env = process.env;
  if (env.EXECBOX_STATE_DIR) return join(env.EXECBOX_STATE_DIR, "oauth");
  const state = env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(state, "execbox", "oauth");
}

/**
 * OAuth records as JSON files named by the SHA-256 of the server key, so no
 * key reaches a path. A write replaces the file atomically (a temporary file
 * of mode `0o600`, then a rename). A file that cannot be parsed reads as no
 * record.
 *
 * @example Records outlive the store
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileOAuthStore } from "./oauth_file_store.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   await new FileOAuthStore({ dir }).set("github", { codeVerifier: "v" });
 *   const record = await new FileOAuthStore({ dir }).get("github");
 *   assert.equal(record?.codeVerifier, "v");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class FileOAuthStore implements OAuthStore {
  #dir: string | undefined;

  /**
   * Creates a store; nothing is read (not even the environment, for the
   * default directory) until the first use.
   *
   * @param options Where to keep the records.
   */
  constructor(options: FileOAuthStoreOptions = {}) {
    this.#dir = options.dir;
  }

  /** The directory of the records. */
  get dir(): string {
    this.#dir ??= defaultOAuthDir();
    return this.#dir;
  }

  /**
   * Reads the record of a server.
   *
   * @param key The server key.
   * @returns Its record, or `undefined`.
   */
  async get(key: string): Promise<OAuthRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.#path(key), "utf8");
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return undefined;
      throw error;
    }
    try {
      const record = JSON.parse(text);
      return typeof record === "object" && record !== null ? record : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Replaces the record of a server, atomically.
   *
   * @param key The server key.
   * @param record Its new record.
   */
  async set(key: string, record: OAuthRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = this.#path(key);
    const temporary = `${path}.${randomUUID()}.tmp`;
    try {
      await writeFile(temporary, JSON.stringify(record), { mode: 0o600 });
      // The mode of a new file is masked by the umask; make sure.
      await chmod(temporary, 0o600);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /**
   * Forgets a server.
   *
   * @param key The server key.
   */
  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  #path(key: string): string {
    const name = createHash("sha256").update(key).digest("hex");
    return join(this.dir, `${name}.json`);
  }
}

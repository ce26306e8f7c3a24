/**
 * {@linkcode KvOAuthStore}: OAuth records on the key-value seam, sealed, with
 * one token refresh at a time across every replica.
 *
 * @module
 */

import { sha256Hex } from "../sha256.ts";
import type { KeyValueStore } from "../store/key_value_store.ts";
import type { OAuthRecord, OAuthStore } from "./oauth_store.ts";
import type { RefreshAnswer, SharedRefresh } from "./refresh_once.ts";

/** Options for {@linkcode KvOAuthStore}. */
export interface KvOAuthStoreOptions {
  /**
   * The secret the records are sealed with (AES-256-GCM under its SHA-256),
   * at least 16 characters; the same on every replica.
   */
  key: string;
  /**
   * How long a replica waits for another's refresh before it refreshes
   * itself, in milliseconds.
   * @default {30000}
   */
  refreshWaitMs?: number;
}

const _UTF8 = new TextEncoder();
const _UTF8_DECODE = new TextDecoder();
// How long a refresh's answer stays for the replicas that posted the same
// refresh token a little later.
const _ANSWER_TTL_MS = 5 * 60_000;
const _POLL_MS = 50;

/**
 * An {@linkcode OAuthStore} that replicas share: each server's record is one
 * key (`oauth:<server>`), sealed with AES-256-GCM (the server key is the
 * additional data, so a record cannot be moved to another server), and a
 * refresh of one refresh token runs once across replicas: a lock key taken
 * with compare-and-set, and the answer left, sealed, for the others.
 *
 * @example OAuth records in a key-value store
 * ```ts
 * import assert from "node:assert/strict";
 * import { KvOAuthStore } from "./oauth_kv_store.ts";
 * import { MemoryKeyValueStore } from "../store/memory_key_value_store.ts";
 *
 * const store = new KvOAuthStore(new MemoryKeyValueStore(), {
 *   key: "a secret of 16+ characters",
 * });
 * await store.set("github", { tokens: { access_token: "t", token_type: "Bearer" } });
 * assert.equal((await store.get("github"))?.tokens?.access_token, "t");
 * ```
 */
export class KvOAuthStore implements OAuthStore, SharedRefresh {
  readonly #store: KeyValueStore;
  readonly #key: Promise<CryptoKey>;
  readonly #refreshWaitMs: number;

  /**
   * Keeps records in `store`, sealed with `options.key`.
   *
   * @param store The key-value store (not closed by this one).
   * @param options The sealing secret.
   * @throws {RangeError} When the secret is shorter than 16 characters.
   */
  constructor(store: KeyValueStore, options: KvOAuthStoreOptions) {
    if (options.key.length < 16) {
      throw new RangeError(
        `The OAuth store key must be at least 16 characters, got ${options.key.length}`,
      );
    }
    this.#store = store;
    this.#refreshWaitMs = options.refreshWaitMs ?? 30_000;
    this.#key = crypto.subtle.digest("SHA-256", _UTF8.encode(options.key))
      .then((raw) =>
        crypto.subtle.importKey("raw", raw, "AES-GCM", false, [
          "encrypt",
          "decrypt",
        ])
      );
  }

  /**
   * The record of a server; one that cannot be opened (another key, damage)
   * reads as none.
   *
   * @param key The server key.
   * @returns The record, or `undefined`.
   */
  async get(key: string): Promise<OAuthRecord | undefined> {
    const text = await this.#open(await this.#store.get(`oauth:${key}`), key);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as OAuthRecord;
    } catch {
      return undefined;
    }
  }

  /**
   * Replaces the record of a server.
   *
   * @param key The server key.
   * @param record The record.
   * @returns Once stored.
   */
  async set(key: string, record: OAuthRecord): Promise<void> {
    await this.#store.set(
      `oauth:${key}`,
      await this.#seal(JSON.stringify(record), key),
    );
  }

  /**
   * Forgets a server.
   *
   * @param key The server key.
   * @returns Once forgotten.
   */
  async delete(key: string): Promise<void> {
    await this.#store.delete(`oauth:${key}`);
  }

  /**
   * Runs one refresh of `token` across the replicas sharing the store.
   *
   * @param key The server (and URL) the token belongs to.
   * @param token The refresh token being posted.
   * @param refresh Posts it.
   * @returns The answer of the one refresh.
   */
  async shareRefresh(
    key: string,
    token: string,
    refresh: () => Promise<RefreshAnswer>,
  ): Promise<RefreshAnswer> {
    // Never the token itself in a key name.
    const id = sha256Hex(`${key}\n${token}`);
    const answerKey = `oauth-refresh:${id}:answer`;
    const lockKey = `oauth-refresh:${id}:lock`;
    const deadline = Date.now() + this.#refreshWaitMs;
    while (Date.now() < deadline) {
      const stored = await this.#open(await this.#store.get(answerKey), id);
      if (stored !== undefined) return _answerFrom(stored);
      const locked = await this.#store.compareAndSet(
        lockKey,
        undefined,
        "1",
        { ttlMs: this.#refreshWaitMs },
      );
      if (locked) {
        try {
          // The replica that held the lock before stores its answer and only
          // then lets go: look again, or a replica that read no answer just
          // before that would refresh a second time.
          const again = await this.#open(await this.#store.get(answerKey), id);
          if (again !== undefined) return _answerFrom(again);
          const answer = await refresh();
          await this.#store.set(
            answerKey,
            await this.#seal(_answerText(answer), id),
            { ttlMs: _ANSWER_TTL_MS },
          );
          return answer;
        } finally {
          await this.#store.delete(lockKey).catch(() => false);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, _POLL_MS));
    }
    // The replica holding the lock is gone or stuck: refresh here.
    return await refresh();
  }

  async #seal(text: string, scope: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: _UTF8.encode(scope) },
        await this.#key,
        _UTF8.encode(text),
      ),
    );
    return `v1.${_base64(iv)}.${_base64(sealed)}`;
  }

  async #open(
    text: string | undefined,
    scope: string,
  ): Promise<string | undefined> {
    const parts = text?.split(".");
    if (parts?.length !== 3 || parts[0] !== "v1") return undefined;
    try {
      const plain = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: _bytes(parts[1]!),
          additionalData: _UTF8.encode(scope),
        },
        await this.#key,
        _bytes(parts[2]!),
      );
      return _UTF8_DECODE.decode(plain);
    } catch {
      return undefined;
    }
  }
}

function _answerText(answer: RefreshAnswer): string {
  return JSON.stringify({
    status: answer.status,
    statusText: answer.statusText,
    headers: answer.headers,
    body: _base64(new Uint8Array(answer.body)),
  });
}

function _answerFrom(text: string): RefreshAnswer {
  const parsed = JSON.parse(text) as Omit<RefreshAnswer, "body"> & {
    body: string;
  };
  return { ...parsed, body: _bytes(parsed.body).buffer as ArrayBuffer };
}

function _base64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

function _bytes(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

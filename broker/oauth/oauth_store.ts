/**
 * Where OAuth state for upstream MCP servers lives: one record per server key
 * (tokens, the client registration, discovery results, the PKCE verifier of a
 * login in progress), behind a three-method seam so another store (a shared
 * one for several replicas) can take the place of the file.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/client/auth"
import type { OAuthDiscoveryState } from "@modelcontextprotocol/sdk/client/auth.js";
// @ts-types="@modelcontextprotocol/sdk/shared/auth"
import type {
  OAuthClientInformationMixed,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";

/** Everything execbox keeps about its OAuth session with one server. */
export interface OAuthRecord {
  /** The tokens the authorization server issued, with their `issuer`. */
  tokens?: OAuthTokens;
  /** The client registration (dynamic or from the configuration). */
  client?: OAuthClientInformationMixed;
  /** Discovered protected-resource and authorization-server metadata. */
  discovery?: OAuthDiscoveryState;
  /** The PKCE code verifier of a login in progress. */
  codeVerifier?: string;
}

/**
 * Storage for {@linkcode OAuthRecord}s by server key. Implementations keep the
 * records secret (they hold bearer and refresh tokens).
 */
export interface OAuthStore {
  /** The record of a server, or `undefined` when there is none. */
  get(key: string): Promise<OAuthRecord | undefined>;
  /** Replaces the record of a server. */
  set(key: string, record: OAuthRecord): Promise<void>;
  /** Forgets a server. */
  delete(key: string): Promise<void>;
}

/**
 * An {@linkcode OAuthStore} in memory: for tests, and for a process that logs
 * in on its own each time (client credentials).
 *
 * @example Keep and forget a record
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryOAuthStore } from "./oauth_store.ts";
 *
 * const store = new MemoryOAuthStore();
 * await store.set("github", { codeVerifier: "v" });
 * assert.deepEqual(await store.get("github"), { codeVerifier: "v" });
 * await store.delete("github");
 * assert.equal(await store.get("github"), undefined);
 * ```
 */
export class MemoryOAuthStore implements OAuthStore {
  readonly #records = new Map<string, string>();

  /**
   * @param key The server key.
   * @returns A copy of its record.
   */
  get(key: string): Promise<OAuthRecord | undefined> {
    const text = this.#records.get(key);
    return Promise.resolve(text === undefined ? undefined : JSON.parse(text));
  }

  /**
   * @param key The server key.
   * @param record The record, copied.
   */
  set(key: string, record: OAuthRecord): Promise<void> {
    this.#records.set(key, JSON.stringify(record));
    return Promise.resolve();
  }

  /** @param key The server key. */
  delete(key: string): Promise<void> {
    this.#records.delete(key);
    return Promise.resolve();
  }
}

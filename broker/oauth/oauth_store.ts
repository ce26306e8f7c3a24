/**
 * Where OAuth state for upstream MCP servers lives: one record per server key
 * (tokens, the client registration, discovery results, the PKCE verifier of a
 * login in progress), behind a three-method seam so another store (a shared
 * one for several replicas) can take the place of the file.
 *
 * @module
 */

/** Tokens as an authorization server issued them (RFC 6749, section 5.1). */
export interface OAuthTokenSet {
  /** The bearer token sent to the server. */
  access_token: string;
  /** Its type, `"Bearer"`. */
  token_type: string;
  /** The token that gets new tokens without a login. */
  refresh_token?: string | undefined;
  /** Seconds the access token lives. */
  expires_in?: number | undefined;
  /** The scopes granted. */
  scope?: string | undefined;
  /** An OpenID Connect ID token. */
  id_token?: string | undefined;
  /** The authorization server that issued them. */
  issuer?: string | undefined;
}

/** A client registration (RFC 7591), or the configured client. */
export interface OAuthClientRecord {
  /** The client id. */
  client_id: string;
  /** The client secret of a confidential client. */
  client_secret?: string | undefined;
  /** The redirect URIs registered. */
  redirect_uris?: string[] | undefined;
  /** The authorization server it belongs to. */
  issuer?: string | undefined;
  /** Other registration fields, kept as received. */
  [field: string]: unknown;
}

/** Discovered metadata, kept to skip discovery next time. */
export interface OAuthDiscoveryRecord {
  /** The authorization server's URL. */
  authorizationServerUrl: string;
  /** Other discovery fields, kept as received. */
  [field: string]: unknown;
}

/** Everything execbox keeps about its OAuth session with one server. */
export interface OAuthRecord {
  /** The tokens the authorization server issued, with their `issuer`. */
  tokens?: OAuthTokenSet;
  /** The client registration (dynamic or from the configuration). */
  client?: OAuthClientRecord;
  /** Discovered protected-resource and authorization-server metadata. */
  discovery?: OAuthDiscoveryRecord;
  /** The PKCE code verifier of a login in progress. */
  codeVerifier?: string;
  /**
   * The scope the server last asked for when it wanted a login (a step-up to
   * a wider scope), for the next login to request.
   */
  scope?: string;
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
   * Reads the record of a server.
   *
   * @param key The server key.
   * @returns A copy of its record.
   */
  get(key: string): Promise<OAuthRecord | undefined> {
    const text = this.#records.get(key);
    return Promise.resolve(text === undefined ? undefined : JSON.parse(text));
  }

  /**
   * Replaces the record of a server.
   *
   * @param key The server key.
   * @param record The record, copied.
   */
  set(key: string, record: OAuthRecord): Promise<void> {
    this.#records.set(key, JSON.stringify(record));
    return Promise.resolve();
  }

  /**
   * Forgets a server.
   *
   * @param key The server key.
   */
  delete(key: string): Promise<void> {
    this.#records.delete(key);
    return Promise.resolve();
  }
}

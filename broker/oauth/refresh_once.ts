/**
 * One token refresh at a time per server. The MCP SDK refreshes inside
 * `auth()`, which every request that meets a 401 calls; two calls at once
 * would post the same refresh token twice, and an authorization server that
 * rotates refresh tokens answers the second with `invalid_grant`, logging the
 * server out. So refresh requests go through a fetch that shares one answer
 * among all who post the same refresh token for the same server.
 *
 * This lock is per process; a store that replicas share adds its own
 * ({@linkcode SharedRefresh}), so one refresh runs across every replica.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/shared/transport"
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";

/** The answer of a token endpoint, as a refresh shares it. */
export interface RefreshAnswer {
  /** HTTP status. */
  status: number;
  /** HTTP status text. */
  statusText: string;
  /** Response headers. */
  headers: [string, string][];
  /** Response body. */
  body: ArrayBuffer;
}

/**
 * A token store that replicas share and that runs one refresh of a refresh
 * token across all of them: the first runs `refresh`, the others get its
 * answer.
 */
export interface SharedRefresh {
  /**
   * Runs `refresh` once for `token` of server `key` across replicas.
   *
   * @returns The answer, this replica's or another's.
   */
  shareRefresh(
    key: string,
    token: string,
    refresh: () => Promise<RefreshAnswer>,
  ): Promise<RefreshAnswer>;
}

type _Answer = RefreshAnswer;

interface _Refresh {
  token: string;
  answer: Promise<_Answer>;
}

// The last refresh of each server, per store: tokens in one store belong to
// one identity, and a token must never reach a server, or a tenant, it was
// not issued for.
const _refreshes = new WeakMap<object, Map<string, _Refresh>>();

function _refreshToken(init: RequestInit | undefined): string | undefined {
  const body = init?.body;
  const params = body instanceof URLSearchParams
    ? body
    : typeof body === "string"
    ? new URLSearchParams(body)
    : undefined;
  return params?.get("grant_type") === "refresh_token"
    ? params.get("refresh_token") ?? undefined
    : undefined;
}

function _bearer(init: RequestInit | undefined): string | undefined {
  const value = new Headers(init?.headers).get("authorization");
  return value?.match(/^Bearer\s+(\S+)$/i)?.[1];
}

function _accessToken(answer: _Answer | undefined): string | undefined {
  if (answer === undefined || answer.status !== 200) return undefined;
  try {
    const token = JSON.parse(new TextDecoder().decode(answer.body))
      ?.access_token;
    return typeof token === "string" ? token : undefined;
  } catch {
    return undefined;
  }
}

// A 401 for a token the last refresh (finished or in flight) replaced: once
// more with the new token.
async function _retryRefused(
  refreshes: Map<string, _Refresh>,
  key: string,
  base: FetchLike,
  url: string | URL,
  init: RequestInit | undefined,
  response: Response,
): Promise<Response> {
  const sent = _bearer(init);
  const last = refreshes.get(key);
  if (sent === undefined || last === undefined) return response;
  const access = _accessToken(await last.answer.catch(() => undefined));
  if (access === undefined || access === sent) return response;
  await response.body?.cancel();
  const headers = new Headers(init?.headers);
  headers.set("authorization", `Bearer ${access}`);
  return await base(url, { ...init, headers });
}

/** Whose refreshes {@linkcode refreshOnceFetch} shares. */
export interface RefreshOnceOptions {
  /** The store the tokens live in (refreshes are shared within one store). */
  store: object;
  /** The server's key in `mcpServers`. */
  key: string;
  /** The server's URL. */
  url: string;
}

/**
 * A fetch that runs each refresh of a server's tokens once: a refresh that
 * posts the refresh token another one is posting, or posted last, gets a
 * copy of that one's answer instead of a request of its own.
 *
 * @param base The fetch to wrap.
 * @param options The store and the server the tokens belong to.
 * @returns The fetch to give the transport (it also serves `auth()`).
 *
 * @example Give a transport the fetch
 * ```ts
 * import { refreshOnceFetch } from "./refresh_once.ts";
 * import { MemoryOAuthStore } from "./oauth_store.ts";
 * const fetchFn = refreshOnceFetch(fetch, {
 *   store: new MemoryOAuthStore(),
 *   key: "github",
 *   url: "https://api.githubcopilot.com/mcp/",
 * });
 * ```
 */
export function refreshOnceFetch(
  base: FetchLike,
  options: RefreshOnceOptions,
): FetchLike {
  const { store } = options;
  const key = `${options.key}\n${options.url}`;
  let refreshes = _refreshes.get(store);
  if (refreshes === undefined) {
    refreshes = new Map();
    _refreshes.set(store, refreshes);
  }
  const shared = refreshes;
  return async (url, init) => {
    const token = init?.method === "POST" ? _refreshToken(init) : undefined;
    if (token === undefined) {
      const response = await base(url, init);
      return response.status === 401
        ? await _retryRefused(shared, key, base, url, init, response)
        : response;
    }
    let last = shared.get(key);
    if (last?.token !== token) {
      const post = () =>
        base(url, init).then(async (response) => ({
          status: response.status,
          statusText: response.statusText,
          headers: [...response.headers],
          body: await response.arrayBuffer(),
        }));
      const answer = "shareRefresh" in store
        ? (store as SharedRefresh).shareRefresh(key, token, post)
        : post();
      last = { token, answer };
      shared.set(key, last);
      // A failed request may be retried with the same token.
      answer.catch(() => {
        if (shared.get(key) === last) shared.delete(key);
      });
    }
    const answer = await last.answer;
    return new Response(answer.body.slice(0), {
      status: answer.status,
      statusText: answer.statusText,
      headers: answer.headers,
    });
  };
}

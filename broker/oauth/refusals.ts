/**
 * What the server's refusals tell the OAuth provider. A 401 or 403 means the
 * tokens in hand may be stale (another process, such as `execbox auth`, may
 * have stored new ones), so the provider reads its store again; a 403 with
 * `insufficient_scope` names the wider scope a step-up needs, kept for the
 * next login.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/shared/transport"
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";

/** Told of the server's refusals by {@linkcode watchRefusals}. */
export interface RefusalListener {
  /** A 401 or 403 arrived: reread the store before the next use. */
  forget(): void;
  /** A 403 `insufficient_scope` asked for this scope. */
  noteScope(scope: string): Promise<void>;
}

/**
 * Wraps a fetch to report the server's refusals.
 *
 * @param base The fetch to wrap.
 * @param listener Who to tell.
 * @returns The wrapped fetch.
 *
 * @example Watch a transport's requests
 * ```ts
 * import { watchRefusals } from "./refusals.ts";
 * const watched = watchRefusals(fetch, {
 *   forget: () => {},
 *   noteScope: () => Promise.resolve(),
 * });
 * ```
 */
export function watchRefusals(
  base: FetchLike,
  listener: RefusalListener,
): FetchLike {
  return async (url, init) => {
    const response = await base(url, init);
    if (response.status !== 401 && response.status !== 403) return response;
    listener.forget();
    const challenge = response.headers.get("www-authenticate") ?? "";
    if (
      response.status === 403 && /error="?insufficient_scope/.test(challenge)
    ) {
      const scope = /scope="([^"]*)"/.exec(challenge)?.[1];
      if (scope) await listener.noteScope(scope);
    }
    return response;
  };
}

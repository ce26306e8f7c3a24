/**
 * The one place where the request the broker sends is built from the guest's
 * request and the rule that allows it. Whatever must change what leaves the
 * broker (injected credentials, a value to restore) changes it here.
 *
 * @module
 */

import type { CheckedRule } from "./allow_list.ts";

/** One hop of a guest's request, as the broker will send it. */
export interface OutgoingHop {
  /** The hop's URL. */
  url: URL;
  /** Its method (a redirect may turn it into GET). */
  method: string;
  /** The guest's headers, in order. */
  guestHeaders: readonly [string, string][];
  /** The body, absent for none. */
  body: Uint8Array<ArrayBuffer> | undefined;
  /** Whether this hop left the origin of the guest's request. */
  crossOrigin: boolean;
}

// Headers the guest may not set: the connection's own, and Host (which would
// reach another virtual host behind an allowed address).
const _DROPPED: ReadonlySet<string> = new Set([
  "host",
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "content-length",
]);
// What the Fetch standard drops on a redirect to another origin.
const _CROSS_ORIGIN_DROPPED: ReadonlySet<string> = new Set([
  "authorization",
  "cookie",
]);

/**
 * Builds the request for one hop: the guest's headers (less those it may not
 * set), then the rule's headers, which replace any of the same name. Only the
 * rule of this hop contributes: a redirect never carries another rule's
 * headers.
 *
 * @param hop The hop.
 * @param rule The rule that allows it.
 * @param signal Aborts the request.
 * @returns The request to send, with `redirect: "manual"`.
 */
export function buildOutgoingRequest(
  hop: OutgoingHop,
  rule: CheckedRule,
  signal: AbortSignal,
): Request {
  const headers = new Headers();
  for (const [name, value] of hop.guestHeaders) {
    const lower = name.toLowerCase();
    if (_DROPPED.has(lower)) continue;
    if (hop.crossOrigin && _CROSS_ORIGIN_DROPPED.has(lower)) continue;
    headers.append(name, value);
  }
  for (const [name, value] of rule.headers) headers.set(name, value);
  return new Request(hop.url, {
    method: hop.method,
    headers,
    ...(hop.body === undefined ? {} : { body: hop.body }),
    redirect: "manual",
    signal,
  });
}

/**
 * The guest's request as it arrives in a `call` frame, checked: the
 * subprocess is hostile, so nothing in it is assumed.
 *
 * @module
 */

import type { WireRequest } from "../../runtime/fetch.ts";
import { decodeBase64 } from "./base64.ts";

/** A guest request after {@linkcode parseWireRequest}. */
export interface GuestRequest {
  /** The method, as sent. */
  method: string;
  /** The URL. */
  url: URL;
  /** The guest's headers, in order. */
  headers: [string, string][];
  /** The body, absent for none. */
  body: Uint8Array<ArrayBuffer> | undefined;
  /** The guest's redirect mode. */
  redirect: WireRequest["redirect"];
}

const _TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const _REDIRECT: ReadonlySet<string> = new Set(["follow", "manual", "error"]);

/**
 * Checks the argument of a `fetch` call frame.
 *
 * @param args The parsed JSON argument.
 * @returns The request.
 * @throws {TypeError} When a field is missing or malformed.
 */
export function parseWireRequest(args: unknown): GuestRequest {
  const bad = (what: string) =>
    new TypeError(`fetch request is malformed: ${what}`);
  if (args === null || typeof args !== "object" || Array.isArray(args)) {
    throw bad("not an object");
  }
  const wire = args as Record<string, unknown>;
  const { method, url, headers, body, redirect } = wire;
  if (typeof method !== "string" || !_TOKEN.test(method)) {
    throw bad(`invalid method ${JSON.stringify(method)}`);
  }
  if (typeof url !== "string" || !URL.canParse(url)) {
    throw bad(`invalid URL ${JSON.stringify(url)}`);
  }
  if (
    !Array.isArray(headers) ||
    !headers.every((pair) =>
      Array.isArray(pair) && pair.length === 2 &&
      typeof pair[0] === "string" && typeof pair[1] === "string"
    )
  ) {
    throw bad("headers are not name and value pairs");
  }
  try {
    new Headers(headers as [string, string][]);
  } catch (error) {
    throw bad(`invalid header: ${(error as Error).message}`);
  }
  let bytes: Uint8Array<ArrayBuffer> | undefined;
  if (body !== undefined) {
    if (typeof body !== "string") throw bad("body is not base64 text");
    try {
      bytes = decodeBase64(body);
    } catch {
      throw bad("body is not base64 text");
    }
  }
  if (typeof redirect !== "string" || !_REDIRECT.has(redirect)) {
    throw bad(`invalid redirect mode ${JSON.stringify(redirect)}`);
  }
  if (bytes !== undefined && (method === "GET" || method === "HEAD")) {
    throw bad(`a ${method} request has a body`);
  }
  return {
    method,
    url: new URL(url),
    headers: headers as [string, string][],
    body: bytes,
    redirect: redirect as WireRequest["redirect"],
  };
}

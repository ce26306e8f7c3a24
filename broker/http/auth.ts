/**
 * Who may reach the HTTP app: bearer tokens (compared in constant time),
 * the `Host` and `Origin` checks against DNS rebinding, and the rule that a
 * service without a token listens on loopback only.
 *
 * @module
 */

import { ExecboxError } from "../errors.ts";

/** Why a request is refused. */
export interface AccessRefusal {
  /** 401 without a valid token, 403 for a foreign host or origin. */
  status: 401 | 403;
  /** The error code of the response. */
  code: "unauthorized" | "forbidden_host" | "forbidden_origin";
  /** What is wrong; never the token. */
  message: string;
  /** Headers of the response (`WWW-Authenticate` for a 401). */
  headers: Record<string, string>;
}

/**
 * Decides whether a request may reach an endpoint that needs access: its
 * `Host` and `Origin` first, then its bearer token when any is configured.
 *
 * @param request The request.
 * @param tokens The configured tokens.
 * @param policy The accepted hosts and origins.
 * @returns The caller's token name (`undefined` when no token is
 * configured), or the refusal.
 */
export async function checkAccess(
  request: Request,
  tokens: BearerTokens,
  policy: OriginPolicy,
): Promise<{ caller: string | undefined } | AccessRefusal> {
  const foreign = checkRequestOrigin(request, policy);
  if (foreign !== undefined) return { status: 403, ...foreign, headers: {} };
  if (!tokens.enabled) return { caller: undefined };
  const who = await tokens.identify(request.headers.get("authorization"));
  if (typeof who !== "string") return who;
  return who === "missing"
    ? {
      status: 401,
      code: "unauthorized",
      message: "This endpoint needs an Authorization: Bearer <token> header",
      headers: { "WWW-Authenticate": "Bearer" },
    }
    : {
      status: 401,
      code: "unauthorized",
      message: "The bearer token is not valid",
      headers: { "WWW-Authenticate": 'Bearer error="invalid_token"' },
    };
}

/** The caller name of the unnamed `token` option. */
export const DEFAULT_TOKEN_NAME = "default";

/** Host names that reach this machine only. */
const _LOOPBACK_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "[::1]"];

const _encoder = new TextEncoder();

/** The configured bearer tokens, each with the name of its caller. */
export class BearerTokens {
  readonly #tokens: readonly (readonly [name: string, token: string])[];
  #digests: Promise<(readonly [string, Uint8Array])[]> | undefined;

  /**
   * @param token The unnamed token, whose caller is {@linkcode DEFAULT_TOKEN_NAME}.
   * @param tokens Tokens by caller name.
   * @throws {TypeError} On an empty token or name, or a token given twice
   * (its caller would be ambiguous).
   */
  constructor(token?: string, tokens: Record<string, string> = {}) {
    const all = Object.entries(tokens);
    if (token !== undefined) all.unshift([DEFAULT_TOKEN_NAME, token]);
    const seen = new Set<string>();
    for (const [name, value] of all) {
      if (name === "") throw new TypeError("A token name must not be empty");
      if (typeof value !== "string" || value === "") {
        throw new TypeError(
          `The token of "${name}" must be a non-empty string`,
        );
      }
      if (seen.has(value)) {
        throw new TypeError(
          `The token of "${name}" is also another caller's token; give each caller its own`,
        );
      }
      seen.add(value);
    }
    this.#tokens = all;
  }

  /** Whether any token is configured (and so every request needs one). */
  get enabled(): boolean {
    return this.#tokens.length > 0;
  }

  /**
   * The caller an `Authorization` header proves, if any.
   *
   * Both sides are hashed with SHA-256 and every configured digest is
   * compared in full, so the time taken says nothing about how much of a
   * guess was right, nor about the tokens' lengths.
   *
   * @param header The request's `Authorization` header.
   * @returns The caller's name, `"missing"` without a bearer token, or
   * `"invalid"` for a token that matches none.
   */
  async identify(
    header: string | null,
  ): Promise<{ caller: string } | "missing" | "invalid"> {
    const match = header?.match(/^Bearer +(\S+) *$/i);
    if (match === null || match === undefined) return "missing";
    const presented = await _sha256(match[1]!);
    this.#digests ??= Promise.all(
      this.#tokens.map(async ([name, token]) =>
        [name, await _sha256(token)] as const
      ),
    );
    let caller: string | undefined;
    for (const [name, digest] of await this.#digests) {
      if (_equalDigests(presented, digest)) caller ??= name;
    }
    return caller === undefined ? "invalid" : { caller };
  }
}

async function _sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", _encoder.encode(text)),
  );
}

/** Compares two digests of equal length without stopping at a difference. */
function _equalDigests(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ (b[i] ?? 0);
  return difference === 0;
}

/** What {@linkcode checkRequestOrigin} admits. */
export interface OriginPolicy {
  /** `Host` values accepted; `undefined` accepts any. */
  allowedHosts: readonly string[] | undefined;
  /** `Origin` values accepted; a request without `Origin` always passes. */
  allowedOrigins: readonly string[];
  /**
   * Whether a loopback `Origin` (`http://localhost:<port>`,
   * `http://127.0.0.1:<port>`, `http://[::1]:<port>`, or `https:`) is
   * accepted on a request whose `Host` is a loopback name too.
   */
  loopbackOrigins: boolean;
}

/**
 * The policy of {@linkcode createHttpApp}'s options: without a token the
 * service is for this machine only, so `Host` must be a loopback name, and
 * pages served from this machine (a loopback origin, such as the MCP
 * Inspector's) may call it.
 *
 * @param options The app's `allowedHosts` and `allowedOrigins`.
 * @param hasToken Whether any token is configured.
 * @returns The policy.
 */
export function originPolicy(
  options: { allowedHosts?: string[]; allowedOrigins?: string[] },
  hasToken: boolean,
): OriginPolicy {
  return {
    allowedHosts: options.allowedHosts ??
      (hasToken ? undefined : _LOOPBACK_HOSTS),
    allowedOrigins: options.allowedOrigins ?? [],
    loopbackOrigins: !hasToken,
  };
}

/**
 * Checks the `Host` and `Origin` headers against DNS rebinding: a web page
 * whose name was re-pointed at this service sends its own name in `Host` and
 * its own origin in `Origin`, and browsers send `Origin` with every `POST`.
 *
 * An allowed host without a port matches that host on any port; with a port,
 * that port only. Names are compared without regard to case.
 *
 * @param request The request; without a `Host` header (a request made in
 * process, as Hono's `app.request()` makes), its URL's host is checked.
 * @param policy What to admit.
 * @returns `undefined` when admitted, else why not.
 */
export function checkRequestOrigin(
  request: Request,
  policy: OriginPolicy,
):
  | { code: "forbidden_host" | "forbidden_origin"; message: string }
  | undefined {
  const host = (request.headers.get("host") ?? new URL(request.url).host)
    .toLowerCase();
  const name = _withoutPort(host);
  const origin = request.headers.get("origin");
  if (
    origin !== null && !policy.allowedOrigins.includes(origin) &&
    !(policy.loopbackOrigins && isLoopbackHostname(name) &&
      _isLoopbackOrigin(origin))
  ) {
    return {
      code: "forbidden_origin",
      message: `Origin ${JSON.stringify(origin)} is not allowed${
        policy.allowedOrigins.length > 0
          ? ""
          : policy.loopbackOrigins
          ? " (only loopback origins such as http://localhost:<port> are; set allowedOrigins)"
          : " (no origins are allowed; set allowedOrigins)"
      }`,
    };
  }
  const allowed = policy.allowedHosts;
  if (allowed === undefined) return undefined;
  const ok = allowed.some((entry) => {
    const wanted = entry.toLowerCase();
    return wanted === host || wanted === name;
  });
  return ok ? undefined : {
    code: "forbidden_host",
    message: `Host ${JSON.stringify(host)} is not allowed (allowed: ${
      allowed.join(", ")
    })`,
  };
}

/** `http(s)://` a loopback name, an optional port, and nothing else. */
function _isLoopbackOrigin(origin: string): boolean {
  const match = /^https?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i
    .exec(origin);
  return match !== null && isLoopbackHostname(match[1]!);
}

function _withoutPort(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.indexOf(":");
  return colon === -1 ? host : host.slice(0, colon);
}

/**
 * Whether a `Host` header is a host name or address with an optional port
 * from 0 to 65535, that a URL can be made of (the same check as the host
 * seam's, in `host/http_server.ts`).
 *
 * @param host The header's value.
 * @returns `true` for a well-formed `Host`.
 */
export function isHostHeader(host: string): boolean {
  const match = /^(?:[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/i.exec(host);
  if (match === null || Number(match[1] ?? 0) > 65_535) return false;
  try {
    new URL(`http://${host}/`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a listening address reaches this machine only: `localhost`,
 * `127.0.0.0/8` or `::1`.
 *
 * @param hostname The address to listen on.
 * @returns `true` for a loopback address.
 */
export function isLoopbackHostname(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return name === "localhost" || name === "::1" ||
    name === "0:0:0:0:0:0:0:1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/**
 * Refuses to serve without a token on anything but a loopback address,
 * where anyone who can reach the port could run code with the host's tools.
 *
 * @param hostname The address the service is to listen on.
 * @param hasToken Whether a bearer token (`token` or `tokens`) is configured.
 * @throws {ExecboxError} `unsafe_binding` for a non-loopback address without
 * a token.
 *
 * @example Check the address before serving
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertSafeBinding } from "./app.ts";
 *
 * assertSafeBinding("127.0.0.1", false);
 * assertSafeBinding("0.0.0.0", true);
 * assert.throws(() => assertSafeBinding("0.0.0.0", false), /unsafe|token/);
 * ```
 */
export function assertSafeBinding(hostname: string, hasToken: boolean): void {
  if (hasToken || isLoopbackHostname(hostname)) return;
  throw new ExecboxError(
    "unsafe_binding",
    `Cannot listen on ${
      JSON.stringify(hostname)
    } without a token: anyone who reaches it could run code with the host's tools; set http.token (or http.tokens), or listen on a loopback address such as "127.0.0.1"`,
  );
}

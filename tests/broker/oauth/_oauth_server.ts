/**
 * A protected MCP server and its OAuth authorization server, on one loopback
 * origin, written for the tests: RFC 9728 protected-resource metadata, RFC
 * 8414 authorization-server metadata, dynamic client registration, the
 * authorization code grant with PKCE (S256, checked), refresh tokens that
 * rotate (a used one is refused), and client credentials with Basic
 * authentication. The authorization endpoint approves at once, so a test
 * plays the browser by following its redirect.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { z } from "zod";
import { denoHost } from "../../../broker/host/deno.ts";
import type { OAuthStore } from "../../../broker/oauth/oauth_store.ts";
import { loginUpstream } from "../../../broker/upstream/login.ts";

/** What the authorization server counted. */
export interface OAuthCounts {
  registrations: number;
  authorizations: number;
  codeGrants: number;
  refreshes: number;
  clientCredentials: number;
  /** Requests to `/mcp` answered 401. */
  unauthorized: number;
}

/** A running protected server; disposing of it stops it. */
export interface OAuthServer extends AsyncDisposable {
  /** Its origin, such as `http://127.0.0.1:43210`. */
  origin: string;
  /** The MCP endpoint, `<origin>/mcp`. */
  url: string;
  counts: OAuthCounts;
  /** The body of every token request, in order. */
  tokenRequests: URLSearchParams[];
  /** Every bearer token `/mcp` received, in order. */
  bearers: string[];
  /** Makes every access token issued so far invalid (as if expired). */
  expireAccessTokens(): void;
  /** Makes every access and refresh token issued so far invalid. */
  revokeAll(): void;
  /**
   * Holds the answer to refresh requests until `release` settles (so a test
   * can make refreshes overlap).
   */
  holdRefreshes(release: Promise<void>): void;
  /** Settles when `/mcp` has answered 401 `n` times in all. */
  unauthorizedCount(n: number): Promise<void>;
}

/** Options of {@linkcode startOAuthServer}. */
export interface OAuthServerOptions {
  /** A client registered beforehand for client credentials. */
  machineClient?: { id: string; secret: string };
  /** JSON-RPC methods `/mcp` answers without a token (all others need one). */
  publicMethods?: string[];
  /**
   * A scope `tools/call` needs beyond `"base"` (the only one the metadata
   * lists): a token without it gets 403 `insufficient_scope`.
   */
  toolScope?: string;
}

async function _s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(verifier),
  );
  return btoa(String.fromCharCode(...new Uint8Array(digest)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function _json(body: unknown, status = 200): Response {
  return Response.json(body, { status });
}

function _mcpServer(): McpServer {
  const server = new McpServer({ name: "protected", version: "1.0.0" });
  server.registerTool("add", {
    description: "Adds two numbers",
    inputSchema: { a: z.number(), b: z.number() },
  }, ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }));
  server.registerTool("whoami", {
    description: "Fails with the caller's bearer token in the message",
  }, (extra) => ({
    content: [{
      type: "text",
      text: `Token ${
        String(extra.requestInfo?.headers["authorization"] ?? "").replace(
          /^Bearer /,
          "",
        )
      } is not allowed`,
    }],
    isError: true,
  }));
  return server;
}

/**
 * Starts the protected server and its authorization server.
 *
 * @param options A pre-registered client credentials client, if any.
 * @returns The running server.
 */
export function startOAuthServer(
  options: OAuthServerOptions = {},
): OAuthServer {
  const counts: OAuthCounts = {
    registrations: 0,
    authorizations: 0,
    codeGrants: 0,
    refreshes: 0,
    clientCredentials: 0,
    unauthorized: 0,
  };
  const tokenRequests: URLSearchParams[] = [];
  const bearers: string[] = [];
  const clients = new Map<string, { redirectUris: string[] }>();
  const codes = new Map<
    string,
    {
      clientId: string;
      challenge: string;
      redirectUri: string;
      scopes: string[];
    }
  >();
  // Each token with the scopes it grants.
  const accessTokens = new Map<string, string[]>();
  const refreshTokens = new Map<string, string[]>();
  let hold: Promise<void> | undefined;
  const waiters: { n: number; resolve: () => void }[] = [];
  let origin = "";

  const issue = (refresh: boolean, scopes: string[] = []) => {
    const access = `at-${crypto.randomUUID()}`;
    accessTokens.set(access, scopes);
    const body: Record<string, unknown> = {
      access_token: access,
      token_type: "Bearer",
      expires_in: 3600,
    };
    if (refresh) {
      const token = `rt-${crypto.randomUUID()}`;
      refreshTokens.set(token, scopes);
      body.refresh_token = token;
    }
    return _json(body);
  };

  const token = async (request: Request): Promise<Response> => {
    const params = new URLSearchParams(await request.text());
    tokenRequests.push(params);
    const grant = params.get("grant_type");
    if (grant === "authorization_code") {
      const code = codes.get(params.get("code") ?? "");
      codes.delete(params.get("code") ?? "");
      if (
        code === undefined ||
        code.redirectUri !== params.get("redirect_uri") ||
        code.challenge !== await _s256(params.get("code_verifier") ?? "")
      ) return _json({ error: "invalid_grant" }, 400);
      counts.codeGrants++;
      return issue(true, code.scopes);
    }
    if (grant === "refresh_token") {
      counts.refreshes++;
      await hold;
      const old = params.get("refresh_token") ?? "";
      const scopes = refreshTokens.get(old);
      // Rotation: a refresh token works once.
      if (scopes === undefined || !refreshTokens.delete(old)) {
        return _json({ error: "invalid_grant" }, 400);
      }
      return issue(true, scopes);
    }
    if (grant === "client_credentials") {
      const machine = options.machineClient;
      const basic = request.headers.get("authorization") ?? "";
      const expected = machine === undefined
        ? undefined
        : `Basic ${btoa(`${machine.id}:${machine.secret}`)}`;
      if (expected === undefined || basic !== expected) {
        return _json({ error: "invalid_client" }, 401);
      }
      counts.clientCredentials++;
      return issue(false);
    }
    return _json({ error: "unsupported_grant_type" }, 400);
  };

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      switch (url.pathname) {
        case "/.well-known/oauth-protected-resource/mcp":
          return _json({
            resource: `${origin}/mcp`,
            authorization_servers: [origin],
            ...(options.toolScope ? { scopes_supported: ["base"] } : {}),
          });
        case "/.well-known/oauth-authorization-server":
          return _json({
            issuer: origin,
            authorization_endpoint: `${origin}/authorize`,
            token_endpoint: `${origin}/token`,
            registration_endpoint: `${origin}/register`,
            response_types_supported: ["code"],
            grant_types_supported: [
              "authorization_code",
              "refresh_token",
              "client_credentials",
            ],
            code_challenge_methods_supported: ["S256"],
            token_endpoint_auth_methods_supported: [
              "none",
              "client_secret_basic",
            ],
          });
        case "/register": {
          const body = await request.json();
          counts.registrations++;
          const id = `client-${crypto.randomUUID()}`;
          clients.set(id, { redirectUris: body.redirect_uris ?? [] });
          return _json({ ...body, client_id: id }, 201);
        }
        case "/authorize": {
          counts.authorizations++;
          const q = url.searchParams;
          const client = clients.get(q.get("client_id") ?? "");
          const redirectUri = q.get("redirect_uri") ?? "";
          if (
            client === undefined || !client.redirectUris.includes(redirectUri)
          ) return new Response("unknown client", { status: 400 });
          if (q.get("code_challenge_method") !== "S256") {
            return new Response("PKCE S256 required", { status: 400 });
          }
          const code = crypto.randomUUID();
          codes.set(code, {
            clientId: q.get("client_id")!,
            challenge: q.get("code_challenge") ?? "",
            redirectUri,
            scopes: (q.get("scope") ?? "").split(" ").filter(Boolean),
          });
          const back = new URL(redirectUri);
          back.searchParams.set("code", code);
          const state = q.get("state");
          if (state !== null) back.searchParams.set("state", state);
          return Response.redirect(back, 302);
        }
        case "/token":
          return await token(request);
        case "/mcp": {
          const bearer = request.headers.get("authorization")?.replace(
            /^Bearer /,
            "",
          );
          if (bearer !== undefined) bearers.push(bearer);
          const method = request.method === "POST"
            ? await request.clone().json().then(
              (body) => body?.method,
              () => undefined,
            )
            : undefined;
          const open = options.publicMethods?.includes(method) ?? false;
          if (!open && (bearer === undefined || !accessTokens.has(bearer))) {
            counts.unauthorized++;
            for (const w of waiters) {
              if (counts.unauthorized >= w.n) w.resolve();
            }
            return new Response(null, {
              status: 401,
              headers: {
                "www-authenticate":
                  `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`,
              },
            });
          }
          const granted = accessTokens.get(bearer ?? "") ?? [];
          if (
            options.toolScope && method === "tools/call" &&
            !granted.includes(options.toolScope)
          ) {
            return new Response(null, {
              status: 403,
              headers: {
                "www-authenticate":
                  `Bearer error="insufficient_scope", scope="base ${options.toolScope}", resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`,
              },
            });
          }
          if (request.method !== "POST") {
            return new Response(null, { status: 405 });
          }
          const transport = new WebStandardStreamableHTTPServerTransport({});
          await _mcpServer().connect(transport);
          return await transport.handleRequest(request);
        }
      }
      return new Response(null, { status: 404 });
    },
  );
  origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    origin,
    url: `${origin}/mcp`,
    counts,
    tokenRequests,
    bearers,
    expireAccessTokens: () => accessTokens.clear(),
    revokeAll: () => {
      accessTokens.clear();
      refreshTokens.clear();
    },
    holdRefreshes: (release) => (hold = release),
    unauthorizedCount: (n) =>
      counts.unauthorized >= n
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ n, resolve })),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/**
 * Plays the browser: opens the authorization URL and follows its redirect
 * to the loopback callback.
 *
 * @param url The authorization URL.
 * @param tamper Changes the redirect before it is followed.
 */
export async function followAuthorization(
  url: URL,
  tamper: (redirect: URL) => URL = (r) => r,
): Promise<void> {
  const response = await fetch(url, { redirect: "manual" });
  await response.body?.cancel();
  const location = response.headers.get("location");
  if (location === null) {
    throw new Error(`Authorization answered ${response.status}`);
  }
  const back = await fetch(tamper(new URL(location)));
  await back.body?.cancel();
}

/**
 * Logs in to `url` as the upstream "docs", playing the browser with
 * {@link followAuthorization}.
 *
 * @param url The server's MCP endpoint.
 * @param store Where the tokens go.
 * @param tamper Changes the redirect before it is followed.
 * @returns What `loginUpstream()` returns.
 */
export function loginDocs(
  url: string,
  store: OAuthStore,
  tamper?: (redirect: URL) => URL,
): ReturnType<typeof loginUpstream> {
  return loginUpstream({
    key: "docs",
    config: { url },
    store,
    host: denoHost,
    open: (authorization) => followAuthorization(authorization, tamper),
  });
}

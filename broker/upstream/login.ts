/**
 * The interactive OAuth login to one HTTP upstream server (`execbox auth
 * <server>`): discovery, registration when no client id is configured, the
 * authorization URL (PKCE), the redirect received on a loopback port, and
 * the tokens stored for `serve` and `mcp` to use.
 *
 * @module
 */

import { Client } from "@modelcontextprotocol/sdk/client";
// @ts-types="@modelcontextprotocol/sdk/client/auth"
import {
  auth as sdkAuth,
  UnauthorizedError,
} from "@modelcontextprotocol/sdk/client/auth.js";
// @ts-types="@modelcontextprotocol/sdk/client/sse"
import type { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import denoJson from "../../deno.json" with { type: "json" };
import { ExecboxError } from "../errors.ts";
import type { Host } from "../host/host.ts";
import { ExecboxOAuthProvider } from "../oauth/oauth_provider.ts";
import type { OAuthStore } from "../oauth/oauth_store.ts";
import { refreshOnceFetch } from "../oauth/refresh_once.ts";
import { redact } from "../redact.ts";
import type { McpHttpServerConfig } from "./config.ts";
import { transportAttempts } from "./transport.ts";

/** What {@linkcode loginUpstream} needs. */
export interface LoginUpstreamOptions {
  /** The server's key in `mcpServers`. */
  key: string;
  /** The server. */
  config: McpHttpServerConfig;
  /** Where the tokens go. */
  store: OAuthStore;
  /** The operating-system seam: serves the loopback callback. */
  host: Host;
  /**
   * Shows the authorization URL to the person logging in (prints it, opens
   * a browser); a test follows it itself.
   */
  open: (url: URL) => void | Promise<void>;
  /**
   * How long to wait for the redirect, in milliseconds.
   * @default {300000}
   */
  timeoutMs?: number;
}

/** What a login ended with. */
export interface LoginUpstreamResult {
  /** Whether a browser step was needed (false: tokens came without one). */
  interactive: boolean;
  /** How many tools the server lists with the new tokens. */
  tools: number;
}

/**
 * Logs in to an HTTP upstream server and stores its tokens.
 *
 * @param options The server, the store and how to show the URL.
 * @returns Whether a browser step was needed, and the server's tool count.
 * @throws {ExecboxError} `oauth_error` when the redirect carries an error, a
 * wrong `state`, or does not come in time; the SDK's errors otherwise.
 *
 * @example Log in, following the URL as a browser would
 * ```ts ignore
 * import { denoHost } from "../host/deno.ts";
 * import { MemoryOAuthStore } from "../oauth/oauth_store.ts";
 * import { loginUpstream } from "./login.ts";
 *
 * await loginUpstream({
 *   key: "docs",
 *   config: { url: "https://mcp.example/mcp" },
 *   store: new MemoryOAuthStore(),
 *   host: denoHost,
 *   open: (url) => console.error(`Open ${url}`),
 * });
 * ```
 */
export async function loginUpstream(
  options: LoginUpstreamOptions,
): Promise<LoginUpstreamResult> {
  const { key, config, store } = options;
  // Not Promise.withResolvers: Node.js 20 lacks it.
  let received!: (url: URL) => void;
  const redirect = new Promise<URL>((resolve) => (received = resolve));
  const server = await options.host.serve((request) => {
    const url = new URL(request.url);
    if (url.pathname !== "/callback") {
      return new Response("Not found", { status: 404 });
    }
    received(url);
    return new Response(
      "<!doctype html><title>execbox</title><p>Logged in. You can close this tab.</p>",
      { headers: { "content-type": "text/html; charset=utf-8" } },
    );
  }, { hostname: "127.0.0.1", port: config.oauth?.redirectPort ?? 0 });
  const secrets: string[] = [];
  try {
    const redirectUrl = `http://127.0.0.1:${server.address.port}/callback`;
    const record = await store.get(key) ?? {};
    delete record.tokens;
    delete record.codeVerifier;
    // A registration made for another redirect URI would be refused.
    const client = record.client as { redirect_uris?: string[] } | undefined;
    if (
      config.oauth?.clientId === undefined &&
      !client?.redirect_uris?.includes(redirectUrl)
    ) delete record.client;
    await store.set(key, record);

    const receivedCode = async (): Promise<string> => {
      const url = await _wait(redirect, options.timeoutMs ?? 300_000);
      const error = url.searchParams.get("error");
      if (error !== null) {
        const description = url.searchParams.get("error_description");
        throw new ExecboxError(
          "oauth_error",
          `OAuth login to MCP server "${key}" failed: ${error}${
            description ? ` (${description})` : ""
          }`,
        );
      }
      const state = url.searchParams.get("state");
      if (state === null || state !== provider.lastState) {
        throw new ExecboxError(
          "oauth_error",
          `OAuth login to MCP server "${key}" failed: the redirect's state does not match`,
        );
      }
      const code = url.searchParams.get("code");
      if (code === null) {
        throw new ExecboxError(
          "oauth_error",
          `OAuth login to MCP server "${key}" failed: the redirect has no code`,
        );
      }
      return code;
    };
    let shown = false;
    const provider = new ExecboxOAuthProvider({
      key,
      config: config.oauth,
      store,
      secrets,
      login: {
        redirectUrl,
        open: async (url) => {
          shown = true;
          await options.open(url);
        },
      },
    });
    const refreshing = refreshOnceFetch(fetch, { store, key, url: config.url });
    const auth = { provider, fetch: refreshing };
    const transport = transportAttempts(config, options.host, auth)[0]!() as
      | StreamableHTTPClientTransport
      | SSEClientTransport;
    // Starts a login without a 401 to start it; false when none was needed.
    const authorize = async (scope: string | undefined): Promise<boolean> => {
      const started = await sdkAuth(provider, {
        serverUrl: config.url,
        ...(scope ? { scope } : {}),
        fetchFn: auth.fetch,
      });
      if (started !== "REDIRECT" || !shown) return false;
      await sdkAuth(provider, {
        serverUrl: config.url,
        authorizationCode: await receivedCode(),
        fetchFn: auth.fetch,
      });
      return true;
    };
    let interactive: boolean;
    if (record.scope !== undefined && record.discovery !== undefined) {
      // The server asked for a wider scope than the last login's (a
      // step-up): log in for that scope; discovery is in the record.
      interactive = await authorize(record.scope);
    } else {
      const first = await _connect(transport);
      interactive = first === undefined;
      if (first === undefined) {
        if (!shown) throw new Error(`MCP server "${key}" refused the login`);
        await transport.finishAuth(await receivedCode());
      } else {
        await first.close();
        // A server may answer `initialize` without a login and ask for one
        // only later (for a tool call): log in anyway when it publishes
        // OAuth metadata. One that does not needs no login.
        const machine = config.oauth?.grant === "client_credentials";
        if (!machine && (await store.get(key))?.tokens === undefined) {
          // Discovery failing means no OAuth; a failure after the browser
          // step is the login's.
          interactive = await authorize(config.oauth?.scope).catch((error) => {
            if (shown) throw error;
            return false;
          });
        }
      }
    }
    await provider.invalidateCredentials("verifier");
    // Prove the tokens work, through the same path `serve` takes.
    const check = new ExecboxOAuthProvider({
      key,
      config: config.oauth,
      store,
      secrets,
    });
    const again = await _connect(
      transportAttempts(config, options.host, {
        provider: check,
        fetch: refreshing,
      })[0]!(),
    );
    if (again === undefined) {
      throw new ExecboxError(
        "oauth_error",
        `OAuth login to MCP server "${key}" failed: the new tokens were refused`,
      );
    }
    try {
      const tools = again.getServerCapabilities()?.tools === undefined
        ? 0
        : (await again.listTools()).tools.length;
      return { interactive, tools };
    } finally {
      await again.close();
    }
  } catch (error) {
    if (error instanceof ExecboxError || secrets.length === 0) throw error;
    throw new Error(redact((error as Error).message, secrets), {
      cause: error,
    });
  } finally {
    await server.shutdown();
  }
}

// A connected client, or undefined when the server wants a login.
async function _connect(
  transport: Parameters<Client["connect"]>[0],
): Promise<Client | undefined> {
  const client = new Client(
    { name: "execbox", version: denoJson.version },
    { capabilities: {} },
  );
  try {
    await client.connect(transport);
    return client;
  } catch (error) {
    await client.close().catch(() => {});
    if (error instanceof UnauthorizedError) return undefined;
    throw error;
  }
}

async function _wait<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ExecboxError(
            "oauth_error",
            `OAuth login timed out after ${ms} ms waiting for the browser's redirect`,
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The transports that reach an upstream MCP server, in the order to try them:
 * a stdio subprocess in its own process group, or Streamable HTTP falling
 * back to SSE (SSE only for `type: "sse"`).
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/client/auth"
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
// @ts-types="@modelcontextprotocol/sdk/client/sse"
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/shared/transport"
import type {
  FetchLike,
  Transport,
} from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Host } from "../host/host.ts";
import type { McpServerConfig } from "./config.ts";
import { HostStdioTransport } from "./stdio_transport.ts";

/** OAuth for an HTTP server: the SDK's provider and the fetch it uses. */
export interface TransportAuth {
  /** Tokens, registration and login for the server. */
  provider: OAuthClientProvider;
  /** The fetch for MCP and OAuth requests (one refresh at a time). */
  fetch: FetchLike;
}

function _sse(
  url: string,
  headers: Record<string, string> = {},
  auth: TransportAuth | undefined,
): Transport {
  const base = auth?.fetch ?? fetch;
  return new SSEClientTransport(new URL(url), {
    requestInit: { headers },
    eventSourceInit: {
      fetch: (input, init) =>
        base(input, { ...init, headers: { ...init?.headers, ...headers } }),
    },
    ...(auth === undefined
      ? {}
      : { authProvider: auth.provider, fetch: auth.fetch }),
  });
}

/**
 * Makers of the transports to try for a server, first to last.
 *
 * @param config The server.
 * @param host The operating-system seam, for stdio servers.
 * @param auth OAuth for an HTTP server, when it may ask for it.
 * @returns One maker per attempt.
 */
export function transportAttempts(
  config: McpServerConfig,
  host: Host,
  auth?: TransportAuth,
): (() => Transport)[] {
  if ("command" in config) {
    // The SDK's default safe environment plus the listed variables, nothing
    // else from the host.
    return [() =>
      new HostStdioTransport({
        host,
        command: config.command,
        args: config.args ?? [],
        env: { ...getDefaultEnvironment(), ...config.env },
        ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
      })];
  }
  if (config.type === "sse") {
    return [() => _sse(config.url, config.headers, auth)];
  }
  return [
    () =>
      new StreamableHTTPClientTransport(new URL(config.url), {
        requestInit: { headers: config.headers ?? {} },
        ...(auth === undefined
          ? {}
          : { authProvider: auth.provider, fetch: auth.fetch }),
      }),
    () => _sse(config.url, config.headers, auth),
  ];
}

/**
 * The end of what a stdio server wrote to stderr, for start-up errors.
 *
 * @param transport The transport last tried.
 * @returns Up to 1000 characters, or "" for other transports.
 */
export function stderrTail(transport: Transport): string {
  return transport instanceof HostStdioTransport
    ? transport.stderrTail.trim().slice(-1000)
    : "";
}

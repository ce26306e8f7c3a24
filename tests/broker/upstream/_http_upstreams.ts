/**
 * MCP servers over HTTP on loopback ephemeral ports, for the broker's upstream
 * tests: a stateless Streamable HTTP server on `Deno.serve`, and an SSE-only
 * server (the SDK's deprecated `SSEServerTransport`) on `node:http`. Both
 * record the requests they get, with their `Authorization` header.
 *
 * @module
 */

import { createServer } from "node:http";
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/sse"
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
// @ts-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { z } from "zod";

/** A request an upstream received. */
export interface SeenRequest {
  method: string;
  path: string;
  /** Its `Authorization` header, or `null`. */
  authorization: string | null;
}

/** A running HTTP upstream; disposing of it stops it. */
export interface HttpUpstream extends AsyncDisposable {
  /** Its origin, such as `http://127.0.0.1:43210`. */
  origin: string;
  /** Every request so far, in order. */
  seen: SeenRequest[];
}

/**
 * The tools both servers offer: `add`; `whoami`, which logs the caller's
 * `Authorization` header and then fails with it in the message (as careless
 * servers do), so a test can check that the broker hides it; and
 * `check_token`, which fails with the bearer token without its scheme.
 */
function _mcpServer(): McpServer {
  const server = new McpServer(
    { name: "http-upstream", version: "1.0.0" },
    { capabilities: { logging: {} } },
  );
  server.registerTool("add", {
    description: "Adds two numbers",
    inputSchema: { a: z.number(), b: z.number() },
  }, ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }));
  server.registerTool("whoami", {
    description: "Fails with the caller's credentials in the message",
  }, async (extra) => {
    const authorization = String(
      extra.requestInfo?.headers["authorization"] ?? "none",
    );
    await extra.sendNotification({
      method: "notifications/message",
      params: { level: "info", data: `checking ${authorization}` },
    });
    return {
      content: [{
        type: "text",
        text: `Rejected credentials "${authorization}"`,
      }],
      isError: true,
    };
  });
  server.registerTool("check_token", {
    description: "Fails with the bearer token alone in the message",
  }, (extra) => {
    const authorization = String(
      extra.requestInfo?.headers["authorization"] ?? "",
    );
    return {
      content: [{
        type: "text",
        text: `Unknown token ${authorization.replace(/^Bearer\s+/i, "")}`,
      }],
      isError: true,
    };
  });
  return server;
}

/**
 * Starts a stateless Streamable HTTP server at `<origin>/mcp`.
 *
 * @returns The running server.
 */
export function startStreamableHttpUpstream(): HttpUpstream {
  const seen: SeenRequest[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      seen.push({
        method: request.method,
        path: url.pathname,
        authorization: request.headers.get("authorization"),
      });
      if (url.pathname !== "/mcp") return new Response(null, { status: 404 });
      // Stateless: no standalone stream for server-initiated messages.
      if (request.method !== "POST") {
        return new Response(null, { status: 405, headers: { allow: "POST" } });
      }
      // No `sessionIdGenerator`: stateless.
      const transport = new WebStandardStreamableHTTPServerTransport({});
      await _mcpServer().connect(transport);
      return await transport.handleRequest(request);
    },
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    seen,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/**
 * Starts a server that speaks only the old HTTP+SSE transport: `GET /sse`
 * opens the stream, `POST /messages?sessionId=...` carries the requests.
 *
 * @returns The running server.
 */
export async function startSseUpstream(): Promise<HttpUpstream> {
  const seen: SeenRequest[] = [];
  const transports = new Map<string, SSEServerTransport>();
  const http = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    seen.push({
      method: req.method ?? "",
      path: url.pathname,
      authorization: req.headers.authorization ?? null,
    });
    if (req.method === "GET" && url.pathname === "/sse") {
      const transport = new SSEServerTransport("/messages", res);
      transports.set(transport.sessionId, transport);
      res.on("close", () => transports.delete(transport.sessionId));
      await _mcpServer().connect(transport);
    } else if (req.method === "POST" && url.pathname === "/messages") {
      const transport = transports.get(url.searchParams.get("sessionId") ?? "");
      if (transport === undefined) res.writeHead(404).end();
      else await transport.handlePostMessage(req, res);
    } else {
      res.writeHead(405).end();
    }
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const address = http.address();
  const port = typeof address === "object" && address !== null
    ? address.port
    : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    async [Symbol.asyncDispose]() {
      await Promise.all([...transports.values()].map((t) => t.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

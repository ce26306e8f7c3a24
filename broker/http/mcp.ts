/**
 * The `/mcp` endpoint of the HTTP app: MCP Streamable HTTP, stateless, one
 * MCP server per request.
 *
 * @module
 */

// The SDK's ".js" subpaths have no types under Deno (typescript-sdk#2701).
// @ts-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Broker } from "../broker.ts";
import { createMcpServer, type McpServerOptions } from "../mcp/server.ts";
import type { ExecuteResult } from "../result.ts";

/** Status of a response nobody will read, as the client went away (nginx's). */
export const CLIENT_CLOSED_STATUS = 499;

/** What {@linkcode handleMcpRequest} needs besides the request. */
export interface McpRequestOptions {
  /** The request's body, already read (within the app's size limit). */
  body: string;
  /** Options of the request's MCP server. */
  mcp: McpServerOptions | undefined;
  /** The most messages a JSON-RPC batch may hold. */
  maxBatch: number;
  /** Called with every run the request's `execute` calls finish. */
  onRun: (run: ExecuteResult) => void;
}

/**
 * Answers one MCP request with a new server and transport (JSON responses,
 * no sessions), and closes both once it is answered. A client that
 * disconnects closes the server, which aborts its calls and so cancels
 * their runs. A batch larger than `maxBatch` is refused before any of it
 * runs.
 *
 * @param broker The broker the server offers.
 * @param request The HTTP request (`POST` with JSON-RPC messages).
 * @param options The body, server options, batch size and the run observer.
 * @returns The transport's response, a JSON-RPC error for an unparsable
 * body or an oversized batch, or an empty {@linkcode CLIENT_CLOSED_STATUS}
 * one after a disconnect.
 */
export async function handleMcpRequest(
  broker: Broker,
  request: Request,
  options: McpRequestOptions,
): Promise<Response> {
  const parsed = parseMcpBody(options.body, options.maxBatch);
  if (parsed instanceof Response) return parsed;
  const parsedBody = parsed.body;
  const runs = new Set<Promise<unknown>>();
  const server = createMcpServer(
    observedBroker(broker, options.onRun, runs),
    options.mcp,
  );
  // No sessionIdGenerator: stateless, so any instance can answer any call.
  // Host and Origin are checked before this, for every endpoint alike, so
  // the transport's own (deprecated) DNS-rebinding option stays off.
  const transport = new WebStandardStreamableHTTPServerTransport({
    enableJsonResponse: true,
  });
  // Once the server is closed the transport never answers the request, so
  // the disconnect ends the wait itself, after the cancelled runs have ended.
  // (Not Promise.withResolvers: the npm build runs on Node 20.)
  let resolveDisconnected!: (response: Response) => void;
  const disconnected = new Promise<Response>((resolve) => {
    resolveDisconnected = resolve;
  });
  const onAbort = () => {
    void server.close();
    void Promise.allSettled(runs).then(() =>
      resolveDisconnected(new Response(null, { status: CLIENT_CLOSED_STATUS }))
    );
  };
  request.signal.addEventListener("abort", onAbort, { once: true });
  try {
    await server.connect(transport);
    if (request.signal.aborted) onAbort();
    return await Promise.race([
      transport.handleRequest(request, { parsedBody }),
      disconnected,
    ]);
  } finally {
    request.signal.removeEventListener("abort", onAbort);
    await server.close();
  }
}

/**
 * The JSON of a `POST /mcp` body, or the JSON-RPC error that answers it: a
 * body that is not JSON, or a batch larger than `maxBatch` (refused before
 * any of it runs).
 *
 * @param text The body.
 * @param maxBatch The most messages a batch may hold.
 * @returns The parsed body, or a 400 response.
 */
export function parseMcpBody(
  text: string,
  maxBatch: number,
): { body: unknown } | Response {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // The transport's own answer to a body that is not JSON.
    return jsonRpcError(400, -32700, "Parse error: Invalid JSON");
  }
  if (Array.isArray(body) && body.length > maxBatch) {
    return jsonRpcError(
      400,
      -32600,
      `Invalid Request: a batch may hold at most ${maxBatch} messages (maxBatch), got ${body.length}`,
    );
  }
  return { body };
}

/**
 * A JSON-RPC error with no id, as the SDK's transport answers.
 *
 * @param status The HTTP status.
 * @param code The JSON-RPC error code.
 * @param message What failed.
 * @param headers Further headers (`Retry-After`).
 * @returns The response.
 */
export function jsonRpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json(
    { jsonrpc: "2.0", error: { code, message }, id: null },
    { status, headers },
  );
}

/**
 * The broker as the MCP server sees it, with every run reported and held in
 * `runs` until reported. A proxy because `Broker` keeps its state in private
 * fields: each method runs on the real broker.
 *
 * @param broker The real broker.
 * @param onRun Called with each run's result.
 * @param runs Holds each run until it is reported.
 * @returns The proxy.
 */
export function observedBroker(
  broker: Broker,
  onRun: (run: ExecuteResult) => void,
  runs: Set<Promise<unknown>>,
): Broker {
  const execute: Broker["execute"] = (code, options) => {
    const run = broker.execute(code, options).then((result) => {
      onRun(result);
      return result;
    });
    runs.add(run);
    run.finally(() => runs.delete(run)).catch(() => {});
    return run;
  };
  return new Proxy(broker, {
    get(target, key) {
      if (key === "execute") return execute;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

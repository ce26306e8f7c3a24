/**
 * execbox as an HTTP service: a Hono app with a JSON API (`POST /v1/execute`,
 * `GET /v1/tools`, `GET /v1/types`), the MCP Streamable HTTP endpoint
 * (`/mcp`), probes (`/healthz`, `/readyz`) and Prometheus metrics
 * (`/metrics`). Mount it in your own Hono server or serve it on its own.
 *
 * Every error is a JSON body `{ "error": { "code", "message" } }`:
 *
 * | Status | `code` | When |
 * | ------ | ------ | ---- |
 * | 400 | `invalid_host`, `invalid_json`, `invalid_body`, `invalid_limits`, `invalid_query` | A `Host` header that is no host name and port, malformed JSON, a wrong shape, a limit above the server's |
 * | 401 | `unauthorized` | A token is configured and the request has none, or a wrong one |
 * | 403 | `forbidden_origin`, `forbidden_host` | `Origin` or `Host` not allowed (DNS rebinding) |
 * | 403 | `forbidden`, `self_approval` | `/v1/approvals` by a caller not in `approvers`; deciding a call of the caller's own run without `selfApproval` |
 * | 404 | `not_found` | No such endpoint, or no call waits for approval with that id |
 * | 405 | `method_not_allowed` | Known endpoint, other method (with `Allow`) |
 * | 413 | `payload_too_large` | Body over `maxBodyBytes` |
 * | 415 | `unsupported_media_type` | `POST /v1/execute` without `application/json` |
 * | 429 | `caller_queue_full` | The caller has its whole share of runs executing and waiting (with `Retry-After`) |
 * | 503 | `queue_full`, `broker_closed`, `not_ready` | Run queue full (with `Retry-After`), broker closed, `/readyz` not ready |
 *
 * `/mcp` answers in JSON-RPC: a batch of more than `maxBatch` messages is a
 * 400 with error `-32600`, and a refused run is the `execute` tool's error
 * result.
 *
 * A run that fails is not an HTTP error: `POST /v1/execute` answers 200 with
 * the `ExecuteResult`, whose `ok` is `false`.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Broker } from "../broker.ts";
import { ExecboxError } from "../errors.ts";
import {
  BearerTokens,
  checkAccess,
  isHostHeader,
  originPolicy,
} from "./auth.ts";
import { trackBodyEnd } from "./body_end.ts";
import { ExecuteEvents } from "./execute_events.ts";
import { accessLine, requestPath } from "./log.ts";
import { acceptsEventStream } from "./sse.ts";
import { CLIENT_CLOSED_STATUS, handleMcpRequest, parseMcpBody } from "./mcp.ts";
import { type McpSessionOptions, McpSessions } from "./mcp_sessions.ts";
import {
  HttpMetrics,
  isCallerQueueFull,
  isQueueFull,
  PROMETHEUS_CONTENT_TYPE,
  runOutcome,
} from "./metrics.ts";
import {
  isJsonContentType,
  parseExecuteBody,
  parseToolsQuery,
} from "./request.ts";
import { createMcpServer, type McpServerOptions } from "../mcp/server.ts";
import type { ExecuteResult } from "../result.ts";
import { positiveInteger } from "../limits.ts";
import { ApprovalQueue } from "../approval/approval_queue.ts";
import { approvalRoutes } from "./approvals.ts";
import {
  traceContextFromHeaders,
  traceOption,
} from "../telemetry/trace_context.ts";

export { assertSafeBinding } from "./auth.ts";
export type { McpSessionOptions } from "./mcp_sessions.ts";

/** Options of {@linkcode createHttpApp}. */
export interface HttpAppOptions {
  /**
   * A bearer token every request but `/healthz` and `/readyz` must carry
   * (`Authorization: Bearer <token>`); its caller is named `"default"`.
   * @default {undefined (no token: anyone who reaches the app may call it)}
   */
  token?: string;
  /**
   * Bearer tokens by caller name, so callers can be told apart; the name is
   * set on the context as `caller` and written to the access log. May be
   * combined with `token`.
   * @default {{}}
   */
  tokens?: Record<string, string>;
  /**
   * The largest request body accepted, in bytes, by `Content-Length` and
   * while reading a body sent without one.
   * @default {1114112 (1 MiB of code, for a raised `maxCodeBytes`, plus 64 KiB for JSON escapes and limits)}
   */
  maxBodyBytes?: number;
  /**
   * `Host` header values accepted (against DNS rebinding). An entry without
   * a port matches any port.
   * @default {["localhost", "127.0.0.1", "[::1]"] without a token; any host with one}
   */
  allowedHosts?: string[];
  /**
   * `Origin` header values accepted, such as `"https://app.example"`. A
   * request without `Origin` (anything but a browser) is always accepted.
   * Without a token, a loopback origin (`http://localhost:<port>`,
   * `http://127.0.0.1:<port>`, `http://[::1]:<port>`, a page served from
   * this machine such as the MCP Inspector) is accepted too, on a request
   * whose `Host` is a loopback name.
   * @default {[] (browsers are refused, but for loopback origins without a token)}
   */
  allowedOrigins?: string[];
  /**
   * The most JSON-RPC messages one `POST /mcp` may carry in a batch; a
   * larger batch is refused whole (JSON-RPC error `-32600`), before any of
   * it runs.
   * @default {8}
   */
  maxBatch?: number;
  /**
   * Receives one access-log line per request: time, method, path, status,
   * duration, caller and, for a run, its outcome. Never the code, a body or a
   * token.
   * @default {undefined (no log)}
   */
  log?: (line: string) => void;
  /**
   * Options of the MCP server each `/mcp` session or request gets.
   * @default {{}}
   */
  mcp?: McpServerOptions;
  /**
   * `/mcp` sessions (MCP Streamable HTTP, stateful): an `initialize` starts
   * a session (`Mcp-Session-Id`) with its own MCP server, whose answers come
   * as event streams, so it can send progress notifications and requests
   * (elicitation) to its client; `GET` opens its stream of server messages
   * and `DELETE` ends it. A `POST` without a session id that is not
   * `initialize` is still answered statelessly. `false`: every request is
   * stateless, answered in JSON by a server of its own.
   * @default {{ maxSessions: 256, maxPerCaller: 32, idleTimeoutMs: 600000 }}
   */
  mcpSessions?: McpSessionOptions | false;
  /**
   * Aborting it ends every `/mcp` session (those with a running call once
   * the call ends), so the server's shutdown is not held by their event
   * streams; `execbox serve` aborts it when it stops.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Callers (token names) that may list the calls waiting for approval
   * (`GET /v1/approvals`) and decide them (`POST /v1/approvals/{id}`). A
   * call of a tool that needs approval, made by a run of `POST /v1/execute`
   * or `/mcp`, waits there until one of them decides, or
   * `approvalTimeoutMs`.
   * @default {[] (no one: such calls wait, then are denied)}
   */
  approvers?: string[];
  /**
   * Whether an approver may decide calls of runs it started itself.
   * @default {false}
   */
  selfApproval?: boolean;
}

/** What the app sets on the Hono context, for handlers mounted after it. */
export interface HttpAppVariables {
  /**
   * The name of the caller's token (`"default"` for `token`), or
   * `"anonymous"` when no token is configured.
   */
  caller: string;
}

/** The Hono environment of the app {@linkcode createHttpApp} returns. */
export interface HttpAppEnv {
  /** Values on the context. */
  Variables: HttpAppVariables;
}

/**
 * The Hono app {@linkcode createHttpApp} returns (`Hono` from `hono`), with
 * {@linkcode HttpAppVariables} on its context.
 */
export type HttpApp = Hono<HttpAppEnv>;

/** Default of {@linkcode HttpAppOptions.maxBodyBytes}. */
const _MAX_BODY_BYTES = 1_048_576 + 65_536;

/** Default of {@linkcode HttpAppOptions.maxBatch}. */
const _MAX_BATCH = 8;

/**
 * Creates the HTTP app of a broker. Each `/mcp` request gets its own MCP
 * server (stateless, JSON responses), closed once it is answered. A client
 * that disconnects cancels its run.
 *
 * @param broker The broker whose runs and tools the app serves.
 * @param options Tokens, body size, allowed hosts and origins, the access
 * log and MCP server options.
 * @returns A Hono app, to serve or mount
 * (`app.route("/execbox", createHttpApp(broker))`). Serve it with
 * `denoHost.serve(app.fetch, options)` (as `execbox serve` does) for its
 * header and request deadlines and its connection cap: `Deno.serve` has
 * neither, so a slow client could hold its connections.
 * @throws {TypeError} On an empty or repeated token.
 * @throws {RangeError} When `maxBodyBytes` or `maxBatch` is not a positive
 * whole number, or as {@linkcode createMcpServer} throws for `mcp`.
 *
 * @example Mount execbox in a Hono server
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { createBroker } from "../../mod.ts";
 * import { createHttpApp } from "./app.ts";
 *
 * await using broker = await createBroker({ pool: { size: 1 } });
 * const app = new Hono();
 * app.route("/execbox", createHttpApp(broker, { token: "s3cret" }));
 *
 * const response = await app.request("/execbox/v1/execute", {
 *   method: "POST",
 *   headers: {
 *     authorization: "Bearer s3cret",
 *     "content-type": "application/json",
 *   },
 *   body: JSON.stringify({ code: "1 + 1" }),
 * });
 * assert.equal(response.status, 200);
 * assert.deepEqual((await response.json()).result, 2);
 * ```
 */
export function createHttpApp(
  broker: Broker,
  options: HttpAppOptions = {},
): HttpApp {
  const maxBodyBytes = positiveInteger(
    options.maxBodyBytes,
    _MAX_BODY_BYTES,
    "maxBodyBytes",
  );
  const maxBatch = positiveInteger(options.maxBatch, _MAX_BATCH, "maxBatch");
  const tokens = new BearerTokens(options.token, options.tokens);
  const policy = originPolicy(options, tokens.enabled);
  // Checks the MCP options now rather than on the first request.
  createMcpServer(broker, options.mcp);
  const metrics = new HttpMetrics();
  // With a shared store, any replica lists and decides any replica's calls.
  const approvals = new ApprovalQueue(
    broker.store === undefined ? {} : { store: broker.store },
  );
  // The request a session's run was started by, for its access line.
  const mcpRequest = new AsyncLocalStorage<Context>();
  const sessions = options.mcpSessions === false
    ? undefined
    : new McpSessions(broker, {
      ...options.mcpSessions,
      // A session's server asks its client (elicitation); a client that
      // cannot elicit has its calls wait at /v1/approvals.
      mcp: { onApprovalWithoutElicitation: approvals.handler, ...options.mcp },
      onRun: (run) => {
        const c = mcpRequest.getStore();
        if (c === undefined) metrics.record(run);
        else recordRun(c, run);
      },
    });
  options.signal?.addEventListener("abort", () => void sessions?.close(), {
    once: true,
  });
  const outcomes = new WeakMap<Context, string>();
  // Streamed responses: the access line waits for the end of their run.
  const streaming = new WeakMap<Context, Promise<void>>();
  const recordRun = (c: Context, run: ExecuteResult) => {
    metrics.record(run);
    outcomes.set(c, runOutcome(run));
  };

  const app = new Hono<HttpAppEnv>();
  const log = options.log;
  // First, so that every request gets its line, whatever happens after.
  app.use("*", async (c, next) => {
    const startedAt = performance.now();
    if (!tokens.enabled) c.set("caller", "anonymous");
    let status = 500;
    try {
      const host = c.req.header("host");
      if (host !== undefined && !isHostHeader(host)) {
        // Before anything reads the URL, which such a Host breaks.
        c.res = _error(
          400,
          "invalid_host",
          `The Host header must be a host name with an optional port from 0 to 65535, got ${
            JSON.stringify(host.slice(0, 200))
          }`,
        );
      } else {
        await next();
      }
      status = c.res.status;
    } finally {
      const write = () =>
        log?.(accessLine({
          method: c.req.method,
          url: c.req.url,
          status,
          durationMs: performance.now() - startedAt,
          caller: c.var.caller,
          outcome: outcomes.get(c),
        }));
      const pending = streaming.get(c);
      if (pending === undefined) write();
      else void pending.then(write);
    }
  });

  const guard: MiddlewareHandler<HttpAppEnv> = async (c, next) => {
    const access = await checkAccess(c.req.raw, tokens, policy);
    if ("status" in access) {
      return _error(access.status, access.code, access.message, access.headers);
    }
    if (access.caller !== undefined) c.set("caller", access.caller);
    await next();
  };
  const limitBody = bodyLimit({
    maxSize: maxBodyBytes,
    onError: () =>
      _error(
        413,
        "payload_too_large",
        `The request body is larger than ${maxBodyBytes} bytes`,
      ),
  });

  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/readyz", (c) => {
    const { pool, upstreams, store } = broker.status();
    const down = upstreams.filter((u) => !u.optional && !u.connected);
    if (down.length > 0) {
      return _error(
        503,
        "not_ready",
        `Upstream MCP servers not connected: ${
          down.map((u) => u.name).join(", ")
        }`,
      );
    }
    // A store that is down keeps the replica ready: stateless runs still work.
    return pool.size === 0 || pool.idle + pool.starting > 0
      ? c.json(store === undefined ? { ok: true } : { ok: true, store })
      : _error(
        503,
        "not_ready",
        "No runtime subprocess is warm or starting",
      );
  });

  app.post(
    "/v1/execute",
    guard,
    async (c, next) => {
      const type = c.req.header("content-type");
      if (!isJsonContentType(type)) {
        return _error(
          415,
          "unsupported_media_type",
          `The request body must be application/json, got ${
            type === undefined ? "no Content-Type" : JSON.stringify(type)
          }`,
        );
      }
      await next();
    },
    limitBody,
    async (c) => {
      const text = await _readBody(c);
      if (text instanceof Response) return text;
      const parsed = parseExecuteBody(text, broker.limits);
      if ("error" in parsed) return _error(400, parsed.error, parsed.message);
      // Accept: text/event-stream: logs as they come, then the result.
      const events = acceptsEventStream(c.req.header("accept"))
        ? new ExecuteEvents()
        : undefined;
      const signal = events === undefined
        ? c.req.raw.signal
        : AbortSignal.any([c.req.raw.signal, events.stream.signal]);
      let run: ExecuteResult;
      try {
        const running = broker.execute(parsed.code, {
          signal,
          limits: parsed.limits,
          caller: c.get("caller"),
          onApproval: events === undefined
            ? approvals.handler
            : events.approvals(approvals.handler),
          ...(parsed.session === undefined ? {} : { session: parsed.session }),
          ...(events === undefined ? {} : { onLog: events.onLog }),
          ...traceOption(traceContextFromHeaders(c.req.raw.headers)),
        });
        const early = await events?.firstLogOrResult(running);
        if (events !== undefined && early === undefined) {
          streaming.set(
            c,
            running.then((run) => {
              recordRun(c, run);
              events.end(run);
            }, (error: unknown) => {
              events.fail("internal_error", (error as Error).message);
            }),
          );
          return events.stream.response();
        }
        run = early ?? await running;
      } catch (error) {
        events?.stream.close();
        if (error instanceof ExecboxError && error.code === "broker_closed") {
          return _error(503, "broker_closed", error.message);
        }
        throw error;
      }
      recordRun(c, run);
      if (signal.aborted) {
        events?.stream.close();
        return new Response(null, { status: CLIENT_CLOSED_STATUS });
      }
      if (!run.ok && isQueueFull(run)) {
        events?.stream.close();
        return _error(503, "queue_full", run.error.message, {
          "Retry-After": "1",
        });
      }
      if (!run.ok && isCallerQueueFull(run)) {
        events?.stream.close();
        return _error(429, "caller_queue_full", run.error.message, {
          "Retry-After": "1",
        });
      }
      if (events !== undefined) {
        events.end(run);
        return events.stream.response();
      }
      return c.json(run);
    },
  );

  app.get("/v1/tools", guard, (c) => {
    const parsed = parseToolsQuery(c.req.query());
    if ("error" in parsed) return _error(400, parsed.error, parsed.message);
    return c.json(
      broker.searchTools(parsed.words, {
        ...parsed.options,
        caller: c.get("caller"),
      }),
    );
  });
  app.get(
    "/v1/types",
    guard,
    (c) => c.text(broker.types({ caller: c.get("caller") })),
  );
  app.get(
    "/metrics",
    guard,
    (c) =>
      c.body(metrics.render(broker.status()), 200, {
        "Content-Type": PROMETHEUS_CONTENT_TYPE,
      }),
  );

  app.post(
    "/mcp",
    guard,
    limitBody,
    async (c) => {
      const text = await _readBody(c);
      if (text instanceof Response) return text;
      if (sessions !== undefined) {
        const parsed = parseMcpBody(text, maxBatch);
        if (parsed instanceof Response) return parsed;
        const answered = await mcpRequest.run(
          c,
          () => sessions.post(c.req.raw, c.get("caller"), parsed.body),
        );
        if (answered !== undefined) {
          // Answers stream: the access line waits for their end.
          const tracked = trackBodyEnd(answered);
          streaming.set(c, tracked.ended);
          return tracked.response;
        }
      }
      return await handleMcpRequest(broker, c.req.raw, {
        body: text,
        mcp: {
          // Stateless: the server cannot ask its client, so calls wait at
          // /v1/approvals.
          onApproval: approvals.handler,
          ...options.mcp,
          caller: c.get("caller"),
        },
        maxBatch,
        onRun: (run) => recordRun(c, run),
      });
    },
  );

  if (sessions !== undefined) {
    app.on(
      ["GET", "DELETE"],
      "/mcp",
      guard,
      (c) => sessions.handle(c.req.raw, c.get("caller")),
    );
  }
  approvalRoutes(app, {
    queue: approvals,
    guard,
    limitBody,
    approvers: options.approvers ?? [],
    selfApproval: options.selfApproval ?? false,
  });

  for (
    const [path, allow] of [
      ["/v1/approvals", "GET, HEAD"],
      ["/v1/approvals/:id", "POST"],
      ["/healthz", "GET, HEAD"],
      ["/readyz", "GET, HEAD"],
      ["/v1/execute", "POST"],
      ["/v1/tools", "GET, HEAD"],
      ["/v1/types", "GET, HEAD"],
      ["/metrics", "GET, HEAD"],
      // Stateless: no session to resume with GET or to end with DELETE.
      ["/mcp", sessions === undefined ? "POST" : "GET, POST, DELETE"],
    ] as const
  ) {
    app.all(path, (c) =>
      _error(
        405,
        "method_not_allowed",
        `${c.req.method} is not allowed on ${path}; use ${allow}`,
        { Allow: allow },
      ));
  }
  // A route rather than only notFound(), so the JSON 404 survives mounting.
  app.all("*", (c) => _notFound(c));
  app.notFound((c) => _notFound(c));
  app.onError((_error_, c) =>
    // A body cut short by the client or by the server's deadline.
    c.req.raw.signal.aborted
      ? new Response(null, { status: CLIENT_CLOSED_STATUS })
      : _error(500, "internal_error", "The server failed to answer the request")
  );
  return app;
}

function _error(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}

/**
 * The request's body, or the response when it cannot be read: the client
 * went away, or the server closed a body that stalled.
 */
async function _readBody(c: Context): Promise<string | Response> {
  try {
    return await c.req.text();
  } catch (error) {
    // Hono's bodyLimit answers a body over the limit itself.
    if (c.req.raw.signal.aborted) {
      return new Response(null, { status: CLIENT_CLOSED_STATUS });
    }
    return _error(
      400,
      "invalid_body",
      `The request body could not be read: ${(error as Error).message}`,
    );
  }
}

function _notFound(c: Context): Response {
  return _error(404, "not_found", `No endpoint at ${requestPath(c.req.url)}`);
}

/**
 * `/mcp` with sessions (MCP Streamable HTTP, stateful): each session has its
 * own MCP server and transport, so the server can send its client
 * notifications (progress) and requests (elicitation) on event streams.
 *
 * @module
 */

import { clearTimeout, setTimeout } from "node:timers";
// The SDK's ".js" subpaths have no types under Deno (typescript-sdk#2701).
// @ts-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { Broker } from "../broker.ts";
import { positiveInteger } from "../limits.ts";
import {
  createMcpServer,
  type McpServer,
  type McpServerOptions,
} from "../mcp/server.ts";
import type { ExecuteResult } from "../result.ts";
import { jsonRpcError, observedBroker } from "./mcp.ts";

/** Bounds of `/mcp` sessions (`HttpAppOptions.mcpSessions`). */
export interface McpSessionOptions {
  /**
   * Sessions open at once; an `initialize` beyond them is refused with 503
   * (JSON-RPC error `-32000`) until one ends.
   * @default {256}
   */
  maxSessions?: number;
  /**
   * Sessions one caller (token) may have open; its next `initialize` ends
   * its least recently used idle session, or is refused with 429 when every
   * one is busy.
   * @default {32}
   */
  maxPerCaller?: number;
  /**
   * Milliseconds a session may go without a request or a running call
   * before it is ended (its client then gets 404 and starts a new one).
   * @default {600000}
   */
  idleTimeoutMs?: number;
}

/** What {@linkcode McpSessions} needs besides the broker. */
export interface McpSessionsOptions extends McpSessionOptions {
  /** Options of each session's MCP server (the caller is set per session). */
  mcp: McpServerOptions | undefined;
  /** Called with every run a session's `execute` calls finish. */
  onRun: (run: ExecuteResult) => void;
}

interface _Session {
  id: string;
  caller: string;
  server: McpServer;
  transport: WebStandardStreamableHTTPServerTransport;
  /** Requests being handled. */
  requests: number;
  /** Runs going. */
  runs: Set<Promise<unknown>>;
  lastUsed: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * The open `/mcp` sessions of one HTTP app. A session belongs to the caller
 * that created it: another caller naming its id gets 404, as for an unknown
 * id.
 */
export class McpSessions {
  readonly #broker: Broker;
  readonly #options: McpSessionsOptions;
  readonly #max: number;
  readonly #maxPerCaller: number;
  readonly #idleMs: number;
  readonly #sessions = new Map<string, _Session>();
  #closing: Promise<void> | undefined;

  /**
   * @param broker The broker every session's server offers.
   * @param options Bounds, server options and the run observer.
   * @throws {RangeError} When a bound is not a positive whole number.
   */
  constructor(broker: Broker, options: McpSessionsOptions) {
    this.#broker = broker;
    this.#options = options;
    this.#max = positiveInteger(
      options.maxSessions,
      256,
      "mcpSessions.maxSessions",
    );
    this.#maxPerCaller = positiveInteger(
      options.maxPerCaller,
      32,
      "mcpSessions.maxPerCaller",
    );
    this.#idleMs = positiveInteger(
      options.idleTimeoutMs,
      600_000,
      "mcpSessions.idleTimeoutMs",
    );
  }

  /** Sessions open now. */
  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Answers a `POST /mcp` that belongs to a session: one with
   * `Mcp-Session-Id`, or an `initialize` request, which starts one.
   *
   * @param request The request.
   * @param caller Who asks (the token's name).
   * @param body The parsed body.
   * @returns The response, or `undefined` for a request without a session
   * that is no `initialize` (answer it statelessly).
   */
  async post(
    request: Request,
    caller: string,
    body: unknown,
  ): Promise<Response | undefined> {
    if (request.headers.has("mcp-session-id")) {
      return await this.handle(request, caller, body);
    }
    if (!isInitializeRequest(body)) return undefined;
    return await this.#start(request, caller, body);
  }

  /**
   * Answers a request for an existing session: `POST`, `GET` (the stream of
   * the server's own messages) or `DELETE` (ends it).
   *
   * @param request The request, with `Mcp-Session-Id`.
   * @param caller Who asks; only the session's creator may use it.
   * @param body The parsed body of a `POST`.
   * @returns The transport's response, or a JSON-RPC error: 400 without a
   * session id, 404 for an unknown id or another caller's session.
   */
  async handle(
    request: Request,
    caller: string,
    body?: unknown,
  ): Promise<Response> {
    const id = request.headers.get("mcp-session-id");
    if (id === null) {
      return jsonRpcError(
        400,
        -32000,
        "Bad Request: Mcp-Session-Id header is required",
      );
    }
    const session = this.#sessions.get(id);
    // Another caller's session is as unknown as one that never was.
    if (session === undefined || session.caller !== caller) {
      return jsonRpcError(404, -32001, "Session not found");
    }
    if (request.method === "DELETE") {
      this.#forget(session);
      try {
        return await session.transport.handleRequest(request);
      } finally {
        await session.server.close();
      }
    }
    return await this.#serve(session, request, body);
  }

  async #serve(
    session: _Session,
    request: Request,
    body: unknown,
  ): Promise<Response> {
    session.requests++;
    session.lastUsed = performance.now();
    try {
      return await session.transport.handleRequest(
        request,
        body === undefined ? undefined : { parsedBody: body },
      );
    } finally {
      session.requests--;
      session.lastUsed = performance.now();
    }
  }

  /**
   * Ends every session: at once those without a running call (their event
   * streams end), the others once their calls have ended. New sessions are
   * refused from now on.
   *
   * @returns Resolves when every session has ended.
   */
  close(): Promise<void> {
    this.#closing ??= Promise.all(
      [...this.#sessions.values()].map(async (session) => {
        await Promise.allSettled(session.runs);
        this.#forget(session);
        await session.server.close();
      }),
    ).then(() => {});
    return this.#closing;
  }

  async #start(
    request: Request,
    caller: string,
    body: unknown,
  ): Promise<Response> {
    // Checked and counted without an await in between, so concurrent
    // initializes cannot pass a bound together.
    if (this.#closing !== undefined) {
      return jsonRpcError(503, -32000, "The server is shutting down");
    }
    const own = [...this.#sessions.values()].filter((s) => s.caller === caller);
    let evicted: _Session | undefined;
    if (own.length >= this.#maxPerCaller) {
      evicted = own.filter((s) => s.requests === 0 && s.runs.size === 0)
        .sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (evicted === undefined) {
        return jsonRpcError(
          429,
          -32000,
          `Caller "${caller}" has ${own.length} MCP sessions, all busy, the most it may have (mcpSessions.maxPerCaller)`,
          { "Retry-After": "1" },
        );
      }
      this.#forget(evicted);
    }
    if (this.#sessions.size >= this.#max) {
      return jsonRpcError(
        503,
        -32000,
        `The server has ${this.#sessions.size} MCP sessions, the most it may have (mcpSessions.maxSessions)`,
        { "Retry-After": "1" },
      );
    }
    const id = crypto.randomUUID();
    const runs = new Set<Promise<unknown>>();
    const server = createMcpServer(
      observedBroker(this.#broker, (run) => {
        session.lastUsed = performance.now();
        this.#options.onRun(run);
      }, runs),
      { ...this.#options.mcp, caller },
    );
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
    });
    const session: _Session = {
      id,
      caller,
      server,
      transport,
      requests: 0,
      runs,
      lastUsed: performance.now(),
      timer: undefined,
    };
    this.#sessions.set(id, session);
    this.#arm(session);
    const end = async () => {
      this.#forget(session);
      await server.close();
    };
    try {
      await evicted?.server.close();
      await server.connect(transport);
      if (this.#closing !== undefined) {
        // close() began meanwhile and did not see this session.
        await end();
        return jsonRpcError(503, -32000, "The server is shutting down");
      }
      const response = await this.#serve(session, request, body);
      // A refused initialize leaves no session behind.
      if (!response.ok) await end();
      return response;
    } catch (error) {
      await end();
      throw error;
    }
  }

  /** Ends the session once it has been idle for the idle timeout. */
  #arm(session: _Session): void {
    clearTimeout(session.timer);
    const due = session.lastUsed + this.#idleMs - performance.now();
    session.timer = setTimeout(() => {
      session.timer = undefined;
      if (!this.#sessions.has(session.id)) return;
      const busy = session.requests > 0 || session.runs.size > 0;
      if (busy || session.lastUsed + this.#idleMs > performance.now()) {
        if (busy) session.lastUsed = performance.now();
        return this.#arm(session);
      }
      this.#forget(session);
      void session.server.close();
    }, Math.max(0, due));
    // An idle session never keeps the process alive: its server does.
    session.timer.unref();
  }

  #forget(session: _Session): void {
    clearTimeout(session.timer);
    session.timer = undefined;
    this.#sessions.delete(session.id);
  }
}

/**
 * The HTTP server behind `Host.serve` on both runtimes: Node.js's
 * `node:http` (which Deno 2 implements as well), through `@hono/node-server`.
 * It has what `Deno.serve` lacks against slow or greedy clients: a deadline
 * for a request's headers and one for the whole request (a body that stalls),
 * a cap on open connections, and an idle timeout for kept-alive ones.
 *
 * @module
 */

import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";
import { getRequestListener, RequestError } from "@hono/node-server";
import {
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type HostServer,
  type ServeOptions,
} from "./host.ts";
import { positiveInteger } from "../limits.ts";

const _STATUS_TEXT = {
  400: "Bad Request",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
} as const;

/**
 * Whether a `Host` header is a host name or address with an optional port
 * from 0 to 65535, that a URL can be made of: the same check as the HTTP
 * app's `isHostHeader` (`broker/http/auth.ts`), which may not import this.
 */
function _isHostHeader(host: string): boolean {
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
 * Serves a Web-standard handler with `node:http` on Node.js or Deno.
 *
 * @param handler Answers each request; its `signal` aborts when the client
 * disconnects.
 * @param options Address, deadlines and the connection cap.
 * @returns The running server, once it listens.
 * @throws {RangeError} When a deadline or the cap is not a positive whole
 * number, or `headersTimeoutMs` is longer than `requestTimeoutMs` (the
 * promise rejects).
 */
export async function serveHttp(
  handler: (request: Request) => Response | Promise<Response>,
  options: ServeOptions,
): Promise<HostServer> {
  const headersTimeout = positiveInteger(
    options.headersTimeoutMs,
    DEFAULT_HEADERS_TIMEOUT_MS,
    "headersTimeoutMs",
  );
  const requestTimeout = positiveInteger(
    options.requestTimeoutMs,
    DEFAULT_REQUEST_TIMEOUT_MS,
    "requestTimeoutMs",
  );
  const maxConnections = positiveInteger(
    options.maxConnections,
    DEFAULT_MAX_CONNECTIONS,
    "maxConnections",
  );
  if (headersTimeout > requestTimeout) {
    throw new RangeError(
      `headersTimeoutMs must not be longer than requestTimeoutMs (${requestTimeout}), got ${headersTimeout}`,
    );
  }
  // Leave the process's global Request and Response alone: this is a library.
  const listener = getRequestListener(
    (request) => handler(_standard(request)),
    {
      hostname: options.hostname,
      overrideGlobalObjects: false,
      // A request no URL can be made of (the handler never sees it), or a
      // handler that threw: answered as `@hono/node-server` would, and told.
      errorHandler: (error) => {
        if (!(error instanceof RequestError)) {
          return new Response(null, { status: 500 });
        }
        options.onClientError?.({ reason: "bad_request", status: 400 });
        return new Response(null, { status: 400 });
      },
    },
  );
  // As Deno's `shutdown()` does: open requests finish, connections without
  // one close now. Node.js's own `close()` leaves a connection that never
  // sent a request open until the client or a timeout ends it.
  const open = new Map<Socket, number>();
  let closing = false;
  const server = createServer({
    headersTimeout,
    requestTimeout,
    // How often deadlines are checked (Node.js's default is 30 s, which
    // would let a 10 s deadline run to 40 s).
    connectionsCheckingInterval: Math.min(
      1_000,
      Math.max(10, Math.floor(headersTimeout / 10)),
    ),
  }, (incoming: IncomingMessage, outgoing: ServerResponse) => {
    _routeUnparsableHost(incoming);
    return listener(incoming, outgoing);
  });
  // Counted here rather than with `server.maxConnections`, so a refusal
  // can be reported: past the cap, a connection is closed once accepted.
  server.on("connection", (socket: Socket) => {
    if (open.size >= maxConnections) {
      socket.destroy();
      options.onClientError?.({
        reason: "too_many_connections",
        status: undefined,
      });
      return;
    }
    open.set(socket, 0);
    socket.once("close", () => open.delete(socket));
  });
  server.on(
    "clientError",
    (error: Error & { code?: string }, socket: Socket) => {
      // What Node.js does without a listener, plus the report.
      if (error.code === "ECONNRESET" || error.code === "EPIPE") {
        socket.destroy();
        return;
      }
      const status = error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? 408
        : error.code === "HPE_HEADER_OVERFLOW"
        ? 431
        : 400;
      // A response the handler has begun must not get a second status line.
      const answering = (socket as { _httpMessage?: { headersSent?: boolean } })
        ._httpMessage?.headersSent === true;
      if (socket.writable && !answering) {
        socket.write(
          `HTTP/1.1 ${status} ${
            _STATUS_TEXT[status]
          }\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
        );
      }
      socket.destroy();
      options.onClientError?.({
        reason: status === 408 ? "timeout" : "bad_request",
        status: answering ? undefined : status,
      });
    },
  );
  server.on(
    "request",
    (request: IncomingMessage, response: ServerResponse) => {
      const socket = request.socket;
      open.set(socket, (open.get(socket) ?? 0) + 1);
      response.once("close", () => {
        const left = (open.get(socket) ?? 1) - 1;
        open.set(socket, left);
        if (closing && left === 0) socket.destroy();
      });
    },
  );
  return await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => {
      server.off("error", reject);
      const info = server.address();
      const address = typeof info === "object" && info !== null
        ? { hostname: info.address, port: info.port }
        : { hostname: options.hostname, port: options.port };
      options.onListen?.(address);
      const finished = new Promise<void>((done) => server.once("close", done));
      resolve({
        address,
        finished,
        shutdown: () => {
          closing = true;
          const closed = new Promise<void>((done, fail) =>
            server.close((error) => error ? fail(error) : done())
          );
          for (const [socket, requests] of open) {
            if (requests === 0) socket.destroy();
          }
          return closed;
        },
      });
    });
  });
}

/**
 * `@hono/node-server` answers a request whose `Host` makes no URL (such as
 * `localhost:evil`) with an empty 400 and never calls the handler, so the
 * app could neither say why in JSON nor log it. Such a request gets a
 * placeholder URL instead, keeping its `Host` header for the handler to
 * refuse.
 */
function _routeUnparsableHost(incoming: IncomingMessage): void {
  const host = incoming.headers.host;
  const target = incoming.url ?? "";
  if (host === undefined || _isHostHeader(host) || !target.startsWith("/")) {
    return;
  }
  incoming.url = `http://invalid-host.invalid${target}`;
}

/**
 * A `Request` of the runtime's own class. `@hono/node-server` hands over a
 * lighter look-alike, which Deno's `new Request(request, init)` refuses
 * (as Hono's `bodyLimit` does with a chunked body).
 */
function _standard(request: Request): Request {
  try {
    return new Request(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: request.signal,
      // @ts-ignore: `duplex` is required for a stream body, not yet typed.
      duplex: "half",
    });
  } catch {
    // Methods the Request class refuses (TRACE, CONNECT): the look-alike.
    return request;
  }
}

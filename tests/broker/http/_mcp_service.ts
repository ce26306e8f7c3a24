/** An HTTP app with `/mcp` sessions on loopback, and raw MCP requests to it. */

import assert from "node:assert/strict";
import { deferred } from "../../_async.ts";
import { createBroker, defineTool, denoHost } from "../../../mod.ts";
import {
  createHttpApp,
  type HttpAppOptions,
} from "../../../broker/http/app.ts";

/** The gate tool's events; replace with newGate() in each test that uses it. */
export const gates = { current: newGate() };
export function newGate() {
  return { started: deferred<void>(), release: deferred<void>() };
}

export const TOKENS = {
  alice: "alice-token-1",
  bob: "bob-token-22",
  carol: "carol-33",
};

/** A broker with a `tools.gate` tool and its HTTP app on loopback, with named tokens. */
export async function start(options: HttpAppOptions = {}) {
  const broker = await createBroker({
    pool: { size: 1 },
    providers: {
      tools: {
        gate: defineTool({
          execute: () => {
            gates.current.started.resolve();
            return gates.current.release.promise.then(() => "open");
          },
        }),
      },
    },
  });
  const stop = new AbortController();
  const app = createHttpApp(broker, {
    tokens: TOKENS,
    signal: stop.signal,
    ...options,
  });
  const server = await denoHost.serve(app.fetch, {
    hostname: "127.0.0.1",
    port: 0,
  });
  return {
    broker,
    stop,
    url: `http://127.0.0.1:${server.address.port}/mcp`,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await server.shutdown();
      await broker.close();
    },
  };
}

export const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "raw", version: "1" },
  },
};

/** A request to `/mcp` as `caller`. */
export function mcp(
  url: string,
  caller: keyof typeof TOKENS,
  init: { method?: string; body?: unknown; session?: string } = {},
): Promise<Response> {
  return fetch(url, {
    method: init.method ?? "POST",
    headers: {
      authorization: `Bearer ${TOKENS[caller]}`,
      accept: "application/json, text/event-stream",
      ...(init.body === undefined
        ? {}
        : { "content-type": "application/json" }),
      ...(init.session === undefined ? {} : { "mcp-session-id": init.session }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

/** Starts a session and returns its id. */
export async function initialize(url: string, caller: keyof typeof TOKENS) {
  const response = await mcp(url, caller, { body: INITIALIZE });
  assert.equal(response.status, 200, await response.clone().text());
  await response.body?.cancel();
  const id = response.headers.get("mcp-session-id");
  assert.ok(id);
  return id;
}

export const LIST = { jsonrpc: "2.0", id: 2, method: "tools/list" };

/** The status of a tools/list in the session, its body read. */
export async function listStatus(
  url: string,
  caller: keyof typeof TOKENS,
  session: string,
) {
  const response = await mcp(url, caller, { body: LIST, session });
  await response.body?.cancel();
  return response.status;
}

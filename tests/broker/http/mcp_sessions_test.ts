import assert from "node:assert/strict";
// The SDK's ".js" subpaths have no types under Deno (typescript-sdk#2701).
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { deferred } from "../../_async.ts";
import { createBroker, defineTool, denoHost } from "../../../mod.ts";
import {
  createHttpApp,
  type HttpAppOptions,
} from "../../../broker/http/app.ts";
import { readEvents } from "./_sse.ts";

let gate = newGate();
function newGate() {
  return { started: deferred<void>(), release: deferred<void>() };
}

const TOKENS = {
  alice: "alice-token-1",
  bob: "bob-token-22",
  carol: "carol-33",
};

async function start(options: HttpAppOptions = {}) {
  const broker = await createBroker({
    pool: { size: 1 },
    providers: {
      tools: {
        gate: defineTool({
          execute: () => {
            gate.started.resolve();
            return gate.release.promise.then(() => "open");
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

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "raw", version: "1" },
  },
};

function mcp(
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
async function initialize(url: string, caller: keyof typeof TOKENS) {
  const response = await mcp(url, caller, { body: INITIALIZE });
  assert.equal(response.status, 200, await response.clone().text());
  await response.body?.cancel();
  const id = response.headers.get("mcp-session-id");
  assert.ok(id);
  return id;
}

const LIST = { jsonrpc: "2.0", id: 2, method: "tools/list" };

/** The status of a tools/list in the session, its body read. */
async function listStatus(
  url: string,
  caller: keyof typeof TOKENS,
  session: string,
) {
  const response = await mcp(url, caller, { body: LIST, session });
  await response.body?.cancel();
  return response.status;
}

Deno.test("/mcp sessions: an SDK client gets an execute call's logs as progress before its result", async () => {
  gate = newGate();
  await using service = await start();
  const client = new Client({ name: "test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(service.url), {
    requestInit: { headers: { authorization: `Bearer ${TOKENS.alice}` } },
  });
  await client.connect(transport);
  try {
    assert.ok(transport.sessionId);
    const events: unknown[] = [];
    const call = await client.callTool(
      {
        name: "execute",
        arguments: {
          code:
            'console.log("first"); console.warn(await tools.gate({})); "done"',
        },
      },
      undefined,
      {
        onprogress: ({ progress, message }) => {
          events.push({ progress, message });
          // The run waits on the client: the log reached it while it ran.
          gate.release.resolve();
        },
      },
    );
    events.push(call.content);
    assert.deepEqual(events, [
      { progress: 1, message: "first" },
      { progress: 2, message: "[warn] open" },
      [{ type: "text", text: '"done"\n\nlogs:\nfirst\n[warn] open' }],
    ]);
    await transport.terminateSession();
    assert.equal(transport.sessionId, undefined);
  } finally {
    await client.close();
  }
});

Deno.test("/mcp sessions: another caller naming a session's id gets 404", async () => {
  await using service = await start();
  const id = await initialize(service.url, "alice");
  assert.equal(await listStatus(service.url, "bob", id), 404);
  for (const method of ["GET", "DELETE"]) {
    const response = await mcp(service.url, "bob", { method, session: id });
    assert.equal(response.status, 404, method);
    assert.equal((await response.json()).error.code, -32001);
  }
  // Still alice's, and still open.
  assert.equal(await listStatus(service.url, "alice", id), 200);
  assert.equal(await listStatus(service.url, "alice", "not-a-session"), 404);
});

Deno.test("/mcp sessions: DELETE ends a session", async () => {
  await using service = await start();
  const id = await initialize(service.url, "alice");
  const deleted = await mcp(service.url, "alice", {
    method: "DELETE",
    session: id,
  });
  assert.equal(deleted.status, 200);
  await deleted.body?.cancel();
  assert.equal(await listStatus(service.url, "alice", id), 404);
});

Deno.test("/mcp sessions: a caller over maxPerCaller ends its least recently used idle session", async () => {
  await using service = await start({ mcpSessions: { maxPerCaller: 2 } });
  const first = await initialize(service.url, "alice");
  const second = await initialize(service.url, "alice");
  assert.equal(await listStatus(service.url, "alice", first), 200);
  // `second` is now the least recently used.
  const third = await initialize(service.url, "alice");
  assert.equal(await listStatus(service.url, "alice", second), 404);
  assert.equal(await listStatus(service.url, "alice", first), 200);
  assert.equal(await listStatus(service.url, "alice", third), 200);
  // Another caller has its own share.
  await initialize(service.url, "bob");
  await initialize(service.url, "bob");
});

Deno.test("/mcp sessions: a caller whose sessions are all busy is refused with 429", async () => {
  gate = newGate();
  await using service = await start({ mcpSessions: { maxPerCaller: 1 } });
  const id = await initialize(service.url, "alice");
  const call = mcp(service.url, "alice", {
    session: id,
    body: {
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: { name: "execute", arguments: { code: "await tools.gate({})" } },
    },
  });
  await gate.started.promise;
  const refused = await mcp(service.url, "alice", { body: INITIALIZE });
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get("retry-after"), "1");
  assert.match(
    (await refused.json()).error.message,
    /^Caller "alice" has 1 MCP sessions, all busy.*maxPerCaller/,
  );
  gate.release.resolve();
  const events = await Array.fromAsync(readEvents((await call).body!));
  assert.match(events.at(-1)!.data, /open/);
  // Idle again: the next initialize replaces it.
  await initialize(service.url, "alice");
  assert.equal(await listStatus(service.url, "alice", id), 404);
});

Deno.test("/mcp sessions: beyond maxSessions an initialize is refused with 503", async () => {
  await using service = await start({ mcpSessions: { maxSessions: 2 } });
  await initialize(service.url, "alice");
  await initialize(service.url, "bob");
  const refused = await mcp(service.url, "carol", { body: INITIALIZE });
  assert.equal(refused.status, 503);
  assert.match(
    (await refused.json()).error.message,
    /has 2 MCP sessions, the most it may have \(mcpSessions\.maxSessions\)$/,
  );
});

Deno.test("/mcp sessions: a session idle for idleTimeoutMs ends, and its stream with it", async () => {
  await using service = await start({ mcpSessions: { idleTimeoutMs: 300 } });
  const id = await initialize(service.url, "alice");
  // The stream of the server's own messages ends when the session does.
  const stream = await mcp(service.url, "alice", {
    method: "GET",
    session: id,
  });
  assert.equal(stream.status, 200);
  await Array.fromAsync(readEvents(stream.body!));
  assert.equal(await listStatus(service.url, "alice", id), 404);
});

Deno.test("/mcp sessions: aborting the app's signal ends every session and refuses new ones", async () => {
  await using service = await start();
  const id = await initialize(service.url, "alice");
  const stream = await mcp(service.url, "alice", {
    method: "GET",
    session: id,
  });
  service.stop.abort();
  await Array.fromAsync(readEvents(stream.body!));
  assert.equal(await listStatus(service.url, "alice", id), 404);
  const refused = await mcp(service.url, "alice", { body: INITIALIZE });
  assert.equal(refused.status, 503);
  await refused.body?.cancel();
});

Deno.test("/mcp with mcpSessions: false answers initialize statelessly in JSON", async () => {
  await using service = await start({ mcpSessions: false });
  const response = await mcp(service.url, "alice", { body: INITIALIZE });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("mcp-session-id"), null);
  assert.equal((await response.json()).result.serverInfo.name, "execbox");
  const get = await mcp(service.url, "alice", { method: "GET" });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST");
  await get.body?.cancel();
});

Deno.test("/mcp sessions: concurrent initializes cannot pass maxSessions or maxPerCaller together", async () => {
  await using service = await start({ mcpSessions: { maxSessions: 2 } });
  const callers = ["alice", "bob", "carol", "alice", "bob", "carol"] as const;
  const responses = await Promise.all(
    callers.map((caller) => mcp(service.url, caller, { body: INITIALIZE })),
  );
  for (const response of responses) await response.body?.cancel();
  assert.deepEqual(
    responses.map((r) => r.status).sort(),
    [200, 200, 503, 503, 503, 503],
  );

  await using other = await start({ mcpSessions: { maxPerCaller: 2 } });
  const ids = await Promise.all(
    Array.from({ length: 6 }, () => initialize(other.url, "alice")),
  );
  const open = [];
  for (const id of ids) {
    if (await listStatus(other.url, "alice", id) === 200) open.push(id);
  }
  assert.equal(open.length, 2);
});

import assert from "node:assert/strict";
// The SDK's ".js" subpaths have no types under Deno (typescript-sdk#2701).
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  gates,
  INITIALIZE,
  initialize,
  listStatus,
  mcp,
  newGate,
  start,
  TOKENS,
} from "./_mcp_service.ts";
import { readEvents } from "./_sse.ts";

Deno.test("/mcp sessions: an SDK client gets an execute call's logs as progress before its result", async () => {
  gates.current = newGate();
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
          gates.current.release.resolve();
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

/**
 * `/mcp` sessions against hostile callers: a session id used by another
 * token, and floods of sessions that try to pass the bounds.
 */

import assert from "node:assert/strict";
import {
  gates,
  INITIALIZE,
  initialize,
  listStatus,
  mcp,
  newGate,
  start,
} from "../broker/http/_mcp_service.ts";
import { readEvents } from "../broker/http/_sse.ts";

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

Deno.test("/mcp sessions: a caller whose sessions are all busy is refused with 429", async () => {
  gates.current = newGate();
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
  await gates.current.started.promise;
  const refused = await mcp(service.url, "alice", { body: INITIALIZE });
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get("retry-after"), "1");
  assert.match(
    (await refused.json()).error.message,
    /^Caller "alice" has 1 MCP sessions, all busy.*maxPerCaller/,
  );
  gates.current.release.resolve();
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

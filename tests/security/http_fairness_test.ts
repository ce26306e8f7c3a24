/**
 * One caller cannot take every run slot and the whole queue of the HTTP
 * service: a JSON-RPC batch on `/mcp` holds at most `maxBatch` messages, and
 * each caller gets a bounded share of running and queued runs.
 */

import assert from "node:assert/strict";
import { defineTool } from "../../mod.ts";
import { serveApp } from "./_http.ts";

const MCP_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};

function executeCall(id: number, code: string) {
  return {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "execute", arguments: { code } },
  };
}

Deno.test("POST /mcp refuses a JSON-RPC batch of 80 execute calls whole, before any runs", async () => {
  await using service = await serveApp();
  const batch = Array.from({ length: 80 }, (_, i) => executeCall(i, "1"));
  const response = await fetch(`${service.base}/mcp`, {
    method: "POST",
    headers: MCP_HEADERS,
    body: JSON.stringify(batch),
  });
  assert.equal(response.status, 400);
  assert.deepEqual(await response.json(), {
    jsonrpc: "2.0",
    error: {
      code: -32600,
      message:
        "Invalid Request: a batch may hold at most 8 messages (maxBatch), got 80",
    },
    id: null,
  });
  assert.equal(service.broker.status().pool.spawned, 0, "no run started");
  assert.match(service.log.join("\n"), / path=\/mcp status=400 /);
});

/** A tool that blocks until released, counting the calls that started. */
function blockingTool() {
  const release = Promise.withResolvers<void>();
  let started = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const tool = defineTool({
    description: "Waits until the test releases it",
    execute: async () => {
      started++;
      for (const waiter of waiters) {
        if (started >= waiter.count) waiter.resolve();
      }
      await release.promise;
      return "released";
    },
  });
  return {
    tool,
    release: () => release.resolve(),
    /** Resolves once `count` calls have started. */
    started(count: number): Promise<void> {
      const { promise, resolve } = Promise.withResolvers<void>();
      if (started >= count) resolve();
      else waiters.push({ count, resolve });
      return promise;
    },
  };
}

Deno.test("A caller with a full batch of blocking runs cannot starve another caller", async () => {
  const gate = blockingTool();
  // The defaults: 4 slots, 64 places; each caller 2 running and 32 waiting.
  await using service = await serveApp({
    broker: { providers: { gate: { block: gate.tool } } },
    app: { tokens: { greedy: "greedy-token", other: "other-token" } },
  });
  const greedy = fetch(`${service.base}/mcp`, {
    method: "POST",
    headers: { ...MCP_HEADERS, authorization: "Bearer greedy-token" },
    body: JSON.stringify(
      Array.from({ length: 8 }, (_, i) => executeCall(i, "await gate.block()")),
    ),
  });
  await gate.started(2);

  const other = fetch(`${service.base}/v1/execute`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: "Bearer other-token",
    },
    body: JSON.stringify({ code: "6 * 7" }),
  }).then((response) => response.json());
  // Were the greedy caller to get a third slot, it would have them all.
  const first = await Promise.race([
    other.then((run) => ({ other: run })),
    gate.started(3).then(() => ({ greedyGotAThirdSlot: true })),
  ]);
  assert.ok("other" in first, "the greedy caller got a third slot");
  assert.equal(first.other.result, 42);
  assert.equal(service.broker.status().running, 2);

  gate.release();
  const results = await (await greedy).json();
  assert.equal(results.length, 8);
  for (const result of results) {
    assert.equal(result.result.structuredContent.result, "released");
  }
});

Deno.test("POST /v1/execute answers 429 to a caller past its share while another caller runs", async () => {
  const gate = blockingTool();
  await using service = await serveApp({
    broker: {
      providers: { gate: { block: gate.tool } },
      maxConcurrency: 2,
      maxConcurrencyPerCaller: 1,
      maxQueuePerCaller: 0,
    },
    app: { tokens: { greedy: "greedy-token", other: "other-token" } },
  });
  const execute = (token: string, code: string) =>
    fetch(`${service.base}/v1/execute`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ code }),
    });
  const blocked = execute("greedy-token", "await gate.block()");
  await gate.started(1);

  const refused = await execute("greedy-token", "1");
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get("retry-after"), "1");
  assert.deepEqual(await refused.json(), {
    error: {
      code: "caller_queue_full",
      message:
        'Caller "greedy" has its whole share of runs: 1 executing and 0 waiting (maxConcurrencyPerCaller 1, maxQueuePerCaller 0)',
    },
  });
  const other = await execute("other-token", "6 * 7");
  assert.equal((await other.json()).result, 42);

  gate.release();
  assert.equal((await (await blocked).json()).result, "released");
  assert.match(
    service.log.join("\n"),
    / status=429 duration_ms=[\d.]+ caller=greedy outcome=caller_queue_full/,
  );
});

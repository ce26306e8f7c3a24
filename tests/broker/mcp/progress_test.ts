import assert from "node:assert/strict";
// The SDK's ".js" subpaths have no types under Deno (typescript-sdk#2701).
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { deferred } from "../../_async.ts";
import { createBroker, createMcpServer, defineTool } from "../../../mod.ts";
import { LogProgress } from "../../../broker/mcp/progress.ts";

interface Progress {
  progress: number;
  message?: string;
}

Deno.test("createMcpServer() sends an execute call's logs as progress notifications before its result", async () => {
  const first = deferred<void>();
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: {
      tools: {
        // Answers once the first log reached the client.
        gate: defineTool({ execute: () => first.promise.then(() => "open") }),
      },
    },
  });
  const server = createMcpServer(broker);
  const client = new Client({ name: "test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    const events: (Progress | "result")[] = [];
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
        onprogress: (p: { progress: number; message?: string | undefined }) => {
          events.push({ progress: p.progress, message: p.message! });
          first.resolve();
        },
      },
    );
    events.push("result");
    assert.equal(call.isError, undefined);
    assert.deepEqual(events, [
      { progress: 1, message: "first" },
      { progress: 2, message: "[warn] open" },
      "result",
    ]);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("createMcpServer() without a progress token sends no progress", async () => {
  await using broker = await createBroker({ pool: { size: 1 } });
  const server = createMcpServer(broker);
  const client = new Client({ name: "test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const sent: string[] = [];
  const send = serverSide.send.bind(serverSide);
  serverSide.send = (message, options) => {
    if ("method" in message) sent.push(message.method);
    return send(message, options);
  };
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    await client.callTool({
      name: "execute",
      arguments: { code: 'console.log("x"); 1' },
    });
    assert.deepEqual(sent, []);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("LogProgress batches a flood of entries into one notification per interval", async () => {
  const updates: { progress: number; message: string }[] = [];
  const progress = new LogProgress((update) => {
    updates.push(update);
    return Promise.resolve();
  }, 60_000);
  for (let i = 0; i < 1000; i++) {
    progress.add({ level: "log", message: String(i) });
  }
  // The first batch waits for no interval; the rest wait for flush() here.
  await progress.flush();
  assert.ok(updates.length <= 2, `${updates.length} notifications`);
  assert.equal(updates.at(-1)!.progress, 1000);
  assert.equal(
    updates.map((u) => u.message).join("\n"),
    Array.from({ length: 1000 }, (_, i) => i).join("\n"),
  );
});

/**
 * McpUpstream against in-process MCP SDK servers over InMemoryTransport: the
 * edge cases a real server rarely shows on demand.
 */

import { deferred } from "../../_async.ts";
import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { Server } from "@modelcontextprotocol/sdk/server";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  type JSONRPCMessage,
  ListToolsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { denoHost } from "../../../mod.ts";
import {
  McpUpstream,
  type McpUpstreamOptions,
} from "../../../broker/upstream/upstream.ts";
import { unwrapToolResult } from "../../../broker/upstream/result.ts";
import type { ToolContext } from "../../../broker/tools/tool.ts";
import type { LogLevel } from "../../../runtime/protocol.ts";

/** An upstream whose every (re)connection gets a fresh in-process server. */
function inMemoryUpstream(
  makeServer: () => McpServer | Server,
  options: Partial<McpUpstreamOptions> = {},
) {
  const transports: InMemoryTransport[] = [];
  const upstream = new McpUpstream({
    key: "mem",
    config: { command: "unused" },
    host: denoHost,
    secrets: [],
    onToolsChanged: () => {},
    transport: () => {
      const [client, server] = InMemoryTransport.createLinkedPair();
      transports.push(server);
      makeServer().connect(server);
      return client;
    },
    ...options,
  });
  return { upstream, transports };
}

function context(signal = new AbortController().signal) {
  const logs: { level: LogLevel; message: string }[] = [];
  const ctx: ToolContext = {
    signal,
    log: (level, message) => logs.push({ level, message }),
  };
  return { ctx, logs };
}

async function call(
  upstream: McpUpstream,
  name: string,
  input: unknown = {},
  ctx = context().ctx,
) {
  const tool = upstream.tools.find((t) => t.name === name);
  assert.ok(tool, `tool ${name} exists`);
  return await tool.call(input, ctx);
}

function basicServer() {
  const server = new McpServer({ name: "basic", version: "1.0.0" });
  server.registerTool("text_json", { inputSchema: {} }, () => ({
    content: [{ type: "text", text: '{"a":[1,2]}' }],
  }));
  server.registerTool("text_plain", { inputSchema: {} }, () => ({
    content: [{ type: "text", text: "hello" }, { type: "text", text: "world" }],
  }));
  server.registerTool(
    "structured",
    { inputSchema: {}, outputSchema: { n: z.number() } },
    () => ({
      content: [{ type: "text", text: "ignored" }],
      structuredContent: { n: 7 },
    }),
  );
  server.registerTool("image", { inputSchema: {} }, () => ({
    content: [{ type: "image", data: "AAAA", mimeType: "image/png" }],
  }));
  server.registerTool("fails", { inputSchema: {} }, () => ({
    isError: true,
    content: [{ type: "text", text: "upstream said no" }],
  }));
  server.registerTool(
    "write_file",
    { inputSchema: { path: z.string() } },
    ({ path }) => ({
      content: [{ type: "text", text: `wrote ${path}` }],
    }),
  );
  server.registerTool(
    "delete_file",
    { inputSchema: {} },
    () => ({ content: [] }),
  );
  return server;
}

Deno.test("unwrapToolResult() returns what the guest should see", () => {
  assert.deepEqual(
    unwrapToolResult({ content: [{ type: "text", text: "[1]" }] }),
    [1],
  );
  assert.equal(
    unwrapToolResult({ content: [{ type: "text", text: "x" }] }),
    "x",
  );
  assert.equal(unwrapToolResult({ content: [] }), undefined);
  assert.deepEqual(
    unwrapToolResult({ content: [], structuredContent: { a: 1 } }),
    { a: 1 },
  );
  assert.throws(() => unwrapToolResult({ isError: true, content: [] }), {
    message: "The tool reported an error without a message",
  });
});

Deno.test("McpUpstream unwraps results: JSON text, plain text, structured, other content, errors", async () => {
  const { upstream } = inMemoryUpstream(basicServer);
  try {
    await upstream.connect();
    assert.deepEqual(await call(upstream, "text_json"), { a: [1, 2] });
    assert.equal(await call(upstream, "text_plain"), "hello\nworld");
    assert.deepEqual(await call(upstream, "structured"), { n: 7 });
    assert.deepEqual(await call(upstream, "image"), [{
      type: "image",
      data: "AAAA",
      mimeType: "image/png",
    }]);
    await assert.rejects(() => call(upstream, "fails"), {
      message: "upstream said no",
    });
    await assert.rejects(() => call(upstream, "write_file", "not an object"), {
      name: "ExecboxError",
      message: "input must be an object",
    });
  } finally {
    await upstream.close();
  }
});

Deno.test("McpUpstream keeps the raw CallToolResult when rawResults is set", async () => {
  const { upstream } = inMemoryUpstream(basicServer, {
    config: { command: "unused", rawResults: true },
  });
  try {
    await upstream.connect();
    assert.deepEqual(await call(upstream, "fails"), {
      isError: true,
      content: [{ type: "text", text: "upstream said no" }],
    });
  } finally {
    await upstream.close();
  }
});

Deno.test("McpUpstream offers only the tools allowTools and denyTools let through", async () => {
  const { upstream } = inMemoryUpstream(basicServer, {
    config: {
      command: "unused",
      allowTools: ["text_*", "*_file", "structured"],
      denyTools: ["delete_*"],
    },
  });
  try {
    await upstream.connect();
    assert.deepEqual(upstream.tools.map((t) => t.name).sort(), [
      "structured",
      "text_json",
      "text_plain",
      "write_file",
    ]);
  } finally {
    await upstream.close();
  }
});

Deno.test("McpUpstream follows tools/list pagination", async () => {
  const pages = [["a1", "a2"], ["b1"], ["c1", "c2"]];
  const { upstream } = inMemoryUpstream(() => {
    const server = new Server({ name: "paged", version: "1" }, {
      capabilities: { tools: {} },
    });
    server.setRequestHandler(ListToolsRequestSchema, (request) => {
      const page = Number(request.params?.cursor ?? 0);
      return {
        tools: pages[page]!.map((name) => ({
          name,
          inputSchema: { type: "object" as const },
        })),
        ...(page + 1 < pages.length ? { nextCursor: String(page + 1) } : {}),
      };
    });
    return server;
  });
  try {
    await upstream.connect();
    assert.deepEqual(upstream.tools.map((t) => t.name), [
      "a1",
      "a2",
      "b1",
      "c1",
      "c2",
    ]);
  } finally {
    await upstream.close();
  }
});

Deno.test("McpUpstream refreshes its tools on notifications/tools/list_changed", async () => {
  let server!: McpServer;
  const changed = deferred();
  const { upstream } = inMemoryUpstream(() => {
    server = new McpServer({ name: "changing", version: "1" });
    server.registerTool("first", { inputSchema: {} }, () => ({ content: [] }));
    return server;
  }, {
    onToolsChanged: () => {
      if (upstream.tools.length === 2) changed.resolve();
    },
  });
  try {
    await upstream.connect();
    assert.deepEqual(upstream.tools.map((t) => t.name), ["first"]);
    server.registerTool("second", { inputSchema: {} }, () => ({ content: [] })); // sends list_changed
    await changed.promise;
    assert.deepEqual(upstream.tools.map((t) => t.name), ["first", "second"]);
  } finally {
    await upstream.close();
  }
});

Deno.test("McpUpstream fails a call in flight when the server disconnects, then reconnects", async () => {
  const { upstream, transports } = inMemoryUpstream(() => {
    const server = new McpServer({ name: "crashy", version: "1" });
    server.registerTool("crash", { inputSchema: {} }, async () => {
      await transports.at(-1)!.close(); // the server goes away mid-call
      return { content: [] };
    });
    server.registerTool(
      "ok",
      { inputSchema: {} },
      () => ({ content: [{ type: "text", text: "fine" }] }),
    );
    return server;
  });
  try {
    await upstream.connect();
    await assert.rejects(() => call(upstream, "crash"), {
      message: 'MCP server "mem" disconnected during a call to crash',
    });
    assert.equal(upstream.connected, false);
    assert.equal(await call(upstream, "ok"), "fine");
    assert.equal(transports.length, 2);
  } finally {
    await upstream.close();
  }
});

Deno.test("McpUpstream times out a server that never answers", async () => {
  const { upstream } = inMemoryUpstream(() => {
    const server = new McpServer({ name: "silent", version: "1" });
    server.registerTool(
      "never",
      { inputSchema: {} },
      () => new Promise(() => {}),
    );
    return server;
  }, { config: { command: "unused", timeout: 200 } });
  try {
    await upstream.connect();
    await assert.rejects(() => call(upstream, "never"), {
      message: 'MCP server "mem" did not answer never within 200 ms',
    });
  } finally {
    await upstream.close();
  }
});

Deno.test("McpUpstream cancels the upstream request when the run's signal aborts", async () => {
  const started = deferred();
  const cancelled = deferred<string>();
  const { upstream } = inMemoryUpstream(() => {
    const server = new McpServer({ name: "slow", version: "1" });
    server.registerTool("slow", { inputSchema: {} }, (_args, extra) => {
      started.resolve();
      return new Promise((resolve) => {
        extra.signal.addEventListener("abort", () => {
          cancelled.resolve("cancelled");
          resolve({ content: [] });
        });
      });
    });
    return server;
  });
  try {
    await upstream.connect();
    const controller = new AbortController();
    const pending = call(upstream, "slow", {}, context(controller.signal).ctx);
    await started.promise;
    controller.abort();
    await assert.rejects(() => pending);
    assert.equal(await cancelled.promise, "cancelled");
  } finally {
    await upstream.close();
  }
});

Deno.test("McpUpstream turns logging and progress notifications into run logs", async () => {
  const { upstream } = inMemoryUpstream(() => {
    const server = new McpServer(
      { name: "chatty", version: "1" },
      { capabilities: { logging: {} } },
    );
    server.registerTool("work", { inputSchema: {} }, async (_args, extra) => {
      await server.sendLoggingMessage({
        level: "warning",
        data: "disk almost full",
      });
      const progressToken = extra._meta?.progressToken;
      if (progressToken !== undefined) {
        await extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken, progress: 1, total: 2, message: "half way" },
        });
      }
      return { content: [{ type: "text", text: "done" }] };
    });
    return server;
  });
  try {
    await upstream.connect();
    const { ctx, logs } = context();
    assert.equal(await call(upstream, "work", {}, ctx), "done");
    assert.deepEqual(logs, [
      { level: "warn", message: "[mem] disk almost full" },
      { level: "info", message: "[mem] work progress 1/2: half way" },
    ]);
  } finally {
    await upstream.close();
  }
});

Deno.test("McpUpstream answers a server's sampling request with an error instead of hanging", async () => {
  const answer = deferred<JSONRPCMessage>();
  const { upstream, transports } = inMemoryUpstream(() => {
    const server = new McpServer({ name: "sampler", version: "1" });
    server.registerTool("ask", { inputSchema: {} }, async () => {
      // Sent raw: the SDK's createMessage() refuses locally before asking a
      // client that did not declare sampling, and this tests the client.
      const transport = transports.at(-1)!;
      const original = transport.onmessage!;
      transport.onmessage = (message, extra) => {
        if ("id" in message && message.id === "sample-1") {
          answer.resolve(message);
        } else original(message, extra);
      };
      await transport.send({
        jsonrpc: "2.0",
        id: "sample-1",
        method: "sampling/createMessage",
        params: { messages: [], maxTokens: 1 },
      });
      const reply = await answer.promise;
      return { content: [{ type: "text", text: JSON.stringify(reply) }] };
    });
    return server;
  });
  try {
    await upstream.connect();
    const reply = await call(upstream, "ask") as {
      error?: { code: number; message: string };
    };
    assert.equal(reply.error?.code, -32601);
    assert.match(reply.error?.message ?? "", /Method not found/);
  } finally {
    await upstream.close();
  }
});

Deno.test("McpUpstream keeps secrets out of results, errors and logs", async () => {
  const secret = "sk-test-0123456789";
  const { upstream } = inMemoryUpstream(() => {
    const server = new McpServer({ name: "leaky", version: "1" }, {
      capabilities: { logging: {} },
    });
    server.registerTool("leak", { inputSchema: {} }, async () => {
      await server.sendLoggingMessage({
        level: "info",
        data: `token=${secret}`,
      });
      return {
        content: [{
          type: "text",
          text: JSON.stringify({ token: secret, quoted: `"${secret}"` }),
        }],
      };
    });
    server.registerTool("leak_error", { inputSchema: {} }, () => ({
      isError: true,
      content: [{ type: "text", text: `bad token ${secret}` }],
    }));
    return server;
  }, { secrets: [secret] });
  try {
    await upstream.connect();
    const { ctx, logs } = context();
    const result = await call(upstream, "leak", {}, ctx);
    assert.deepEqual(result, { token: "[redacted]", quoted: '"[redacted]"' });
    assert.deepEqual(logs, [{
      level: "info",
      message: "[mem] token=[redacted]",
    }]);
    const error = await call(upstream, "leak_error").catch((e: Error) => e);
    assert.ok(error instanceof Error);
    assert.equal(error.message.includes(secret), false);
  } finally {
    await upstream.close();
  }
});

Deno.test("McpUpstream reports a server that cannot start, then backs off", async () => {
  let attempts = 0;
  const upstream = new McpUpstream({
    key: "broken",
    config: { command: "unused" },
    host: denoHost,
    secrets: [],
    onToolsChanged: () => {},
    transport: () => {
      attempts++;
      const [client, server] = InMemoryTransport.createLinkedPair();
      server.close();
      return client;
    },
  });
  try {
    await assert.rejects(
      () => upstream.connect(),
      (e) =>
        e instanceof Error && "code" in e && e.code === "mcp_unavailable" &&
        e.message.startsWith('MCP server "broken" failed to start: '),
    );
    assert.equal(upstream.tools.length, 0);
    upstream.retryIfDue(); // within the backoff: no new attempt
    assert.equal(attempts, 1);
  } finally {
    await upstream.close();
  }
});

Deno.test("McpUpstream drops a server log it cannot attribute to one run", async () => {
  const release = deferred();
  const blocked = deferred();
  const { upstream } = inMemoryUpstream(() => {
    const server = new McpServer(
      { name: "shared", version: "1" },
      { capabilities: { logging: {} } },
    );
    server.registerTool("block", { inputSchema: {} }, async () => {
      blocked.resolve();
      await release.promise;
      return { content: [] };
    });
    server.registerTool("talk", { inputSchema: {} }, async () => {
      await server.sendLoggingMessage({
        level: "info",
        data: "whose is this?",
      });
      return { content: [{ type: "text", text: "said" }] };
    });
    return server;
  });
  try {
    await upstream.connect();
    const a = context();
    const b = context();
    const blocking = call(upstream, "block", {}, a.ctx);
    await blocked.promise;
    assert.equal(await call(upstream, "talk", {}, b.ctx), "said");
    release.resolve();
    await blocking;
    assert.deepEqual(a.logs, []);
    assert.deepEqual(b.logs, []);
    const c = context();
    assert.equal(await call(upstream, "talk", {}, c.ctx), "said");
    assert.deepEqual(c.logs, [{
      level: "info",
      message: "[mem] whose is this?",
    }]);
  } finally {
    await upstream.close();
  }
});

// MCP in both directions from Node.js: a real MCP server from npm as a guest
// namespace, and execbox as an MCP server for an MCP SDK client.

import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { createBroker } from "@execbox/core";
import { createMcpServer } from "@execbox/core/mcp";
import { mathProvider } from "./_fixtures.mjs";

/** The entry point of an installed package's only command. */
async function packageBin(name) {
  const dir = join(process.cwd(), "node_modules", name);
  const { bin } = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
  return join(dir, typeof bin === "string" ? bin : Object.values(bin)[0]);
}

test("Broker wraps a real MCP server from npm as a guest namespace", async () => {
  const dir = await mkdtemp(join(tmpdir(), "execbox-npm-"));
  const broker = await createBroker({
    mcpServers: {
      memory: {
        command: process.execPath,
        args: [await packageBin("@modelcontextprotocol/server-memory")],
        env: { MEMORY_FILE_PATH: join(dir, "memory.jsonl") },
      },
    },
    pool: { size: 1 },
  });
  try {
    assert.match(broker.types(), /declare namespace memory \{/);
    const run = await broker.execute(`
      await memory.create_entities({
        entities: [{ name: "Ada", entityType: "person", observations: ["wrote programs"] }],
      });
      const graph = await memory.read_graph({});
      graph.entities.map((e) => e.name)
    `);
    assert.equal(run.ok, true, JSON.stringify(run));
    assert.deepEqual(run.result, ["Ada"]);
    assert.equal(run.stats.toolCalls, 2);
  } finally {
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("createMcpServer() answers an MCP SDK client", async () => {
  const broker = await createBroker({
    providers: mathProvider,
    pool: { size: 1 },
  });
  const server = createMcpServer(broker);
  const client = new Client({ name: "npm-test", version: "1.0.0" });
  try {
    const [clientTransport, serverTransport] = InMemoryTransport
      .createLinkedPair();
    await server.connect(serverTransport);
    await client.connect(clientTransport);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [
      "execute",
      "search_tools",
    ]);
    const call = await client.callTool({
      name: "execute",
      arguments: { code: "await math.add({ a: 20, b: 22 })" },
    });
    assert.equal(call.isError, undefined, JSON.stringify(call));
    assert.equal(call.structuredContent.ok, true);
    assert.equal(call.structuredContent.result, 42);
    const search = await client.callTool({
      name: "search_tools",
      arguments: { query: "add", detail: "name" },
    });
    assert.match(JSON.stringify(search.content), /math\.add/);
  } finally {
    await client.close();
    await server.close();
    await broker.close();
  }
});

test("execbox mcp serves MCP on stdio", async () => {
  const client = new Client({ name: "npm-test", version: "1.0.0" });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [await packageBin("@execbox/core"), "mcp"],
    cwd: process.cwd(),
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk) => (stderr += chunk));
  try {
    await client.connect(transport);
    const call = await client.callTool({
      name: "execute",
      arguments: { code: "[1, 2, 3].map((n) => n * 2)" },
    });
    assert.deepEqual(call.structuredContent?.result, [2, 4, 6], stderr);
  } finally {
    await client.close();
  }
});

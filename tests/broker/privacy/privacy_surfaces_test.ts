/**
 * PII tokenization through the MCP server, the HTTP service and an upstream
 * MCP server: the same tokens, the same restoring of values.
 */

import assert from "node:assert/strict";
// The SDK's ".js" subpaths have no types under Deno (typescript-sdk#2701).
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { createHttpApp } from "../../../broker/http/app.ts";
import { createBroker, createMcpServer, denoHost } from "../../../mod.ts";
import { everythingServer } from "../../_mcp_servers.ts";
import { crmProviders } from "./_crm.ts";

Deno.test("The MCP server's execute returns tokens, and a later call of the session restores [EMAIL_7] for a tool", async () => {
  const sent: unknown[] = [];
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: crmProviders(sent),
    privacy: { tokenize: ["email", "phone"] },
  });
  const mcp = createMcpServer(broker);
  const client = new Client({ name: "test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await mcp.connect(serverSide);
  await client.connect(clientSide);
  try {
    const { tools } = await client.listTools();
    const execute = tools.find((t) => t.name === "execute")!;
    assert.match(
      execute.description!,
      /comes back as tokens such as \[EMAIL_1\]; pass a token as it is/,
    );
    const listed = await client.callTool({
      name: "execute",
      arguments: {
        code: "const rows = await crm.list_customers({});\n" +
          "console.log(rows[0].email);\n" +
          "rows.slice(0, 10)",
        session: "s1",
      },
    });
    const text = JSON.stringify(listed);
    assert.doesNotMatch(text, /@example\.com|\+1 555/);
    assert.match(text, /\[EMAIL_7\]/);
    assert.match(text, /logs:\\n\[EMAIL_1\]/);
    await client.callTool({
      name: "execute",
      arguments: {
        code: 'await mail.send({ to: "[EMAIL_7]" })',
        session: "s1",
      },
    });
    await client.callTool({
      name: "execute",
      arguments: { code: 'await mail.send({ to: "[EMAIL_7]" })' },
    });
    assert.deepEqual(sent, [{ to: "user7@example.com" }, { to: "[EMAIL_7]" }]);
  } finally {
    await client.close();
    await mcp.close();
  }
});

Deno.test("The HTTP service returns tokens, and a later request of the session restores [EMAIL_7] for a tool", async () => {
  const sent: unknown[] = [];
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: crmProviders(sent),
    privacy: { tokenize: ["email", "phone"] },
  });
  const app = createHttpApp(broker, {
    tokens: { alice: "alice-token-1234", bob: "bob-token-5678" },
  });
  const server = await denoHost.serve(app.fetch, {
    hostname: "127.0.0.1",
    port: 0,
  });
  const base = `http://127.0.0.1:${server.address.port}`;
  const execute = async (token: string, code: string) => {
    const response = await fetch(`${base}/v1/execute`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ code, session: "s1" }),
    });
    return await response.json();
  };
  try {
    const listed = await execute(
      "alice-token-1234",
      "(await crm.list_customers({})).map((r) => r.email)",
    );
    assert.equal(listed.ok, true);
    assert.equal(listed.result[6], "[EMAIL_7]");
    assert.doesNotMatch(JSON.stringify(listed), /@example\.com/);
    // Bob's session "s1" is another scope.
    await execute("bob-token-5678", 'await mail.send({ to: "[EMAIL_7]" })');
    await execute("alice-token-1234", 'await mail.send({ to: "[EMAIL_7]" })');
    assert.deepEqual(sent, [{ to: "[EMAIL_7]" }, { to: "user7@example.com" }]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("Broker.execute() restores tokens in the arguments of an upstream MCP server's tool", async () => {
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: crmProviders([]),
    mcpServers: { everything: { ...everythingServer(), allowTools: ["echo"] } },
    privacy: { tokenize: ["email"] },
  });
  await broker.execute("await crm.list_customers({})", { session: "s" });
  const run = await broker.execute(
    "const rows = await crm.list_customers({});\n" +
      "const echo = await everything.echo({ message: '[EMAIL_3]' });\n" +
      "({ echo, real: echo === 'Echo: ' + rows[2].email })",
    { session: "s" },
  );
  assert.equal(run.ok, true, JSON.stringify(run));
  assert.deepEqual(run.ok && run.result, {
    echo: "Echo: [EMAIL_3]",
    real: true,
  });
});

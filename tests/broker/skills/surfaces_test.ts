/**
 * Saved skills through the surfaces: the MCP server (its caller, the
 * `execute` description's count, `search_tools`) and the HTTP service
 * (`/v1/types` and `/v1/tools` for the token's caller, and its `/mcp`).
 */

import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import {
  type Broker,
  createMcpServer,
  type McpServerOptions,
} from "../../../mod.ts";
import { createHttpApp } from "../../../broker/http/app.ts";
import { saveCode, skillBroker } from "./_skills.ts";

const QUAD = {
  name: "quad",
  description: "Quadruples a number",
  code: "return await math.double({ n: await math.double({ n: args.n }) })",
  signature: "(args: { n: number }) => Promise<number>",
};

async function withMcpClient<T>(
  broker: Broker,
  options: McpServerOptions,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const server = createMcpServer(broker, options);
  const client = new Client({ name: "test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    return await fn(client);
  } finally {
    await client.close();
    await server.close();
  }
}

function text(result: unknown): string {
  return ((result as { content: { text: string }[] }).content[0]!).text;
}

Deno.test("createMcpServer() saves and calls skills for its caller, counts them in the execute description and finds them with search_tools", async () => {
  await using broker = await skillBroker();
  const description = (client: Client) =>
    client.listTools().then((r) =>
      r.tools.find((t) => t.name === "execute")!.description!
    );
  await withMcpClient(broker, { caller: "agent" }, async (client) => {
    assert.match(await description(client), /\(tool count\): math \(1\)\.$/);
    const saved = await client.callTool({
      name: "execute",
      arguments: { code: saveCode(QUAD) },
    });
    assert.equal(text(saved), '"saved"');
  });
  await withMcpClient(broker, { caller: "agent" }, async (client) => {
    assert.match(
      await description(client),
      /\(tool count\): math \(1\), skills \(1\)\.$/,
    );
    const called = await client.callTool({
      name: "execute",
      arguments: { code: "await skills.quad({ n: 2 })" },
    });
    assert.equal(text(called), "8");
    const found = await client.callTool({
      name: "search_tools",
      arguments: { query: "quadruples", detail: "full" },
    });
    assert.match(
      text(found),
      /^declare namespace skills \{\n {2}\/\*\* Quadruples a number \*\/\n {2}const quad: \(args: \{ n: number \}\) => Promise<number>;\n\}$/,
    );
  });
  // Another caller sees none of it.
  await withMcpClient(broker, {}, async (client) => {
    assert.match(await description(client), /\(tool count\): math \(1\)\.$/);
    const found = await client.callTool({
      name: "search_tools",
      arguments: { query: "quadruples" },
    });
    assert.doesNotMatch(text(found), /skills\.quad/);
  });
});

const ALICE = "alice-token-1234";
const BOB = "bob-token-5678";

Deno.test("createHttpApp() declares and finds the token's own skills on /v1/types, /v1/tools and /mcp", async () => {
  await using broker = await skillBroker();
  const app = createHttpApp(broker, { tokens: { alice: ALICE, bob: BOB } });
  const get = async (path: string, token: string) =>
    await (await app.fetch(
      new Request(`http://127.0.0.1:8080${path}`, {
        headers: { authorization: `Bearer ${token}` },
      }),
    )).text();

  const saved = await app.fetch(
    new Request("http://127.0.0.1:8080/v1/execute", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${ALICE}`,
      },
      body: JSON.stringify({ code: saveCode(QUAD) }),
    }),
  );
  assert.equal((await saved.json()).result, "saved");

  assert.match(
    await get("/v1/types", ALICE),
    /quad: \(args: \{ n: number \}\) => Promise<number>;/,
  );
  assert.doesNotMatch(await get("/v1/types", BOB), /quad/);
  assert.deepEqual(
    JSON.parse(await get("/v1/tools?q=quadruples&detail=name", ALICE)),
    [{ namespace: "skills", name: "quad", path: "skills.quad" }],
  );
  assert.deepEqual(
    JSON.parse(await get("/v1/tools?q=quadruples&detail=name", BOB)),
    [],
  );

  for (const [token, expected] of [[ALICE, "8"], [BOB, '"undefined"']]) {
    const client = new Client({ name: "test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL("http://127.0.0.1:8080/mcp"), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
        fetch: async (url, init) => await app.fetch(new Request(url, init)),
      }),
    );
    try {
      const result = await client.callTool({
        name: "execute",
        arguments: {
          code: token === ALICE
            ? "await skills.quad({ n: 2 })"
            : "typeof skills.quad",
        },
      });
      assert.equal(text(result), expected);
    } finally {
      await client.close();
    }
  }
});

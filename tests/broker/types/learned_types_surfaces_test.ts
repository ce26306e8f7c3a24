import assert from "node:assert/strict";
// The SDK's ".js" subpaths have no types under Deno (typescript-sdk#2701).
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { z } from "zod";
import { createHttpApp } from "../../../broker/http/app.ts";
import {
  createBroker,
  createMcpServer,
  defineTool,
  denoHost,
} from "../../../mod.ts";

const LEARNED =
  "Promise<{ id: number; labels: string[]; assignee: { login: string } | null }>";

Deno.test("The MCP server and the HTTP service show what runs through either taught the broker", async () => {
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: {
      issues: {
        get_issue: defineTool({
          description: "Gets an issue by number",
          input: z.object({ number: z.number() }),
          execute: ({ number }) => ({
            id: number,
            labels: ["bug"],
            assignee: number === 1 ? null : { login: "ada" },
          }),
        }),
      },
    },
  });
  const app = createHttpApp(broker);
  const server = await denoHost.serve(app.fetch, {
    hostname: "127.0.0.1",
    port: 0,
  });
  const base = `http://127.0.0.1:${server.address.port}`;
  const mcp = createMcpServer(broker);
  const client = new Client({ name: "test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await mcp.connect(serverSide);
  await client.connect(clientSide);
  try {
    // One call through HTTP, one through MCP's execute.
    const response = await fetch(`${base}/v1/execute`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        code: "(await issues.get_issue({ number: 1 })).id",
      }),
    });
    assert.equal((await response.json()).ok, true);
    const executed = await client.callTool({
      name: "execute",
      arguments: { code: "(await issues.get_issue({ number: 2 })).id" },
    });
    assert.equal(executed.isError, undefined);

    const types = await (await fetch(`${base}/v1/types`)).text();
    assert.equal(
      types,
      "declare namespace issues {\n" +
        "  /** Gets an issue by number\n" +
        "   * Return type inferred from results. */\n" +
        `  function get_issue(input: { number: number }): ${LEARNED};\n` +
        "}\n",
    );
    const searched = await client.callTool({
      name: "search_tools",
      arguments: { query: "issue", detail: "full" },
    });
    const [content] = searched.content as { type: string; text: string }[];
    assert.equal(content!.text, types.trimEnd());
  } finally {
    await client.close();
    await mcp.close();
    await server.shutdown();
  }
});

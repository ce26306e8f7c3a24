/**
 * The guest's `fetch` through the surfaces: the MCP server (its `execute`
 * description names the allowed origins) and the HTTP service.
 */

import assert from "node:assert/strict";
// The SDK's ".js" subpaths have no types under Deno (typescript-sdk#2701).
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { createBroker, createMcpServer, denoHost } from "../../../mod.ts";
import { createHttpApp } from "../../../broker/http/app.ts";
import { js } from "../../security/_fixtures.ts";
import { echo, serveLoopback } from "./_loopback.ts";

const SECRET = `tok-${crypto.randomUUID()}`;

Deno.test("createMcpServer() names the allowed origins and runs fetch in execute", async () => {
  await using api = serveLoopback(echo);
  await using broker = await createBroker({
    pool: { size: 1 },
    network: {
      allow: [{
        origin: api.origin,
        paths: ["/v1/"],
        methods: ["GET", "POST"],
        headers: { authorization: `Bearer ${SECRET}` },
      }],
    },
  });
  const server = createMcpServer(broker);
  const client = new Client({ name: "test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    const { tools } = await client.listTools();
    const execute = tools.find((tool) => tool.name === "execute")!;
    assert.ok(
      execute.description!.includes(
        `- The standard fetch reaches only: GET, POST ${api.origin} (paths /v1/)`,
      ),
      execute.description,
    );
    assert.equal(execute.description!.includes(SECRET), false);
    const call = await client.callTool({
      name: "execute",
      arguments: {
        code: `const r = await fetch(${
          js(api.origin)
        } + "/v1/me"); (await r.json()).headers.authorization`,
      },
    });
    const content = call.content as { type: string; text: string }[];
    assert.equal(call.isError, undefined);
    assert.equal(content[0]!.text, '"[redacted]"');
    assert.equal(
      api.requests[0]!.headers.get("authorization"),
      `Bearer ${SECRET}`,
    );
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("createHttpApp() runs fetch in POST /v1/execute and declares it in GET /v1/types", async () => {
  await using api = serveLoopback(echo);
  await using broker = await createBroker({
    pool: { size: 1 },
    network: {
      allow: [{ origin: api.origin, headers: { "x-key": SECRET } }],
    },
  });
  const app = createHttpApp(broker, { log: () => {} });
  const server = await denoHost.serve(app.fetch, {
    hostname: "127.0.0.1",
    port: 0,
  });
  const base = `http://127.0.0.1:${server.address.port}`;
  try {
    const types = await (await fetch(`${base}/v1/types`)).text();
    assert.ok(types.includes(`- GET ${api.origin}`), types);
    assert.ok(types.includes("declare function fetch("), types);
    const response = await fetch(`${base}/v1/execute`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        code: `const r = await fetch(${
          js(api.origin)
        } + "/x"); const body = await r.json();
          let refused;
          try { await fetch("http://localhost:${api.port}/") } catch (e) { refused = e.message }
          return [body.headers["x-key"], refused]`,
      }),
    });
    const body = await response.json();
    assert.equal(response.status, 200);
    assert.deepEqual(body.result, [
      "[redacted]",
      `fetch to http://localhost:${api.port}/ is not allowed: no rule for this origin`,
    ]);
    assert.equal(JSON.stringify(body).includes(SECRET), false);
  } finally {
    await server.shutdown();
  }
});

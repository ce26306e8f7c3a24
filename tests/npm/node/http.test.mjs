// The HTTP app from Node.js, served through the package's host seam
// (`@hono/node-server`) on loopback.

import assert from "node:assert/strict";
import { connect } from "node:net";
import { test } from "node:test";
import { z } from "zod";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createBroker, defineTool, denoHost } from "@execbox/core";
import { createHttpApp } from "@execbox/core/http";
import { mathProvider } from "./_fixtures.mjs";

test("createHttpApp() serves runs, declarations and MCP over HTTP", async () => {
  const broker = await createBroker({
    providers: mathProvider,
    pool: { size: 1 },
  });
  const server = await denoHost.serve(createHttpApp(broker).fetch, {
    hostname: "127.0.0.1",
    port: 0,
  });
  const base = `http://127.0.0.1:${server.address.port}`;
  const client = new Client({ name: "npm-test", version: "1.0.0" });
  try {
    const response = await fetch(`${base}/v1/execute`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: "await math.add({ a: 1, b: 1 })" }),
    });
    assert.equal(response.status, 200);
    const run = await response.json();
    assert.equal(run.ok, true, JSON.stringify(run));
    assert.equal(run.result, 2);

    const types = await fetch(`${base}/v1/types`);
    assert.match(await types.text(), /declare namespace math \{/);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    assert.equal((await fetch(`${base}/nowhere`)).status, 404);

    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`)),
    );
    const call = await client.callTool({
      name: "execute",
      arguments: { code: "await math.add({ a: 2, b: 2 })" },
    });
    assert.equal(call.structuredContent?.result, 4, JSON.stringify(call));
  } finally {
    await client.close();
    await server.shutdown();
    await server.finished;
    await broker.close();
  }
});

test("createHttpApp() cancels the run of a client that disconnects", async () => {
  let started;
  const running = new Promise((resolve) => (started = resolve));
  let recorded;
  const record = new Promise((resolve) => (recorded = resolve));
  const broker = await createBroker({
    providers: {
      signal: {
        started: defineTool({
          description: "Says that the run has started",
          input: z.object({}),
          execute: () => started(),
        }),
      },
    },
    pool: { size: 1 },
    limits: { timeoutMs: 30_000 },
    onRun: recorded,
  });
  const server = await denoHost.serve(createHttpApp(broker).fetch, {
    hostname: "127.0.0.1",
    port: 0,
  });
  try {
    const client = new AbortController();
    const response = fetch(
      `http://127.0.0.1:${server.address.port}/v1/execute`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          code: "await signal.started({}); while (true) {}",
        }),
        signal: client.signal,
      },
    );
    await running;
    client.abort();
    await assert.rejects(response);
    assert.equal((await record).outcome, "cancelled");
  } finally {
    await server.shutdown();
    await broker.close();
  }
});

/** Writes `text` on a new connection and reads until the server closes it. */
function exchange(port, text) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    let received = "";
    socket.on("data", (chunk) => (received += chunk));
    socket.on(
      "error",
      (error) =>
        error.code === "ECONNRESET" ? resolve(received) : reject(error),
    );
    socket.on("close", () => resolve(received));
  });
}

// The timeout turns a server that keeps the connection (Node.js's own
// defaults would close it after 60 s) into a failure, far above the 200 ms.
test("denoHost.serve() closes a half-sent request after headersTimeoutMs", {
  timeout: 10_000,
}, async () => {
  const broker = await createBroker({ pool: { size: 0 } });
  const clientErrors = [];
  const server = await denoHost.serve(createHttpApp(broker).fetch, {
    hostname: "127.0.0.1",
    port: 0,
    headersTimeoutMs: 200,
    requestTimeoutMs: 400,
    onClientError: (error) => clientErrors.push(error),
  });
  try {
    assert.equal(
      await exchange(
        server.address.port,
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n",
      ),
      "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    );
    assert.deepEqual(clientErrors, [{ reason: "timeout", status: 408 }]);
    assert.equal(
      (await fetch(`http://127.0.0.1:${server.address.port}/healthz`)).status,
      200,
    );
  } finally {
    await server.shutdown();
    await broker.close();
  }
});

test("denoHost.serve() closes connections past maxConnections", async () => {
  const broker = await createBroker({ pool: { size: 0 } });
  const clientErrors = [];
  const server = await denoHost.serve(createHttpApp(broker).fetch, {
    hostname: "127.0.0.1",
    port: 0,
    maxConnections: 1,
    onClientError: (error) => clientErrors.push(error),
  });
  const held = connect(server.address.port, "127.0.0.1");
  try {
    // One connection held open, its headers unfinished; the next is refused.
    await new Promise((resolve) => held.once("connect", resolve));
    held.write("GET /healthz HTTP/1.1\r\n");
    assert.equal(
      await exchange(server.address.port, "GET /healthz HTTP/1.1\r\n\r\n"),
      "",
    );
    assert.deepEqual(clientErrors, [
      { reason: "too_many_connections", status: undefined },
    ]);
  } finally {
    held.destroy();
    await server.shutdown();
    await broker.close();
  }
});

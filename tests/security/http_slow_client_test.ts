/**
 * Slow and greedy clients cannot hold the HTTP service's connections: the
 * host seam `execbox serve` uses closes a request whose headers or body do
 * not arrive in time, and refuses connections past its cap, while normal
 * requests go on being served. Deadlines are shortened for the tests.
 */

import assert from "node:assert/strict";
import { readUntilClosed, serveApp } from "./_http.ts";
import { serve, withNotesConfig } from "../cli/_cli.ts";

const encoder = new TextEncoder();

Deno.test("denoHost.serve() closes a connection whose headers do not arrive within headersTimeoutMs", async () => {
  await using service = await serveApp({
    serve: { headersTimeoutMs: 200, requestTimeoutMs: 400 },
  });
  const slow = await Deno.connect({
    hostname: "127.0.0.1",
    port: service.port,
  });
  await slow.write(
    encoder.encode("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"),
  );
  const response = await readUntilClosed(slow);
  assert.equal(
    response.text,
    "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
  );
  assert.deepEqual(service.clientErrors, [{ reason: "timeout", status: 408 }]);
  // Never a request for the app.
  assert.deepEqual(service.log, []);

  const normal = await fetch(`${service.base}/healthz`);
  assert.deepEqual([normal.status, await normal.json()], [200, { ok: true }]);
});

Deno.test("denoHost.serve() closes a connection whose body stalls past requestTimeoutMs, and runs nothing", async () => {
  await using service = await serveApp({
    serve: { headersTimeoutMs: 200, requestTimeoutMs: 400 },
  });
  const slow = await Deno.connect({
    hostname: "127.0.0.1",
    port: service.port,
  });
  await slow.write(encoder.encode(
    'POST /v1/execute HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"code": ',
  ));
  const response = await readUntilClosed(slow);
  assert.equal(response.status, 408, response.text);
  assert.deepEqual(service.clientErrors, [{ reason: "timeout", status: 408 }]);
  assert.equal(service.broker.status().pool.spawned, 0, "no run started");

  const normal = await fetch(`${service.base}/v1/execute`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code: "6 * 7" }),
  });
  assert.equal((await normal.json()).result, 42);
});

/** Reads one response of known length off a kept-alive connection. */
async function readOne(connection: Deno.Conn): Promise<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(4096);
  let text = "";
  while (true) {
    const n = await connection.read(buffer);
    assert.ok(n !== null, `closed after ${JSON.stringify(text)}`);
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
    const head = text.indexOf("\r\n\r\n");
    const length = /\r\ncontent-length: (\d+)\r\n/i.exec(text)?.[1];
    if (head >= 0 && length !== undefined) {
      if (text.length >= head + 4 + Number(length)) return text;
    }
  }
}

Deno.test("denoHost.serve() closes connections past maxConnections at once", async () => {
  await using service = await serveApp({ serve: { maxConnections: 2 } });
  const held: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const connection = await Deno.connect({
        hostname: "127.0.0.1",
        port: service.port,
      });
      held.push(connection);
      // A request answered on it: the server has counted it, and keeps it.
      await connection.write(encoder.encode(
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      ));
      assert.match(await readOne(connection), /^HTTP\/1\.1 200 OK\r\n/);
    }
    const third = await Deno.connect({
      hostname: "127.0.0.1",
      port: service.port,
    });
    await third.write(encoder.encode(
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    )).catch(() => {}); // it may be closed already
    const refused = await readUntilClosed(third);
    assert.deepEqual([refused.status, refused.text], [undefined, ""]);
    assert.deepEqual(service.clientErrors, [
      { reason: "too_many_connections", status: undefined },
    ]);

    // The connections within the cap are served as before.
    await held[0]!.write(encoder.encode(
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    ));
    assert.match(await readOne(held[0]!), /^HTTP\/1\.1 200 OK\r\n/);
  } finally {
    for (const connection of held) connection.close();
  }
});

Deno.test("execbox serve takes http.headersTimeoutMs from its config and logs the closed connection", async () => {
  await withNotesConfig(async (path) => {
    const served = await serve(["--config", path]);
    try {
      const slow = await Deno.connect({
        hostname: "127.0.0.1",
        port: Number(new URL(served.url).port),
      });
      await slow.write(encoder.encode("GET /healthz HTTP/1.1\r\n"));
      // Well under the default 10 s, so the config's deadline must be used.
      assert.equal((await readUntilClosed(slow, 5_000)).status, 408);
    } finally {
      served.child.kill("SIGTERM");
      await served.exited;
    }
    assert.match(
      served.stderr(),
      /^time=\S+ event=client_error reason=timeout status=408$/m,
    );
  }, { http: { headersTimeoutMs: 200, requestTimeoutMs: 200 } });
});

import assert from "node:assert/strict";
import { denoHost } from "../../../mod.ts";

const ok = () => new Response("ok");

Deno.test("denoHost.serve() rejects deadlines and caps that are not positive whole numbers", async () => {
  for (
    const [options, message] of [
      [
        { headersTimeoutMs: 0 },
        "headersTimeoutMs must be a whole number of at least 1, got 0",
      ],
      [
        { requestTimeoutMs: 1.5 },
        "requestTimeoutMs must be a whole number of at least 1, got 1.5",
      ],
      [
        { maxConnections: -1 },
        "maxConnections must be a whole number of at least 1, got -1",
      ],
      [
        { headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 },
        "headersTimeoutMs must not be longer than requestTimeoutMs (1000), got 5000",
      ],
    ] as const
  ) {
    await assert.rejects(
      denoHost.serve(ok, { hostname: "127.0.0.1", port: 0, ...options }),
      new RangeError(message),
    );
  }
});

Deno.test("denoHost.serve() hands the handler a standard Request, whose body can be re-wrapped", async () => {
  const server = await denoHost.serve(async (request) => {
    assert.ok(request instanceof Request);
    // What Hono's bodyLimit does with a chunked body.
    const copy = new Request(request, { body: await request.arrayBuffer() });
    return new Response(`${request.method} ${await copy.text()}`);
  }, { hostname: "127.0.0.1", port: 0 });
  try {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("ab"));
        controller.enqueue(new TextEncoder().encode("cd"));
        controller.close();
      },
    });
    const response = await fetch(
      `http://127.0.0.1:${server.address.port}/`,
      { method: "POST", body },
    );
    assert.equal(await response.text(), "POST abcd");
  } finally {
    await server.shutdown();
  }
});

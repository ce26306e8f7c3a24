import assert from "node:assert/strict";
import { deferred } from "../../_async.ts";
import {
  createBroker,
  defineTool,
  denoHost,
  type ExecuteResult,
} from "../../../mod.ts";
import { createHttpApp } from "../../../broker/http/app.ts";
import { readEvents } from "./_sse.ts";

let gate = newGate();
function newGate() {
  return { release: deferred<void>(), aborted: deferred<void>() };
}

async function start() {
  const broker = await createBroker({
    pool: { size: 1 },
    providers: {
      tools: {
        gate: defineTool({
          execute: (_input, { signal }) =>
            new Promise<string>((resolve, reject) => {
              signal.addEventListener("abort", () => {
                gate.aborted.resolve();
                reject(signal.reason);
              }, { once: true });
              gate.release.promise.then(() => resolve("open"));
            }),
        }),
      },
    },
  });
  const log: string[] = [];
  const logged = deferred<string>();
  const app = createHttpApp(broker, {
    log: (line) => {
      log.push(line);
      logged.resolve(line);
    },
  });
  const server = await denoHost.serve(app.fetch, {
    hostname: "127.0.0.1",
    port: 0,
  });
  return {
    broker,
    logged: logged.promise,
    base: `http://127.0.0.1:${server.address.port}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await broker.close();
    },
  };
}

function execute(
  base: string,
  body: unknown,
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${base}/v1/execute`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
    },
    body: JSON.stringify(body),
    ...init,
  });
}

Deno.test("POST /v1/execute with Accept: text/event-stream streams log events before the result event", async () => {
  gate = newGate();
  await using service = await start();
  const response = await execute(service.base, {
    code: 'console.log("first"); console.warn(await tools.gate({})); "done"',
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  const events: { event: string; data: unknown }[] = [];
  for await (const { event, data } of readEvents(response.body!)) {
    events.push({ event, data: JSON.parse(data) });
    // The run waits on the test: it has read the first log while it goes.
    if (events.length === 1) gate.release.resolve();
  }
  assert.deepEqual(events.slice(0, 2), [
    { event: "log", data: { level: "log", message: "first" } },
    { event: "log", data: { level: "warn", message: "open" } },
  ]);
  assert.equal(events.length, 3);
  assert.equal(events[2]!.event, "result");
  const result = events[2]!.data as ExecuteResult;
  assert.equal(result.ok && result.result, "done");
  assert.deepEqual(result.logs, events.slice(0, 2).map((e) => e.data));
  // The access line waits for the end of the run, so it has its outcome.
  assert.match(await service.logged, / status=200 .* outcome=ok$/);
});

Deno.test("POST /v1/execute with Accept: text/event-stream answers a run without logs with one result event", async () => {
  await using service = await start();
  const response = await execute(service.base, { code: "1 + 1" });
  assert.equal(response.status, 200);
  const events = await Array.fromAsync(readEvents(response.body!));
  assert.equal(events.length, 1);
  assert.equal(events[0]!.event, "result");
  assert.equal(JSON.parse(events[0]!.data).result, 2);
});

Deno.test("POST /v1/execute with Accept: text/event-stream sends no more log bytes than maxLogBytes", async () => {
  await using service = await start();
  const response = await execute(service.base, {
    code: 'for (let i = 0; i < 10000; i++) console.log("y".repeat(100))',
    limits: { maxLogBytes: 1000 },
  });
  const events = await Array.fromAsync(readEvents(response.body!));
  const logs = events.filter((e) => e.event === "log").map((e) =>
    JSON.parse(e.data)
  );
  const result = JSON.parse(events.at(-1)!.data) as ExecuteResult;
  assert.deepEqual(logs, result.logs);
  assert.match(logs.at(-1)!.message, /truncated/);
  const bytes = logs.slice(0, -1).reduce(
    (sum: number, e: { message: string }) => sum + e.message.length,
    0,
  );
  assert.ok(bytes <= 1000, `${bytes} bytes of logs were streamed`);
});

Deno.test("POST /v1/execute with Accept: text/event-stream cancels the run when the client stops reading", async () => {
  gate = newGate();
  await using service = await start();
  const client = new AbortController();
  const response = await execute(service.base, {
    code: 'console.log("first"); await tools.gate({})',
  }, { signal: client.signal });
  const reader = readEvents(response.body!);
  assert.equal((await reader.next()).value?.event, "log");
  // The client goes away: it stops reading and closes the connection (a
  // cancelled body alone may leave the connection open in the client's pool).
  client.abort();
  await reader.return(undefined).catch(() => {});
  await gate.aborted.promise;
  assert.match(await service.logged, / outcome=cancelled$/);
  assert.equal(service.broker.status().running, 0);
});

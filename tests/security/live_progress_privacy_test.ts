/**
 * Live progress shows no more than the result: with PII tokenization on, a
 * log line reaches `onLog`, the event stream of `POST /v1/execute` and MCP
 * progress notifications tokenized, never with the value the guest printed.
 */

import assert from "node:assert/strict";
import { denoHost, type LogEntry } from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { createHttpApp } from "../../broker/http/app.ts";

const CODE =
  'console.log("write to alice@example.com"); console.log("x".repeat(10)); 1';

Deno.test("Broker.execute() gives onLog tokenized log lines, as the result holds them", async () => {
  await using broker = await createBroker({
    pool: { size: 1 },
    privacy: { tokenize: ["email"] },
  });
  const seen: LogEntry[] = [];
  const result = await broker.execute(CODE, {
    onLog: (entry) => seen.push(entry),
  });
  assert.equal(result.ok, true);
  assert.deepEqual(seen[0], {
    level: "log",
    message: "write to [EMAIL_1]",
  });
  assert.deepEqual(seen, result.logs);
  assert.doesNotMatch(JSON.stringify(seen), /alice|example\.com/);
});

Deno.test("POST /v1/execute streams tokenized log events", async () => {
  await using broker = await createBroker({
    pool: { size: 1 },
    privacy: { tokenize: ["email"] },
  });
  const server = await denoHost.serve(createHttpApp(broker).fetch, {
    hostname: "127.0.0.1",
    port: 0,
  });
  try {
    const response = await fetch(
      `http://127.0.0.1:${server.address.port}/v1/execute`,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
        },
        body: JSON.stringify({ code: CODE }),
      },
    );
    const text = await response.text();
    assert.match(text, /^event: log\ndata: .*\[EMAIL_1\]/);
    assert.doesNotMatch(text, /alice|example\.com/);
  } finally {
    await server.shutdown();
  }
});

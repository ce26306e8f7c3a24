/**
 * A `Host` header no URL can be made of (`localhost:evil`) must not reach a
 * run: it is a JSON 400 with its access-log line, with or without a token.
 */

import assert from "node:assert/strict";
import { rawRequest, serveApp } from "./_http.ts";

const body = JSON.stringify({ code: "6 * 7" });

function execute(host: string, headers = ""): string {
  return `POST /v1/execute HTTP/1.1\r\nHost: ${host}\r\n${headers}Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
}

Deno.test("createHttpApp() answers a Host with a bad port with a JSON 400, logs it and runs nothing", async () => {
  await using service = await serveApp();
  const response = await rawRequest(service.port, execute("localhost:evil"));
  assert.equal(response.status, 400, response.text);
  assert.deepEqual(JSON.parse(response.body), {
    error: {
      code: "invalid_host",
      message:
        'The Host header must be a host name with an optional port from 0 to 65535, got "localhost:evil"',
    },
  });
  assert.equal(service.broker.status().pool.spawned, 0, "no run started");
  assert.equal(service.log.length, 1);
  assert.match(
    service.log[0]!,
    /^time=\S+ method=POST path=\/v1\/execute status=400 duration_ms=[\d.]+ caller=anonymous$/,
  );
});

Deno.test("createHttpApp() with a token still refuses a Host with a bad port before the run", async () => {
  await using service = await serveApp({ app: { tokens: { ci: "ci-token" } } });
  const response = await rawRequest(
    service.port,
    execute("[::1]:99999", "Authorization: Bearer ci-token\r\n"),
  );
  assert.equal(response.status, 400, response.text);
  assert.equal(JSON.parse(response.body).error.code, "invalid_host");
  assert.equal(service.broker.status().pool.spawned, 0, "no run started");
  assert.match(service.log.join("\n"), / path=\/v1\/execute status=400 /);
});

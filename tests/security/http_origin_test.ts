/**
 * DNS rebinding and cross-site requests: without a token, pages served from
 * this machine (a loopback origin) may call the service, and nothing else.
 */

import assert from "node:assert/strict";
import { rawRequest, serveApp } from "./_http.ts";

/** `GET /v1/types` from a browser page at `origin`, to `Host: host`. */
function fromPage(origin: string, host: string, headers = ""): string {
  return `GET /v1/types HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${origin}\r\n${headers}Connection: close\r\n\r\n`;
}

Deno.test("createHttpApp() without a token refuses a foreign Origin on a loopback Host", async () => {
  await using service = await serveApp();
  const response = await rawRequest(
    service.port,
    fromPage("https://evil.example", `localhost:${service.port}`),
  );
  assert.equal(response.status, 403, response.text);
  assert.deepEqual(JSON.parse(response.body).error, {
    code: "forbidden_origin",
    message:
      'Origin "https://evil.example" is not allowed (only loopback origins such as http://localhost:<port> are; set allowedOrigins)',
  });
});

Deno.test("createHttpApp() refuses origins that only look like loopback", async () => {
  await using service = await serveApp();
  for (
    const origin of [
      "http://localhost.evil.example",
      "http://127.0.0.1.nip.io:8080",
      "http://evil.example#@localhost",
      "http://user@localhost:3000",
      "http://localhost:3000/path",
      "http://[::1].evil.example",
      "file://localhost",
      "null",
    ]
  ) {
    const response = await rawRequest(
      service.port,
      fromPage(origin, `127.0.0.1:${service.port}`),
    );
    assert.equal(response.status, 403, `${origin}: ${response.text}`);
    assert.equal(JSON.parse(response.body).error.code, "forbidden_origin");
  }
});

Deno.test("createHttpApp() refuses a loopback Origin sent to a foreign Host (DNS rebinding)", async () => {
  await using service = await serveApp();
  const response = await rawRequest(
    service.port,
    fromPage("http://localhost:3000", "rebound.example"),
  );
  assert.equal(response.status, 403, response.text);
  assert.equal(JSON.parse(response.body).error.code, "forbidden_origin");
});

Deno.test("createHttpApp() with a token refuses a loopback Origin it was not given", async () => {
  await using service = await serveApp({ app: { token: "s3cret-token" } });
  const response = await rawRequest(
    service.port,
    fromPage(
      "http://localhost:3000",
      `localhost:${service.port}`,
      "Authorization: Bearer s3cret-token\r\n",
    ),
  );
  assert.equal(response.status, 403, response.text);
  assert.deepEqual(JSON.parse(response.body).error, {
    code: "forbidden_origin",
    message:
      'Origin "http://localhost:3000" is not allowed (no origins are allowed; set allowedOrigins)',
  });
});

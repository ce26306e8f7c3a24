/**
 * The guest's `fetch` against a guest that wants the credentials the broker
 * injects, or wants to reach what no rule allows. Each test is one attack; the
 * servers are real, on loopback.
 */

import assert from "node:assert/strict";
import { createBroker } from "./_broker.ts";
import { NetworkAccess } from "../../broker/network/network_access.ts";
import { assertNotInOutcome, assertResult, js } from "./_fixtures.ts";
import { echo, serveLoopback } from "../broker/network/_loopback.ts";

const SECRET = `s3cr3t-${crypto.randomUUID()}`;
const BEARER = `Bearer ${SECRET}`;

Deno.test("fetch: the injected Authorization header reaches the server, never the guest", async () => {
  await using server = serveLoopback((request) => {
    const auth = request.headers.get("authorization") ?? "";
    // Reflected in the body (plain and inside JSON), in headers, in the status
    // text and in a cookie.
    return new Response(`plain ${auth} json ${JSON.stringify({ auth })}`, {
      headers: {
        "x-echo": auth,
        "x-token": auth.slice("Bearer ".length),
        "set-cookie": `t=${auth.slice(7)}`,
      },
    });
  });
  await using broker = await createBroker({
    pool: { size: 1 },
    network: {
      allow: [{ origin: server.origin, headers: { authorization: BEARER } }],
    },
  });
  const run = await broker.execute(`
    const request = new Request(${js(server.origin)} + "/me");
    const response = await fetch(request);
    return {
      requestHeaders: [...request.headers],
      responseHeaders: [...response.headers],
      body: await response.text(),
    };
  `);
  assert.equal(server.requests[0]?.headers.get("authorization"), BEARER);
  assert.ok(run.ok, JSON.stringify(run));
  const result = run.result as { body: string; responseHeaders: string[][] };
  assert.equal(
    result.body,
    'plain [redacted] json {"auth":"[redacted]"}',
  );
  assert.deepEqual(
    result.responseHeaders.filter(([name]) => name !== "date"),
    [
      ["content-type", "text/plain;charset=UTF-8"],
      ["set-cookie", "t=[redacted]"],
      ["x-echo", "[redacted]"],
      ["x-token", "[redacted]"],
    ],
  );
  assertNotInOutcome(run, SECRET);
});

Deno.test("fetch: an echo of a header value with JSON escapes or as Basic user:password is redacted", async () => {
  const password = `pw-${crypto.randomUUID()}`;
  const quoted = `key "${crypto.randomUUID()}" \\ end`;
  await using server = serveLoopback(async (request) => {
    const basic = request.headers.get("authorization")!.slice(6);
    const decoded = atob(basic);
    const text = JSON.stringify({
      decoded,
      password: decoded.split(":")[1],
      key: request.headers.get("x-api-key"),
    });
    await request.body?.cancel();
    return new Response(text);
  });
  await using broker = await createBroker({
    pool: { size: 1 },
    network: {
      allow: [{
        origin: server.origin,
        headers: {
          authorization: `Basic ${btoa(`user:${password}`)}`,
          "x-api-key": quoted,
        },
      }],
    },
  });
  const run = await broker.execute(
    `await (await fetch(${js(server.origin)})).json()`,
  );
  assertResult(run, {
    decoded: "[redacted]",
    password: "[redacted]",
    key: "[redacted]",
  });
  assertNotInOutcome(
    run,
    password,
    quoted,
    JSON.stringify(quoted).slice(1, -1),
  );
});

Deno.test("fetch: a redirect to another allowed origin carries only that origin's headers", async () => {
  const otherSecret = `other-${crypto.randomUUID()}`;
  await using attacker = serveLoopback(echo);
  await using server = serveLoopback(() =>
    Response.redirect(`${attacker.origin}/collect`, 307)
  );
  await using broker = await createBroker({
    pool: { size: 1 },
    network: {
      allow: [
        { origin: server.origin, headers: { authorization: BEARER } },
        { origin: attacker.origin, headers: { "x-other": otherSecret } },
      ],
    },
  });
  const run = await broker.execute(`
    const r = await fetch(${js(server.origin)} + "/go", {
      headers: { authorization: "guest-own", cookie: "guest=1" },
    });
    return (await r.json()).headers;
  `);
  assert.equal(attacker.requests.length, 1);
  const seen = Object.fromEntries(attacker.requests[0]!.headers);
  assert.equal(seen["x-other"], otherSecret);
  // Neither the first rule's credential nor the guest's own credentials
  // follow a redirect to another origin.
  assert.equal(seen["authorization"], undefined);
  assert.equal(seen["cookie"], undefined);
  assertNotInOutcome(run, SECRET, otherSecret);
});

Deno.test("fetch: the guest cannot replace an injected header or choose the Host", async () => {
  await using server = serveLoopback(echo);
  await using broker = await createBroker({
    pool: { size: 1 },
    network: {
      allow: [{ origin: server.origin, headers: { authorization: BEARER } }],
    },
  });
  const run = await broker.execute(`
    const r = await fetch(${js(server.origin)}, {
      headers: { Authorization: "Bearer guest", host: "internal.example" },
    });
    return (await r.json()).headers.host;
  `);
  assertResult(run, `127.0.0.1:${server.port}`);
  assert.equal(server.requests[0]!.headers.get("authorization"), BEARER);
});

Deno.test("fetch: a secret in a redirect target's URL is redacted from response.url", async () => {
  await using server = serveLoopback((request) =>
    new URL(request.url).pathname === "/start"
      ? Response.redirect(
        `${new URL(request.url).origin}/done?t=${
          request.headers.get("authorization")!.slice(7)
        }`,
        302,
      )
      : new Response("ok")
  );
  await using broker = await createBroker({
    pool: { size: 1 },
    network: {
      allow: [{ origin: server.origin, headers: { authorization: BEARER } }],
    },
  });
  const run = await broker.execute(
    `(await fetch(${js(server.origin)} + "/start")).url`,
  );
  assertResult(run, `${server.origin}/done?t=[redacted]`);
});

Deno.test("fetch: a forged request from the subprocess is checked like any other", async () => {
  // What a hostile runtime could put in a call frame, bypassing the prelude.
  const access = new NetworkAccess({
    allow: [{
      origin: "http://127.0.0.1:9",
      headers: { authorization: BEARER },
    }],
  });
  const run = access.forRun();
  const signal = new AbortController().signal;
  const cases: [unknown, string][] = [
    [null, "fetch request is malformed: not an object"],
    [
      {
        method: "GET",
        url: "file:///etc/passwd",
        headers: [],
        redirect: "follow",
      },
      "fetch to null/etc/passwd is not allowed: no rule for this origin",
    ],
    [
      {
        method: "GET X",
        url: "http://127.0.0.1:9/",
        headers: [],
        redirect: "follow",
      },
      'fetch request is malformed: invalid method "GET X"',
    ],
    [
      {
        method: "GET",
        url: "http://127.0.0.1:9/",
        headers: [["a\\nb", "x"]],
        redirect: "follow",
      },
      "fetch request is malformed: invalid header",
    ],
    [
      { method: "GET", url: "http://127.0.0.1:9/", headers: [], redirect: "x" },
      'fetch request is malformed: invalid redirect mode "x"',
    ],
    [
      {
        method: "GET",
        url: "http://127.0.0.1:9/",
        headers: [],
        body: "aGk=",
        redirect: "follow",
      },
      "fetch request is malformed: a GET request has a body",
    ],
  ];
  for (const [args, message] of cases) {
    await assert.rejects(() => run(args, signal, undefined), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.ok(
        error.message.startsWith(message),
        `${error.message} does not start with ${message}`,
      );
      return true;
    });
  }
});

Deno.test("createBroker() refuses an MCP server named fetch: the name is the guest's fetch", async () => {
  await assert.rejects(
    () =>
      createBroker({
        pool: { size: 0 },
        mcpServers: { fetch: { command: "never-started" } },
      }),
    {
      name: "TypeError",
      message: /"fetch".*global of the guest/,
    },
  );
});

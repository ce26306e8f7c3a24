/**
 * The guest's `fetch` end to end: a real broker, a real runtime subprocess,
 * real HTTP servers on loopback.
 */

import assert from "node:assert/strict";
import { type AuditRecord, createBroker } from "../../../mod.ts";
import { deferred } from "../../_async.ts";
import { assertFailure, assertResult, js } from "../../security/_fixtures.ts";
import { echo, serveLoopback } from "./_loopback.ts";

Deno.test("Broker.execute() gives no fetch without network rules", async () => {
  await using broker = await createBroker({ pool: { size: 0 } });
  assertResult(await broker.execute("typeof fetch"), "undefined");
  assert.equal(broker.types().includes("fetch"), false);
});

Deno.test("Broker.execute() fetches an allowed origin with the standard API", async () => {
  await using server = serveLoopback(echo);
  await using broker = await createBroker({
    pool: { size: 1 },
    network: {
      allow: [{ origin: server.origin, methods: ["GET", "POST"] }],
    },
  });
  const run = await broker.execute(`
    const get = await fetch(${js(server.origin)} + "/items?q=1", {
      headers: { "x-guest": "yes" },
    });
    const post = await fetch(new Request(${js(server.origin)} + "/items", {
      method: "POST",
      body: JSON.stringify({ a: 1 }),
      headers: { "content-type": "application/json" },
    }));
    const got = await get.json();
    const posted = await post.json();
    return {
      status: get.status, ok: get.ok, url: get.url, redirected: get.redirected,
      type: get.headers.get("content-type"),
      got: [got.method, got.path, got.query, got.headers["x-guest"]],
      posted: [posted.method, posted.body, posted.headers["content-type"]],
      isResponse: get instanceof Response,
    };
  `);
  assertResult(run, {
    status: 200,
    ok: true,
    url: `${server.origin}/items?q=1`,
    redirected: false,
    type: "application/json",
    got: ["GET", "/items", "?q=1", "yes"],
    posted: ["POST", '{"a":1}', "application/json"],
    isResponse: true,
  });
  assert.equal(run.stats.toolCalls, 2);
});

Deno.test("Broker.execute() passes binary bodies and statuses through unchanged", async () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  await using server = serveLoopback((request) =>
    new URL(request.url).pathname === "/bin"
      ? new Response(bytes, { headers: { "content-type": "x/bin" } })
      : new Response(null, { status: 204 })
  );
  await using broker = await createBroker({
    pool: { size: 1 },
    network: { allow: [{ origin: server.origin }] },
  });
  assertResult(
    await broker.execute(`
      const bin = new Uint8Array(await (await fetch(${
      js(server.origin)
    } + "/bin")).arrayBuffer());
      const empty = await fetch(${js(server.origin)} + "/none");
      return [bin.length, bin[0], bin[255], empty.status, empty.statusText, await empty.text()];
    `),
    [256, 0, 255, 204, "No Content", ""],
  );
});

Deno.test("Broker.execute() refuses origins, paths and methods no rule allows with a TypeError", async () => {
  await using server = serveLoopback(echo);
  await using broker = await createBroker({
    pool: { size: 1 },
    network: { allow: [{ origin: server.origin, paths: ["/v1/"] }] },
  });
  const run = await broker.execute(`
    const tries = [
      ["http://localhost:${server.port}/v1/x", {}],
      [${js(server.origin)} + "/v2/x", {}],
      [${js(server.origin)} + "/v1/x", { method: "DELETE" }],
    ];
    const out = [];
    for (const [url, init] of tries) {
      try { await fetch(url, init); out.push("sent"); }
      catch (e) { out.push([e instanceof TypeError, e.message]); }
    }
    return out;
  `);
  assertResult(run, [
    [
      true,
      `fetch to http://localhost:${server.port}/v1/x is not allowed: no rule for this origin`,
    ],
    [
      true,
      `fetch to ${server.origin}/v2/x is not allowed: no rule for the path /v2/x on this origin (allowed: /v1/)`,
    ],
    [
      true,
      `fetch to ${server.origin}/v1/x is not allowed: the method DELETE is not allowed for this path (allowed: GET)`,
    ],
  ]);
  assert.equal(server.requests.length, 0);
  // Uncaught, a refusal ends the run like any TypeError.
  assertFailure(
    await broker.execute(`await fetch("http://localhost:${server.port}/")`),
    "runtime_error",
    `TypeError: fetch to http://localhost:${server.port}/ is not allowed: no rule for this origin`,
  );
});

Deno.test("Broker.execute() follows redirects to allowed hops and refuses one to a denied origin", async () => {
  await using other = serveLoopback(echo);
  await using server = serveLoopback((request) => {
    const path = new URL(request.url).pathname;
    if (path === "/hop") return Response.redirect(`${server.origin}/end`, 302);
    if (path === "/away") return Response.redirect(`${other.origin}/x`, 307);
    if (path === "/loop") {
      return Response.redirect(`${server.origin}/loop`, 301);
    }
    return echo(request);
  });
  await using broker = await createBroker({
    pool: { size: 1 },
    network: { allow: [{ origin: server.origin }], maxRedirects: 3 },
  });
  const run = await broker.execute(`
    const hop = await fetch(${js(server.origin)} + "/hop");
    const manual = await fetch(${
    js(server.origin)
  } + "/hop", { redirect: "manual" });
    const out = [hop.status, hop.url, hop.redirected, (await hop.json()).path,
      manual.status, manual.headers.get("location")];
    for (const path of ["/away", "/loop"]) {
      try { await fetch(${js(server.origin)} + path); out.push("sent"); }
      catch (e) { out.push(e.message); }
    }
    try { await fetch(${js(server.origin)} + "/hop", { redirect: "error" }); }
    catch (e) { out.push(e.message); }
    return out;
  `);
  assertResult(run, [
    200,
    `${server.origin}/end`,
    true,
    "/end",
    302,
    `${server.origin}/end`,
    `fetch to ${other.origin}/x is not allowed: no rule for this origin (redirected from ${server.origin}/away)`,
    `fetch to ${server.origin}/loop failed: more than 3 redirects (network.maxRedirects)`,
    `fetch to ${server.origin}/hop failed: the server redirected and the redirect mode is "error"`,
  ]);
  assert.equal(other.requests.length, 0);
});

Deno.test("Broker.execute() fails a response over maxResponseBytes with a TypeError", async () => {
  await using server = serveLoopback((request) => {
    const size = Number(new URL(request.url).searchParams.get("n"));
    // Streamed, without a length: the broker counts what it reads.
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array(size));
        controller.close();
      },
    });
    return new Response(body);
  });
  await using broker = await createBroker({
    pool: { size: 1 },
    network: { allow: [{ origin: server.origin }], maxResponseBytes: 1000 },
  });
  const run = await broker.execute(`
    const ok = (await (await fetch(${
    js(server.origin)
  } + "/?n=1000")).arrayBuffer()).byteLength;
    try { await fetch(${js(server.origin)} + "/?n=1001"); return "sent"; }
    catch (e) { return [ok, e instanceof TypeError, e.message]; }
  `);
  assertResult(run, [
    1000,
    true,
    `fetch to ${server.origin}/ failed: the response body is more than 1000 bytes (network.maxResponseBytes)`,
  ]);
});

Deno.test("Broker.execute() times a slow request out with network.timeoutMs", async () => {
  const never = deferred<Response>();
  await using server = serveLoopback(() => never.promise);
  await using broker = await createBroker({
    pool: { size: 1 },
    network: { allow: [{ origin: server.origin }], timeoutMs: 200 },
  });
  try {
    const run = await broker.execute(`
      try { await fetch(${js(server.origin)} + "/slow"); return "sent"; }
      catch (e) { return [e instanceof TypeError, e.message]; }
    `);
    assertResult(run, [
      true,
      `fetch to ${server.origin}/slow failed: no complete response within 200 ms (network.timeoutMs)`,
    ]);
  } finally {
    never.resolve(new Response("late"));
  }
});

Deno.test("Broker.execute() ends a run waiting on a slow response at the run's timeout", async () => {
  const never = deferred<Response>();
  const seen = deferred();
  await using server = serveLoopback((request) => {
    request.signal.addEventListener("abort", () => seen.resolve());
    return never.promise;
  });
  await using broker = await createBroker({
    pool: { size: 1 },
    limits: { timeoutMs: 1500 },
    network: { allow: [{ origin: server.origin }] },
  });
  try {
    assertFailure(
      await broker.execute(`await fetch(${js(server.origin)} + "/slow")`),
      "timeout",
      "Run exceeded the time limit of 1500 ms",
    );
    // The broker's request was aborted with the run.
    await seen.promise;
  } finally {
    never.resolve(new Response("late"));
  }
});

Deno.test("Broker.execute() cancels a request in flight with the run", async () => {
  const arrived = deferred();
  const aborted = deferred();
  const never = deferred<Response>();
  await using server = serveLoopback((request) => {
    request.signal.addEventListener("abort", () => aborted.resolve());
    arrived.resolve();
    return never.promise;
  });
  await using broker = await createBroker({
    pool: { size: 1 },
    network: { allow: [{ origin: server.origin }] },
  });
  const controller = new AbortController();
  try {
    const running = broker.execute(
      `await fetch(${js(server.origin)} + "/wait")`,
      { signal: controller.signal },
    );
    await arrived.promise;
    controller.abort();
    assertFailure(await running, "cancelled", "Run was cancelled");
    await aborted.promise;
  } finally {
    never.resolve(new Response("late"));
  }
});

Deno.test("Broker.execute() keeps at most maxConcurrent requests of a run in flight", async () => {
  let inFlight = 0;
  let most = 0;
  // One arrival and one release per request, in arrival order.
  const arrivals = Array.from({ length: 10 }, () => deferred());
  const releases = Array.from({ length: 10 }, () => deferred());
  let arrived = 0;
  await using server = serveLoopback(async () => {
    const i = arrived++;
    inFlight++;
    most = Math.max(most, inFlight);
    arrivals[i]!.resolve();
    await releases[i]!.promise;
    inFlight--;
    return new Response("x");
  });
  await using broker = await createBroker({
    pool: { size: 1 },
    network: { allow: [{ origin: server.origin }] },
  });
  const running = broker.execute(`
    const all = [];
    for (let i = 0; i < 10; i++) all.push(fetch(${
    js(server.origin)
  } + "/" + i).then((r) => r.text()));
    return (await Promise.all(all)).join("");
  `);
  try {
    // Four get in. A fifth must not, however long it is given: this window is
    // the one wait here that is not for an event, because it checks that an
    // event does not happen.
    await arrivals[3]!.promise;
    const fifth = await Promise.race([
      arrivals[4]!.promise.then(() => "arrived"),
      new Promise((resolve) => setTimeout(() => resolve("held"), 300)),
    ]);
    assert.equal(fifth, "held");
    // Then each release lets the next waiting one in.
    for (let i = 0; i < 10; i++) {
      await arrivals[i]!.promise;
      releases[i]!.resolve();
    }
    assertResult(await running, "x".repeat(10));
    assert.equal(most, 4);
  } finally {
    for (const release of releases) release.resolve();
  }
});

Deno.test("Broker.execute() counts each request, refused ones included, against maxToolCalls", async () => {
  await using server = serveLoopback(() => new Response("x"));
  await using broker = await createBroker({
    pool: { size: 1 },
    limits: { maxToolCalls: 3 },
    network: { allow: [{ origin: server.origin }] },
  });
  const run = await broker.execute(`
    await fetch(${js(server.origin)});
    try { await fetch("http://localhost:1/"); } catch {}
    await fetch(${js(server.origin)});
    await fetch(${js(server.origin)});
  `);
  assertFailure(run, "limit_exceeded", "Run made more than 3 tool calls");
  assert.equal(server.requests.length, 2);
});

Deno.test("Broker.execute() records each request's hops in the audit record, never the injected headers", async () => {
  await using server = serveLoopback((request) =>
    new URL(request.url).pathname === "/r"
      ? Response.redirect(`${server.origin}/end?x=1`, 302)
      : new Response("hello")
  );
  const records: AuditRecord[] = [];
  await using broker = await createBroker({
    pool: { size: 1 },
    onRun: (record) => void records.push(record),
    audit: { includeArgs: true },
    network: {
      allow: [{
        origin: server.origin,
        paths: ["/r", "/end"],
        headers: { authorization: "Bearer audit-secret-1" },
      }],
    },
  });
  const run = await broker.execute(`
    await (await fetch(${js(server.origin)} + "/r?q=2")).text();
    try { await fetch(${js(server.origin)} + "/no"); } catch {}
  `);
  assert.equal(run.ok, true);
  assert.equal(records.length, 1);
  const calls = records[0]!.calls.map(({ tool, outcome, fetch }) => ({
    tool,
    outcome,
    fetch,
  }));
  assert.deepEqual(calls, [
    {
      tool: "fetch",
      outcome: "ok",
      fetch: [
        { method: "GET", origin: server.origin, path: "/r", status: 302 },
        {
          method: "GET",
          origin: server.origin,
          path: "/end",
          status: 200,
          bytes: 5,
        },
      ],
    },
    {
      tool: "fetch",
      outcome: "denied",
      fetch: [{
        method: "GET",
        origin: server.origin,
        path: "/no",
        refused: "no rule for the path /no on this origin (allowed: /r, /end)",
      }],
    },
  ]);
  assert.equal(JSON.stringify(records).includes("audit-secret-1"), false);
});

Deno.test("Broker.execute() rejects a guest fetch whose signal aborts, with the abort reason", async () => {
  const never = deferred<Response>();
  await using server = serveLoopback(() => never.promise);
  await using broker = await createBroker({
    pool: { size: 1 },
    network: { allow: [{ origin: server.origin }] },
  });
  try {
    const run = await broker.execute(`
      const before = new AbortController();
      before.abort(new Error("before"));
      const out = [];
      try { await fetch(${js(server.origin)}, { signal: before.signal }); }
      catch (e) { out.push(e.message); }
      const during = new AbortController();
      const pending = fetch(${js(server.origin)}, { signal: during.signal });
      await new Promise((resolve) => setTimeout(resolve, 0));
      during.abort();
      try { await pending; } catch (e) { out.push(e.name); }
      return out;
    `);
    assertResult(run, ["before", "AbortError"]);
  } finally {
    never.resolve(new Response("late"));
  }
});

import { deferred } from "../../_async.ts";
import assert from "node:assert/strict";
// The SDK's ".js" subpaths have no types under Deno (typescript-sdk#2701).
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Hono } from "hono";
import { z } from "zod";
import {
  type BrokerOptions,
  createBroker,
  defineTool,
  denoHost,
  ExecboxError,
  type Providers,
} from "../../../mod.ts";
import {
  assertSafeBinding,
  createHttpApp,
  type HttpAppOptions,
} from "../../../broker/http/app.ts";

/** The blocking tool's events; replaced by each test that uses it. */
let gate = newGate();
function newGate() {
  return { started: deferred(), release: deferred(), aborted: deferred() };
}

const providers: Providers = {
  docs: {
    search: defineTool({
      description: "Searches the docs. Returns file names.",
      input: z.object({ query: z.string() }),
      output: z.array(z.string()),
      execute: ({ query }) => [`${query}.md`],
    }),
  },
  tools: {
    block: defineTool({
      description: "Waits until the test releases it or the call is aborted",
      execute: (_input, { signal }) =>
        new Promise<string>((resolve, reject) => {
          signal.addEventListener("abort", () => {
            gate.aborted.resolve();
            reject(signal.reason);
          }, { once: true });
          gate.release.promise.then(() => resolve("released"));
          gate.started.resolve();
        }),
    }),
  },
};

/**
 * A broker and its HTTP app listening on an ephemeral loopback port, with
 * the access log collected.
 */
async function start(
  appOptions: HttpAppOptions = {},
  brokerOptions: BrokerOptions = {},
) {
  const broker = await createBroker({
    providers,
    pool: { size: 1 },
    ...brokerOptions,
  });
  const log: string[] = [];
  const waiters: { match: RegExp; resolve: (line: string) => void }[] = [];
  // Ends open /mcp sessions (an SDK client's GET stream) before shutdown,
  // which waits for every open response.
  const ended = new AbortController();
  const app = createHttpApp(broker, {
    signal: ended.signal,
    ...appOptions,
    log: (line) => {
      log.push(line);
      for (const waiter of waiters.splice(0)) {
        if (waiter.match.test(line)) waiter.resolve(line);
        else waiters.push(waiter);
      }
    },
  });
  // The host seam `execbox serve` uses.
  const server = await denoHost.serve(app.fetch, {
    hostname: "127.0.0.1",
    port: 0,
  });
  const base = `http://127.0.0.1:${server.address.port}`;
  return {
    broker,
    base,
    log,
    /** Resolves with the first access-log line, from now on, that matches. */
    nextLog(match: RegExp): Promise<string> {
      const { promise, resolve } = deferred<string>();
      waiters.push({ match, resolve });
      return promise;
    },
    async [Symbol.asyncDispose]() {
      ended.abort();
      await server.shutdown();
      await broker.close();
    },
  };
}

function post(base: string, path: string, body: unknown, headers = {}) {
  return fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/**
 * The JSON-RPC message of an MCP answer: a JSON body, or the first event of
 * an event stream (an `initialize` starts a session, answered as events).
 */
async function mcpBody(response: Response) {
  const text = await response.text();
  if (!response.headers.get("content-type")?.includes("text/event-stream")) {
    return JSON.parse(text);
  }
  const data = text.split("\n").find((line) => line.startsWith("data: "));
  return JSON.parse(data!.slice(6));
}

/** Asserts a JSON error response and returns its message. */
async function assertError(
  response: Response,
  status: number,
  code: string,
): Promise<string> {
  const body = await response.json();
  assert.equal(response.status, status, JSON.stringify(body));
  assert.match(response.headers.get("content-type") ?? "", /application\/json/);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, "string");
  return body.error.message;
}

Deno.test("createHttpApp() POST /v1/execute answers 200 with the result of a run that succeeds or fails", async () => {
  await using service = await start();
  const ok = await post(service.base, "/v1/execute", {
    code: "const [f] = await docs.search({ query: 'intro' }); f",
  });
  assert.equal(ok.status, 200);
  const run = await ok.json();
  assert.equal(run.ok, true);
  assert.equal(run.result, "intro.md");
  assert.equal(run.stats.toolCalls, 1);

  const failed = await post(service.base, "/v1/execute", {
    code: "throw new Error('nope')",
  });
  assert.equal(failed.status, 200);
  const failure = await failed.json();
  assert.equal(failure.ok, false);
  assert.equal(failure.error.code, "runtime_error");
  assert.match(failure.error.message, /nope/);
});

Deno.test("createHttpApp() answers bad requests with JSON errors and the right status", async (t) => {
  await using service = await start({ maxBodyBytes: 256 });
  const { base } = service;

  await t.step("400 for malformed JSON", async () => {
    await assertError(
      await post(base, "/v1/execute", "{ code: "),
      400,
      "invalid_json",
    );
  });
  await t.step("400 for a body that is not an object", async () => {
    await assertError(
      await post(base, "/v1/execute", ["1"]),
      400,
      "invalid_body",
    );
  });
  await t.step("400 for code that is not a string", async () => {
    const message = await assertError(
      await post(base, "/v1/execute", { code: 1 }),
      400,
      "invalid_body",
    );
    assert.equal(message, '"code" must be a string, got a number');
  });
  await t.step("400 for an unknown key", async () => {
    const message = await assertError(
      await post(base, "/v1/execute", { code: "1", timeout: 5 }),
      400,
      "invalid_body",
    );
    assert.match(message, /Unknown key "timeout"/);
  });
  await t.step("400 for an unknown or out-of-range limit", async () => {
    assert.match(
      await assertError(
        await post(base, "/v1/execute", { code: "1", limits: { cpu: 1 } }),
        400,
        "invalid_limits",
      ),
      /Unknown limit "cpu"/,
    );
    assert.match(
      await assertError(
        await post(base, "/v1/execute", {
          code: "1",
          limits: { timeoutMs: -1 },
        }),
        400,
        "invalid_limits",
      ),
      /"timeoutMs".*at least 1, got -1/,
    );
  });
  await t.step("404 with a JSON body for an unknown path", async () => {
    const message = await assertError(
      await fetch(`${base}/v2/nothing`),
      404,
      "not_found",
    );
    assert.equal(message, "No endpoint at /v2/nothing");
  });
  await t.step(
    "405 with Allow for a known path and another method",
    async () => {
      for (
        const [method, path, allow] of [
          ["GET", "/v1/execute", "POST"],
          ["POST", "/healthz", "GET, HEAD"],
          ["DELETE", "/v1/tools", "GET, HEAD"],
          ["PUT", "/mcp", "GET, POST, DELETE"],
        ] as const
      ) {
        const response = await fetch(`${base}${path}`, { method });
        assert.equal(response.headers.get("allow"), allow);
        await assertError(response, 405, "method_not_allowed");
      }
    },
  );
  await t.step("413 for a Content-Length over maxBodyBytes", async () => {
    const body = JSON.stringify({ code: `"${"x".repeat(300)}"` });
    const response = await post(base, "/v1/execute", body);
    await assertError(response, 413, "payload_too_large");
  });
  await t.step(
    "413 for a chunked body that grows over maxBodyBytes",
    async () => {
      const chunked = (chunks: string[]) => {
        const encoder = new TextEncoder();
        return new ReadableStream<Uint8Array>({
          start(controller) {
            for (const chunk of chunks) {
              controller.enqueue(encoder.encode(chunk));
            }
            controller.close();
          },
        });
      };
      const over = await fetch(`${base}/v1/execute`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: chunked(['{"code": "', "y".repeat(200), "y".repeat(200), '"}']),
      });
      await assertError(over, 413, "payload_too_large");
      // The same path admits a chunked body within the limit.
      const within = await fetch(`${base}/v1/execute`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: chunked(['{"code": ', '"6 * 7"}']),
      });
      assert.equal(within.status, 200);
      assert.equal((await within.json()).result, 42);
    },
  );
  await t.step("415 for execute without application/json", async () => {
    const plain = await fetch(`${base}/v1/execute`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ code: "1" }),
    });
    await assertError(plain, 415, "unsupported_media_type");
    const withCharset = await post(base, "/v1/execute", { code: "1" }, {
      "content-type": "Application/JSON; charset=utf-8",
    });
    assert.equal(withCharset.status, 200);
    await withCharset.body?.cancel();
  });
});

Deno.test("createHttpApp() lets a request lower the broker's limits but not raise them", async () => {
  await using service = await start({}, { limits: { maxToolCalls: 5 } });
  const code = "await docs.search({ query: 'a' }); 1";
  const lowered = await post(service.base, "/v1/execute", {
    code,
    limits: { maxToolCalls: 0 },
  });
  assert.equal(lowered.status, 200);
  const run = await lowered.json();
  assert.equal(run.ok, false);
  assert.equal(run.error.code, "limit_exceeded");
  assert.equal(run.error.message, "Run made more than 0 tool calls");

  const message = await assertError(
    await post(service.base, "/v1/execute", {
      code,
      limits: { maxToolCalls: 6 },
    }),
    400,
    "invalid_limits",
  );
  assert.equal(
    message,
    'Limit "maxToolCalls" may be at most 5 (the server\'s), got 6',
  );

  const equal = await post(service.base, "/v1/execute", {
    code,
    limits: { maxToolCalls: 5 },
  });
  assert.equal((await equal.json()).ok, true);
});

Deno.test("createHttpApp() requires a named bearer token everywhere but the probes, and logs the caller", async () => {
  await using service = await start({
    tokens: { alice: "alice-token-1234", bob: "bob-token-5678" },
  });
  const { base } = service;

  const missing = await fetch(`${base}/v1/types`);
  assert.equal(missing.headers.get("www-authenticate"), "Bearer");
  await assertError(missing, 401, "unauthorized");

  const wrong = await fetch(`${base}/v1/types`, {
    headers: { authorization: "Bearer alice-token-123" },
  });
  assert.match(wrong.headers.get("www-authenticate") ?? "", /^Bearer /);
  await assertError(wrong, 401, "unauthorized");

  const basic = await fetch(`${base}/metrics`, {
    headers: { authorization: "Basic YWxpY2U6cGFzcw==" },
  });
  await assertError(basic, 401, "unauthorized");

  const unauthenticatedRun = await post(base, "/v1/execute", { code: "1" });
  await assertError(unauthenticatedRun, 401, "unauthorized");
  const unauthenticatedMcp = await post(base, "/mcp", {});
  await assertError(unauthenticatedMcp, 401, "unauthorized");

  for (const path of ["/healthz", "/readyz"]) {
    const probe = await fetch(`${base}${path}`);
    assert.equal(probe.status, 200);
    assert.deepEqual(await probe.json(), { ok: true });
  }

  const marker = "CODE_MARKER_7f3a";
  const run = await post(base, "/v1/execute", {
    code: `"${marker}".length`,
  }, { authorization: "bearer bob-token-5678" });
  assert.equal(run.status, 200);
  assert.equal((await run.json()).result, marker.length);

  const lines = service.log.join("\n");
  assert.equal(service.log.length, 8);
  assert.match(
    lines,
    /^time=\S+ method=POST path=\/v1\/execute status=200 duration_ms=\d+\.\d caller=bob outcome=ok$/m,
  );
  assert.match(
    lines,
    /^time=\S+ method=GET path=\/v1\/types status=401 duration_ms=\S+ caller=-$/m,
  );
  assert.match(lines, /method=GET path=\/healthz status=200 .* caller=-$/m);
  for (const secret of [marker, "alice-token", "bob-token", "YWxp"]) {
    assert.equal(lines.includes(secret), false, secret);
  }
});

Deno.test("createHttpApp() can be mounted and sets the caller on the context", async () => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  const callers: (string | undefined)[] = [];
  const parent = new Hono<{ Variables: { caller: string } }>();
  parent.use("*", async (c, next) => {
    await next();
    callers.push(c.get("caller"));
  });
  parent.route(
    "/execbox",
    createHttpApp(broker, { tokens: { ci: "ci-token-0000" } }),
  );
  parent.route("/open", createHttpApp(broker));

  const run = await parent.request("/execbox/v1/execute", {
    method: "POST",
    headers: {
      authorization: "Bearer ci-token-0000",
      "content-type": "application/json",
    },
    body: JSON.stringify({ code: "2 ** 10" }),
  });
  assert.equal((await run.json()).result, 1024);
  const types = await parent.request("/open/v1/types");
  assert.equal(types.status, 200);
  await types.body?.cancel();
  await assertError(
    await parent.request("/execbox/v1/nothing"),
    404,
    "not_found",
  );
  assert.deepEqual(callers, ["ci", "anonymous", undefined]);
});

Deno.test("createHttpApp() answers 503 with Retry-After when the run queue is full", async () => {
  gate = newGate();
  await using service = await start({}, { maxConcurrency: 1, maxQueue: 0 });
  const first = post(service.base, "/v1/execute", {
    code: "await tools.block({})",
  });
  await gate.started.promise;

  const second = await post(service.base, "/v1/execute", { code: "1" });
  assert.equal(second.headers.get("retry-after"), "1");
  const message = await assertError(second, 503, "queue_full");
  assert.match(message, /^Run queue is full/);

  gate.release.resolve();
  const released = await first;
  assert.equal(released.status, 200);
  assert.equal((await released.json()).result, "released");
});

Deno.test("createHttpApp() cancels a run when its client disconnects", async () => {
  gate = newGate();
  await using service = await start();
  const controller = new AbortController();
  const answered = service.nextLog(/path=\/v1\/execute /);
  const request = fetch(`${service.base}/v1/execute`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code: "await tools.block({})" }),
    signal: controller.signal,
  }).catch((error: unknown) => error);
  await gate.started.promise;
  assert.equal(service.broker.status().running, 1);

  controller.abort();
  assert.equal((await request as Error).name, "AbortError");
  await gate.aborted.promise;
  // The line is written once the handler has its result, after the run left.
  assert.match(await answered, / status=499 .* outcome=cancelled$/);
  assert.equal(service.broker.status().running, 0);
});

Deno.test("createHttpApp() GET /v1/tools searches the broker's tools and GET /v1/types declares them", async () => {
  await using service = await start();
  const { base } = service;

  const all = await fetch(`${base}/v1/tools`);
  assert.equal(all.status, 200);
  assert.deepEqual(
    (await all.json()).map((match: { path: string }) => match.path),
    ["docs.search", "tools.block"],
  );

  const summary = await fetch(`${base}/v1/tools?q=docs&detail=summary`);
  assert.deepEqual(await summary.json(), [{
    namespace: "docs",
    name: "search",
    path: "docs.search",
    description: "Searches the docs.",
  }]);

  const full = await fetch(`${base}/v1/tools?q=&limit=1&detail=full`);
  const [first, ...rest] = await full.json();
  assert.equal(rest.length, 0);
  assert.equal(first.path, "docs.search");
  assert.match(first.declaration, /function search\(/);

  await assertError(
    await fetch(`${base}/v1/tools?limit=0`),
    400,
    "invalid_query",
  );
  await assertError(
    await fetch(`${base}/v1/tools?detail=everything`),
    400,
    "invalid_query",
  );

  const types = await fetch(`${base}/v1/types`);
  assert.equal(types.status, 200);
  assert.match(types.headers.get("content-type") ?? "", /^text\/plain/);
  const text = await types.text();
  assert.match(text, /declare namespace docs \{/);
  assert.match(text, /declare namespace tools \{/);
  assert.equal(text, service.broker.types());
});

Deno.test("createHttpApp() /readyz answers 503 once no runtime is warm, /healthz stays 200, and execute on a closed broker is 503", async () => {
  await using service = await start();
  const ready = await fetch(`${service.base}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { ok: true });

  await service.broker.close();
  await assertError(
    await fetch(`${service.base}/readyz`),
    503,
    "not_ready",
  );
  const health = await fetch(`${service.base}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { ok: true });
  await assertError(
    await post(service.base, "/v1/execute", { code: "1" }),
    503,
    "broker_closed",
  );
});

/** Samples of a Prometheus text exposition, by name and labels. */
function parseMetrics(text: string) {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  assert.ok(text.endsWith("\n"));
  for (const line of text.trimEnd().split("\n")) {
    const type = line.match(/^# TYPE (\w+) (counter|gauge|histogram)$/);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith("# HELP ")) continue;
    const sample = line.match(/^(\w+(?:\{\w+="[^"]*"\})?) (\S+)$/);
    assert.ok(sample, `not a sample line: ${line}`);
    const value = Number(sample[2]);
    assert.ok(!Number.isNaN(value), line);
    samples.set(sample[1]!, value);
  }
  return { samples, types };
}

Deno.test("createHttpApp() GET /metrics counts runs by outcome and times them", async () => {
  await using service = await start({ token: "metrics-token-1" });
  const auth = { authorization: "Bearer metrics-token-1" };
  const scrape = async () => {
    const response = await fetch(`${service.base}/metrics`, { headers: auth });
    assert.equal(response.status, 200);
    assert.equal(
      response.headers.get("content-type"),
      "text/plain; version=0.0.4; charset=utf-8",
    );
    return parseMetrics(await response.text());
  };

  const before = await scrape();
  assert.equal(before.types.get("execbox_runs_total"), "counter");
  assert.equal(before.types.get("execbox_run_duration_seconds"), "histogram");
  for (const gauge of ["execbox_runs_running", "execbox_runs_queued"]) {
    assert.equal(before.types.get(gauge), "gauge");
    assert.equal(before.samples.get(gauge), 0);
  }
  assert.equal(before.samples.get("execbox_pool_idle"), 1);
  assert.equal(before.samples.get('execbox_runs_total{outcome="ok"}'), 0);
  assert.equal(
    before.samples.get('execbox_runs_total{outcome="syntax_error"}'),
    0,
  );

  for (const code of ["1", "2", "1 +"]) {
    const run = await post(service.base, "/v1/execute", { code }, auth);
    await run.body?.cancel();
  }

  const after = await scrape();
  assert.equal(after.samples.get('execbox_runs_total{outcome="ok"}'), 2);
  assert.equal(
    after.samples.get('execbox_runs_total{outcome="syntax_error"}'),
    1,
  );
  assert.equal(after.samples.get("execbox_run_duration_seconds_count"), 3);
  assert.equal(
    after.samples.get('execbox_run_duration_seconds_bucket{le="+Inf"}'),
    3,
  );
  assert.ok(after.samples.get("execbox_run_duration_seconds_sum")! > 0);
  assert.ok(
    after.samples.get("execbox_pool_spawned_total")! >
      before.samples.get("execbox_pool_spawned_total")!,
  );
  // Buckets are cumulative.
  const buckets = [...after.samples].filter(([name]) =>
    name.startsWith("execbox_run_duration_seconds_bucket")
  ).map(([, value]) => value);
  assert.deepEqual(buckets, [...buckets].sort((a, b) => a - b));
});

Deno.test("createHttpApp() serves MCP over Streamable HTTP to an SDK client", async () => {
  await using service = await start({ tokens: { agent: "mcp-token-42" } });
  const client = new Client({ name: "test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(
    new URL(`${service.base}/mcp`),
    { requestInit: { headers: { authorization: "Bearer mcp-token-42" } } },
  );
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name), [
      "execute",
      "search_tools",
    ]);
    const logged = service.nextLog(/outcome=/);
    const call = await client.callTool({
      name: "execute",
      arguments: { code: "(await docs.search({ query: 'mcp' }))[0]" },
    });
    assert.deepEqual(call.content, [{ type: "text", text: '"mcp.md"' }]);
    assert.match(
      await logged,
      /method=POST path=\/mcp status=200 .* caller=agent outcome=ok$/,
    );
  } finally {
    await client.close();
  }
  const metrics = await fetch(`${service.base}/metrics`, {
    headers: { authorization: "Bearer mcp-token-42" },
  });
  assert.match(await metrics.text(), /^execbox_runs_total\{outcome="ok"\} 1$/m);
});

Deno.test("createHttpApp() refuses foreign origins and, without a token, foreign hosts", async (t) => {
  await using service = await start({
    allowedOrigins: ["https://app.example"],
  });
  const initialize = {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "browser", version: "1" },
    },
  };
  const mcpHeaders = { accept: "application/json, text/event-stream" };

  await t.step("403 for a foreign Origin on /mcp and /v1/execute", async () => {
    const mcp = await post(service.base, "/mcp", initialize, {
      ...mcpHeaders,
      origin: "https://evil.example",
    });
    assert.match(
      await assertError(mcp, 403, "forbidden_origin"),
      /"https:\/\/evil\.example"/,
    );
    await assertError(
      await post(service.base, "/v1/execute", { code: "1" }, {
        origin: "https://evil.example",
      }),
      403,
      "forbidden_origin",
    );
  });
  await t.step("an allowed Origin reaches the MCP server", async () => {
    const mcp = await post(service.base, "/mcp", initialize, {
      ...mcpHeaders,
      origin: "https://app.example",
    });
    assert.equal(mcp.status, 200);
    const body = await mcpBody(mcp);
    assert.equal(body.result.serverInfo.name, "execbox");
  });
  await t.step(
    "403 for a Host that is not loopback without a token",
    async () => {
      // fetch() sets Host from the URL, so write the request by hand.
      const raw = async (host: string) => {
        const connection = await Deno.connect({
          hostname: "127.0.0.1",
          port: Number(new URL(service.base).port),
        });
        await connection.write(new TextEncoder().encode(
          `GET /v1/types HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
        ));
        const text = await new Response(connection.readable).text();
        return {
          status: Number(text.match(/^HTTP\/1\.1 (\d{3}) /)?.[1]),
          body: text.slice(text.indexOf("\r\n\r\n") + 4),
        };
      };
      const rebound = await raw("rebound.example:8080");
      assert.equal(rebound.status, 403);
      assert.equal(JSON.parse(rebound.body).error.code, "forbidden_host");
      assert.equal((await raw("LOCALHOST:1234")).status, 200);
      assert.equal((await raw("[::1]")).status, 200);
    },
  );
});

Deno.test("createHttpApp() without a token accepts pages served from a loopback origin", async () => {
  await using service = await start();
  for (
    const origin of [
      "http://localhost:6274",
      "http://127.0.0.1:5173",
      "http://[::1]:3000",
      "https://localhost",
      "HTTP://LOCALHOST:8080",
    ]
  ) {
    const types = await fetch(`${service.base}/v1/types`, {
      headers: { origin },
    });
    assert.equal(types.status, 200, origin);
    await types.body?.cancel();
  }
  const mcp = await post(service.base, "/mcp", {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "inspector", version: "1" },
    },
  }, {
    accept: "application/json, text/event-stream",
    origin: "http://localhost:6274",
  });
  assert.equal(mcp.status, 200);
  assert.equal((await mcpBody(mcp)).result.serverInfo.name, "execbox");
});

Deno.test("createHttpApp() on Deno.serve answers a Host it cannot parse with a JSON 400 and logs it", async () => {
  await using broker = await createBroker({ pool: { size: 0 } });
  const log: string[] = [];
  const app = createHttpApp(broker, { log: (line) => log.push(line) });
  // Deno.serve, as a user mounting the app would: it builds the request's
  // URL from the Host header, so that URL does not parse.
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    app.fetch,
  );
  for (const host of ["localhost:evil", "a b", "[::1]:x", "999.0.0.1"]) {
    const connection = await Deno.connect({
      hostname: "127.0.0.1",
      port: server.addr.port,
    });
    await connection.write(new TextEncoder().encode(
      `GET /v1/types?q=1 HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    ));
    const text = await new Response(connection.readable).text();
    assert.match(text, /^HTTP\/1\.1 400 /, host);
    const body = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));
    assert.equal(body.error.code, "invalid_host", host);
  }
  assert.equal(log.length, 4);
  for (const line of log) {
    assert.match(line, / method=GET path=\/v1\/types status=400 /);
  }
  assert.equal(broker.status().pool.spawned, 0);
});

Deno.test("createHttpApp() cancels an MCP execute call when its client disconnects", async () => {
  gate = newGate();
  await using service = await start();
  const controller = new AbortController();
  const answered = service.nextLog(/path=\/mcp /);
  const aborting = fetch(`${service.base}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "execute", arguments: { code: "await tools.block({})" } },
    }),
    signal: controller.signal,
  }).catch((error: unknown) => error);
  await gate.started.promise;
  controller.abort();
  await aborting;
  await gate.aborted.promise;
  assert.match(await answered, / status=499 .* outcome=cancelled$/);
  assert.equal(service.broker.status().running, 0);
});

Deno.test("assertSafeBinding() refuses a non-loopback address without a token", () => {
  for (
    const hostname of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]
  ) {
    assertSafeBinding(hostname, false);
  }
  for (const hostname of ["0.0.0.0", "::", "192.168.1.20", "example.com"]) {
    assertSafeBinding(hostname, true);
    assert.throws(
      () => assertSafeBinding(hostname, false),
      (error: unknown) =>
        error instanceof ExecboxError && error.code === "unsafe_binding" &&
        error.message.startsWith(
          `Cannot listen on "${hostname}" without a token`,
        ),
    );
  }
});

Deno.test("createHttpApp() rejects bad options", async () => {
  await using broker = await createBroker({ pool: { size: 0 } });
  assert.throws(
    () => createHttpApp(broker, { maxBodyBytes: 0 }),
    new RangeError("maxBodyBytes must be a whole number of at least 1, got 0"),
  );
  assert.throws(
    () => createHttpApp(broker, { maxBatch: 0 }),
    new RangeError("maxBatch must be a whole number of at least 1, got 0"),
  );
  assert.throws(() => createHttpApp(broker, { token: "" }), TypeError);
  assert.throws(
    () => createHttpApp(broker, { token: "same", tokens: { ci: "same" } }),
    /The token of "ci" is also another caller's token/,
  );
  assert.throws(
    () => createHttpApp(broker, { mcp: { maxTextBytes: -1 } }),
    RangeError,
  );
});

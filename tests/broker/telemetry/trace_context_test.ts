import assert from "node:assert/strict";
import {
  type Context,
  context,
  type ContextManager,
  ROOT_CONTEXT,
  trace,
} from "@opentelemetry/api";
// The SDK's ".js" subpaths have no types under Deno (typescript-sdk#2701).
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createBroker, createMcpServer, denoHost } from "../../../mod.ts";
import { createHttpApp } from "../../../broker/http/app.ts";
import {
  formatTraceparent,
  parentContext,
  parseTraceparent,
  traceContextFromMcpRequest,
} from "../../../broker/telemetry/trace_context.ts";
import { installOtel, onlySpan } from "./_otel.ts";

const otel = installOtel();

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const PARENT_ID = "b7ad6b7169203331";
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

Deno.test("parseTraceparent() reads a valid W3C traceparent and its tracestate", () => {
  const parsed = parseTraceparent(TRACEPARENT, "vendor=abc,other=1");
  assert.equal(parsed?.traceId, TRACE_ID);
  assert.equal(parsed?.spanId, PARENT_ID);
  assert.equal(parsed?.traceFlags, 1);
  assert.equal(parsed?.isRemote, true);
  assert.equal(parsed?.traceState?.get("vendor"), "abc");
  // A later version may add fields; the first four are still read.
  assert.equal(
    parseTraceparent(`01-${TRACE_ID}-${PARENT_ID}-00-extra`)?.traceFlags,
    0,
  );
  assert.equal(formatTraceparent(parsed!), TRACEPARENT);
});

Deno.test("parseTraceparent() ignores a malformed, forbidden or oversized traceparent", () => {
  for (
    const bad of [
      "",
      "garbage",
      `00-${TRACE_ID}-${PARENT_ID}`,
      `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`,
      `00-${"0".repeat(32)}-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${"0".repeat(16)}-01`,
      `ff-${TRACE_ID}-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${PARENT_ID}-01-extra`,
      `00-${TRACE_ID}-${PARENT_ID}-01${" ".repeat(600)}`,
    ]
  ) {
    assert.equal(parseTraceparent(bad), undefined, JSON.stringify(bad));
  }
  // A malformed one leaves the active context (here, the root) as parent.
  for (const bad of [{ traceparent: "garbage" }, { traceparent: 42 }, null]) {
    assert.equal(
      trace.getSpanContext(parentContext(bad as { traceparent: string })),
      undefined,
    );
  }
});

Deno.test("traceContextFromMcpRequest() prefers _meta and falls back to the HTTP header", () => {
  const other = `00-${"1".repeat(32)}-${"2".repeat(16)}-01`;
  assert.deepEqual(
    traceContextFromMcpRequest({
      _meta: { traceparent: TRACEPARENT },
      requestInfo: { headers: { traceparent: other } },
    }),
    { traceparent: TRACEPARENT },
  );
  assert.deepEqual(
    traceContextFromMcpRequest({
      _meta: { traceparent: 42 },
      requestInfo: { headers: { traceparent: other, tracestate: "a=b" } },
    }),
    { traceparent: other, tracestate: "a=b" },
  );
  assert.equal(traceContextFromMcpRequest({}), undefined);
});

Deno.test("createHttpApp() POST /v1/execute continues the trace of the request's traceparent header", async () => {
  otel.reset();
  await using broker = await createBroker({ pool: { size: 1 } });
  const app = createHttpApp(broker, { log: () => {} });
  const server = await denoHost.serve(app.fetch, {
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
          traceparent: TRACEPARENT,
          tracestate: "vendor=abc",
        },
        body: JSON.stringify({ code: "1 + 1" }),
      },
    );
    assert.equal(response.status, 200);
    assert.equal((await response.json()).result, 2);
  } finally {
    await server.shutdown();
  }
  const run = onlySpan(otel.spans(), "execbox.execute");
  assert.equal(run.spanContext().traceId, TRACE_ID);
  assert.equal(run.parentSpanContext?.spanId, PARENT_ID);
  assert.equal(run.parentSpanContext?.isRemote, true);
  assert.equal(run.spanContext().traceState?.get("vendor"), "abc");
});

Deno.test("createMcpServer() execute continues the trace of the request's _meta traceparent", async () => {
  otel.reset();
  await using broker = await createBroker({ pool: { size: 1 } });
  const server = createMcpServer(broker);
  const client = new Client({ name: "test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    const call = await client.callTool({
      name: "execute",
      arguments: { code: "2 + 2" },
      _meta: { traceparent: TRACEPARENT },
    });
    assert.equal(call.isError, undefined);
  } finally {
    await client.close();
    await server.close();
  }
  const run = onlySpan(otel.spans(), "execbox.execute");
  assert.equal(run.spanContext().traceId, TRACE_ID);
  assert.equal(run.parentSpanContext?.spanId, PARENT_ID);
  assert.equal(run.attributes["execbox.caller"], "mcp");
});

Deno.test("createHttpApp() /mcp continues the trace of the HTTP request's traceparent header", async () => {
  otel.reset();
  await using broker = await createBroker({ pool: { size: 1 } });
  // Ends the session's open GET stream before shutdown, which waits for it.
  const ended = new AbortController();
  const app = createHttpApp(broker, { log: () => {}, signal: ended.signal });
  const server = await denoHost.serve(app.fetch, {
    hostname: "127.0.0.1",
    port: 0,
  });
  const client = new Client({ name: "test", version: "1.0.0" });
  try {
    await client.connect(
      new StreamableHTTPClientTransport(
        new URL(`http://127.0.0.1:${server.address.port}/mcp`),
        { requestInit: { headers: { traceparent: TRACEPARENT } } },
      ),
    );
    const call = await client.callTool({
      name: "execute",
      arguments: { code: "3" },
    });
    assert.equal(call.isError, undefined);
  } finally {
    await client.close();
    ended.abort();
    await server.shutdown();
  }
  const run = onlySpan(otel.spans(), "execbox.execute");
  assert.equal(run.spanContext().traceId, TRACE_ID);
  assert.equal(run.parentSpanContext?.spanId, PARENT_ID);
});

/** A context manager that keeps the active context for synchronous code. */
class StackContextManager implements ContextManager {
  #stack: Context[] = [ROOT_CONTEXT];
  active(): Context {
    return this.#stack.at(-1)!;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    this.#stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.#stack.pop();
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    return this;
  }
}

Deno.test("parentContext() keeps the host's active span, unless the client's traceparent names another trace", async () => {
  otel.reset();
  context.setGlobalContextManager(new StackContextManager());
  try {
    const host = trace.getTracer("host").startSpan("host request");
    const hostContext = trace.setSpan(ROOT_CONTEXT, host);
    const same = `00-${host.spanContext().traceId}-${PARENT_ID}-01`;
    context.with(hostContext, () => {
      // The host's server span already continues this trace.
      assert.equal(
        trace.getSpanContext(parentContext({ traceparent: same }))?.spanId,
        host.spanContext().spanId,
      );
      assert.equal(
        trace.getSpanContext(parentContext({ traceparent: TRACEPARENT }))
          ?.spanId,
        PARENT_ID,
      );
      assert.equal(
        trace.getSpanContext(parentContext())?.spanId,
        host.spanContext().spanId,
      );
    });
    // A library caller's active span parents the run.
    await using broker = await createBroker({ pool: { size: 1 } });
    const result = await context.with(hostContext, () => broker.execute("1"));
    assert.equal(result.ok, true);
    host.end();
    const run = onlySpan(otel.spans(), "execbox.execute");
    assert.equal(run.parentSpanContext?.spanId, host.spanContext().spanId);
  } finally {
    context.disable();
  }
});

import assert from "node:assert/strict";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { createBroker } from "../../../mod.ts";
import { formatTraceparent } from "../../../broker/telemetry/trace_context.ts";
import { installOtel, onlySpan } from "./_otel.ts";

const otel = installOtel();

/** A stateless Streamable HTTP MCP server on loopback whose tools report the `_meta` they got. */
function startUpstream() {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const mcp = new McpServer({ name: "meta", version: "1.0.0" });
      mcp.registerTool("traceparent", {
        description: "Returns the traceparent of the request's _meta",
      }, (extra) => ({
        content: [{
          type: "text",
          text: String(extra._meta?.traceparent ?? "none"),
        }],
      }));
      mcp.registerTool("fail", { description: "Fails" }, () => ({
        content: [{ type: "text", text: "failed" }],
        isError: true,
      }));
      const transport = new WebStandardStreamableHTTPServerTransport({});
      await mcp.connect(transport);
      return await transport.handleRequest(request);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/mcp`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("Broker.execute() records an upstream MCP request as a client span under its tool call and sends its traceparent in _meta", async () => {
  await using upstream = startUpstream();
  await using broker = await createBroker({
    pool: { size: 1 },
    mcpServers: { meta: { url: upstream.url } },
  });
  otel.reset();
  const result = await broker.execute(
    `const t = await meta.traceparent({}); try { await meta.fail({}); } catch {} t`,
  );
  assert.equal(result.ok, true, JSON.stringify(result));
  const spans = otel.spans();
  const run = onlySpan(spans, "execbox.execute");
  const calls = spans.filter((s) => s.name === "execbox.tool_call");
  const requests = spans.filter((s) => s.name === "execbox.mcp.request");
  assert.equal(calls.length, 2);
  assert.equal(requests.length, 2);
  for (const [i, request] of requests.entries()) {
    const call = calls[i]!;
    assert.equal(call.parentSpanContext?.spanId, run.spanContext().spanId);
    assert.equal(request.parentSpanContext?.spanId, call.spanContext().spanId);
    assert.equal(request.kind, SpanKind.CLIENT);
    assert.equal(request.attributes["mcp.method.name"], "tools/call");
    assert.equal(request.attributes["execbox.upstream"], "meta");
  }
  assert.equal(requests[0]!.attributes["gen_ai.tool.name"], "traceparent");
  assert.equal(requests[0]!.status.code, SpanStatusCode.UNSET);
  // The upstream continues the trace from the request span.
  assert.equal(
    (result as { result: unknown }).result,
    formatTraceparent(requests[0]!.spanContext()),
  );
  assert.equal(requests[1]!.attributes["gen_ai.tool.name"], "fail");
  assert.equal(requests[1]!.status.code, SpanStatusCode.ERROR);
  assert.equal(calls[1]!.status.code, SpanStatusCode.ERROR);
  assert.equal(calls[1]!.attributes["execbox.outcome"], "tool_error");
});

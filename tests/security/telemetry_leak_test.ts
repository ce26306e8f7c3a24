import assert from "node:assert/strict";
import { SpanStatusCode } from "@opentelemetry/api";
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { z } from "zod";
import { defineTool } from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { PROTOCOL_VERSION } from "../../runtime/protocol.ts";
import { recordingHost } from "../broker/_recording_host.ts";
import { exportedText, installOtel } from "../broker/telemetry/_otel.ts";

const otel = installOtel();

/** An upstream whose tool echoes its argument into its result and its error. */
function startUpstream() {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const mcp = new McpServer({ name: "leaky", version: "1.0.0" });
      mcp.registerTool("echo", {
        inputSchema: { text: z.string() },
      }, ({ text }) => ({ content: [{ type: "text", text: `echo ${text}` }] }));
      mcp.registerTool("reject", {
        inputSchema: { text: z.string() },
      }, ({ text }) => ({
        content: [{ type: "text", text: `rejected ${text}` }],
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

Deno.test("Broker.execute() puts no code, argument, result, log or error text in any span or metric", async () => {
  // One marker per place it must not reach, so a failure names the leak.
  const id = crypto.randomUUID().replaceAll("-", "");
  const marker = {
    code: `CODE_${id}`,
    args: `ARGS_${id}`,
    result: `RESULT_${id}`,
    log: `LOG_${id}`,
    toolError: `TOOLERR_${id}`,
    guestError: `GUESTERR_${id}`,
    upstreamArgs: `UPARGS_${id}`,
  };
  await using upstream = startUpstream();
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: {
      vault: {
        read: defineTool({
          input: z.object({ key: z.string() }),
          execute: () => ({ value: marker.result }),
        }),
        fail: defineTool({
          execute: () => {
            throw new Error(`cannot open ${marker.toolError}`);
          },
        }),
      },
    },
    mcpServers: { leaky: { url: upstream.url } },
  });
  otel.reset();
  const result = await broker.execute(
    `
    // ${marker.code}
    const note = "${marker.code}";
    const got = await vault.read({ key: "${marker.args}" });
    console.log("${marker.log}", got.value);
    try { await vault.fail({}); } catch (e) { console.log(String(e)); }
    await leaky.echo({ text: "${marker.upstreamArgs}" });
    try { await leaky.reject({ text: "${marker.upstreamArgs}" }); } catch {}
    throw new Error("${marker.guestError} " + got.value);
  `,
    { caller: "tenant-a" },
  );
  assert.equal(result.ok, false);
  // The markers did reach the result, so their absence below means something.
  const returned = JSON.stringify(result);
  assert.ok(returned.includes(marker.guestError));
  assert.ok(returned.includes(marker.result));

  const spans = otel.spans();
  assert.deepEqual(
    spans.map((s) => s.name).sort(),
    [
      "execbox.execute",
      "execbox.mcp.request",
      "execbox.mcp.request",
      "execbox.tool_call",
      "execbox.tool_call",
      "execbox.tool_call",
      "execbox.tool_call",
    ],
  );
  const run = spans.find((s) => s.name === "execbox.execute")!;
  assert.equal(run.status.code, SpanStatusCode.ERROR);
  const metrics = JSON.stringify(
    await Promise.all(
      [
        "execbox.runs",
        "execbox.run.duration",
        "execbox.tool_calls",
        "execbox.tool_call.duration",
      ].map((name) => otel.metric(name)),
    ),
  );
  for (const [where, text] of Object.entries(marker)) {
    for (const span of spans) {
      assert.ok(
        !exportedText(span).includes(text),
        `${where} marker in span ${span.name}: ${exportedText(span)}`,
      );
    }
    assert.ok(!metrics.includes(text), `${where} marker in a metric`);
  }
});

/** A runtime that asks for a tool whose namespace and name are `marker`. */
function forgingHost(marker: string) {
  const ready = JSON.stringify({
    t: "ready",
    v: PROTOCOL_VERSION,
    deno: Deno.version.deno,
  });
  const call = JSON.stringify({ t: "call", id: 1, ns: marker, name: marker });
  const source = `
const enc = new TextEncoder();
function frame(header, payload = "") {
  const h = enc.encode(header);
  const p = enc.encode(payload);
  const out = new Uint8Array(8 + h.length + p.length);
  new DataView(out.buffer).setUint32(0, h.length);
  new DataView(out.buffer).setUint32(4, p.length);
  out.set(h, 8);
  out.set(p, 8 + h.length);
  return out;
}
function write(bytes) {
  let o = 0;
  while (o < bytes.length) o += Deno.stdout.writeSync(bytes.subarray(o));
}
write(frame(${JSON.stringify(ready)}));
await Deno.stdin.read(new Uint8Array(65536));
write(frame(${JSON.stringify(call)}, "{}"));
await Deno.stdin.read(new Uint8Array(65536));
write(frame('{"t":"done"}', "1"));
setInterval(() => {}, 1 << 30);
`;
  return recordingHost(undefined, (options) => ({
    ...options,
    args: [
      ...options.args.slice(0, -1),
      `data:text/javascript;base64,${btoa(source)}`,
    ],
  }));
}

Deno.test("Broker.execute() records a tool name the subprocess makes up as (unknown), in spans and metrics", async () => {
  const marker = `FORGED_${crypto.randomUUID().replaceAll("-", "")}`;
  await using broker = await createBroker({
    host: forgingHost(marker),
    pool: { size: 0 },
    limits: { timeoutMs: 5000 },
  });
  otel.reset();
  const result = await broker.execute("1");
  assert.equal(result.ok, true, JSON.stringify(result));
  const spans = otel.spans();
  const call = spans.find((s) => s.name === "execbox.tool_call");
  assert.equal(call?.attributes["execbox.tool.namespace"], "(unknown)");
  assert.equal(call?.attributes["execbox.tool.name"], "(unknown)");
  assert.equal(call?.attributes["execbox.outcome"], "tool_error");
  for (const span of spans) {
    assert.ok(!exportedText(span).includes(marker), exportedText(span));
  }
  const calls = JSON.stringify(await otel.metric("execbox.tool_calls"));
  assert.ok(!calls.includes(marker), calls);
});

import assert from "node:assert/strict";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { z } from "zod";
import { createBroker, defineTool, type Providers } from "../../../mod.ts";
import { RunTelemetry } from "../../../broker/telemetry/run_telemetry.ts";
import { exportedText, installOtel, onlySpan } from "./_otel.ts";
import { saveCode, skillBroker } from "../skills/_skills.ts";
import { serveLoopback } from "../network/_loopback.ts";

const QUAD = {
  name: "quad",
  description: "Quadruples a number with two calls to math.double",
  code:
    "const twice: number = await math.double({ n: args.n });\nreturn await math.double({ n: twice });",
  signature: "(args: { n: number }) => Promise<number>",
};

const otel = installOtel();

const providers: Providers = {
  docs: {
    search: defineTool({
      description: "Searches the docs",
      input: z.object({ query: z.string() }),
      execute: ({ query }) => [`${query}.md`],
    }),
    broken: defineTool({
      description: "Always fails",
      execute: () => {
        throw new Error("the index is gone");
      },
    }),
  },
};

Deno.test("Broker.execute() records an execbox.execute span with a child span per tool call", async () => {
  otel.reset();
  const runIds: string[] = [];
  await using broker = await createBroker({
    providers,
    pool: { size: 1 },
    onRun: (record) => {
      runIds.push(record.runId);
    },
  });
  const result = await broker.execute(
    `await docs.search({ query: "a" }); await docs.search({ query: "b" }); 1`,
    { caller: "alice" },
  );
  assert.equal(result.ok, true);
  const spans = otel.spans();
  const run = onlySpan(spans, "execbox.execute");
  assert.equal(run.kind, SpanKind.INTERNAL);
  assert.equal(run.parentSpanContext, undefined);
  assert.equal(run.instrumentationScope.name, "@execbox/core");
  assert.equal(run.attributes["execbox.run_id"], runIds[0]);
  assert.equal(run.attributes["execbox.caller"], "alice");
  assert.equal(run.attributes["execbox.outcome"], "ok");
  assert.equal(run.attributes["execbox.tool_calls"], 2);
  assert.equal(run.attributes["error.type"], undefined);
  assert.equal(typeof run.attributes["execbox.duration_ms"], "number");
  assert.equal(run.status.code, SpanStatusCode.UNSET);
  const calls = spans.filter((s) => s.name === "execbox.tool_call");
  assert.equal(calls.length, 2);
  for (const call of calls) {
    assert.equal(call.parentSpanContext?.spanId, run.spanContext().spanId);
    assert.equal(call.spanContext().traceId, run.spanContext().traceId);
    assert.deepEqual(
      {
        ns: call.attributes["execbox.tool.namespace"],
        name: call.attributes["execbox.tool.name"],
        outcome: call.attributes["execbox.outcome"],
      },
      { ns: "docs", name: "search", outcome: "ok" },
    );
    assert.equal(typeof call.attributes["execbox.duration_ms"], "number");
  }
});

Deno.test("Broker.execute() sets an error status on a failed run and a failed tool call", async () => {
  otel.reset();
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  const result = await broker.execute(
    `try { await docs.broken({}); } catch {} throw new Error("boom")`,
  );
  assert.equal(result.ok, false);
  const spans = otel.spans();
  const run = onlySpan(spans, "execbox.execute");
  assert.equal(run.status.code, SpanStatusCode.ERROR);
  assert.equal(run.status.message, "runtime_error");
  assert.equal(run.attributes["execbox.outcome"], "error");
  assert.equal(run.attributes["error.type"], "runtime_error");
  assert.equal(run.attributes["execbox.error.code"], "runtime_error");
  assert.equal(run.attributes["execbox.caller"], "library");
  const call = onlySpan(spans, "execbox.tool_call");
  assert.equal(call.status.code, SpanStatusCode.ERROR);
  assert.equal(call.attributes["execbox.outcome"], "tool_error");
  assert.equal(call.attributes["execbox.tool.name"], "broken");
});

Deno.test("Broker.execute() ends the span with an error status when it throws", async () => {
  otel.reset();
  await using broker = await createBroker({ providers, pool: { size: 0 } });
  const result = await broker.execute("1", { limits: { maxCodeBytes: 0 } })
    .catch((error: Error) => error);
  // maxCodeBytes 0 is out of range: execute() throws, and the span ends.
  assert.ok(result instanceof RangeError);
  const run = onlySpan(otel.spans(), "execbox.execute");
  assert.equal(run.status.code, SpanStatusCode.ERROR);
  assert.equal(run.attributes["error.type"], "RangeError");
});

Deno.test("Broker.execute() counts runs and tool calls and records their durations", async () => {
  otel.reset();
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  await broker.execute(`await docs.search({ query: "a" }); 1`);
  await broker.execute(`throw new Error("x")`);
  const runs = await otel.metric("execbox.runs");
  assert.ok(runs !== undefined);
  const points = runs.dataPoints.map((p) => ({
    attributes: p.attributes,
    value: p.value,
  }));
  assert.deepEqual(
    points.sort((a, b) =>
      String(a.attributes["execbox.outcome"]).localeCompare(
        String(b.attributes["execbox.outcome"]),
      )
    ),
    [
      {
        attributes: {
          "execbox.outcome": "error",
          "error.type": "runtime_error",
          "execbox.error.code": "runtime_error",
        },
        value: 1,
      },
      { attributes: { "execbox.outcome": "ok" }, value: 1 },
    ],
  );
  const duration = await otel.metric("execbox.run.duration");
  assert.equal(duration?.descriptor.unit, "s");
  assert.equal(duration?.dataPoints.length, 2);
  const calls = await otel.metric("execbox.tool_calls");
  assert.deepEqual(calls?.dataPoints.map((p) => [p.attributes, p.value]), [[
    {
      "execbox.tool.namespace": "docs",
      "execbox.tool.name": "search",
      "execbox.outcome": "ok",
    },
    1,
  ]]);
  const callDuration = await otel.metric("execbox.tool_call.duration");
  assert.equal(callDuration?.dataPoints.length, 1);
});

Deno.test("RunTelemetry.toolCall() records the saved skill a call runs", () => {
  otel.reset();
  const run = new RunTelemetry({ runId: "r1", caller: "c" });
  run.toolCall("skills", "weekly_report", { skill: "weekly_report" }).end(
    "ok",
  );
  run.end({
    ok: true,
    logs: [],
    stats: {
      durationMs: 1,
      toolCalls: 1,
      coldStart: false,
      peakMemoryBytes: 0,
    },
  });
  const call = onlySpan(otel.spans(), "execbox.tool_call");
  assert.equal(call.attributes["execbox.skill"], "weekly_report");
  assert.equal(
    call.parentSpanContext?.spanId,
    onlySpan(otel.spans(), "execbox.execute").spanContext().spanId,
  );
});

Deno.test("Broker.execute() ends a tool call cut short by the run's timeout as cancelled", async () => {
  otel.reset();
  const aborted = Promise.withResolvers<void>();
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: {
      slow: {
        wait: defineTool({
          execute: (_input, { signal }) =>
            new Promise((_resolve, reject) => {
              signal.addEventListener("abort", () => {
                reject(signal.reason);
                aborted.resolve();
              }, { once: true });
            }),
        }),
      },
    },
  });
  const result = await broker.execute("await slow.wait({})", {
    limits: { timeoutMs: 1500 },
  });
  assert.equal(!result.ok && result.error.code, "timeout");
  await aborted.promise;
  // The call's span ends when the tool's promise settles, after the run's.
  await new Promise((resolve) => setTimeout(resolve, 0));
  const run = onlySpan(otel.spans(), "execbox.execute");
  assert.equal(run.attributes["error.type"], "timeout");
  const call = onlySpan(otel.spans(), "execbox.tool_call");
  assert.equal(call.attributes["execbox.outcome"], "cancelled");
  assert.equal(call.status.code, SpanStatusCode.ERROR);
});

Deno.test("Broker.execute() records a skill's tool calls with execbox.skill", async () => {
  await using broker = await skillBroker();
  const saved = await broker.execute(saveCode(QUAD), { caller: "alice" });
  assert.equal(saved.ok && saved.result, "saved");
  otel.reset();
  const run = await broker.execute("await skills.quad({ n: 3 })", {
    caller: "alice",
  });
  assert.equal(run.ok && run.result, 12);
  const calls = otel.spans().filter((s) => s.name === "execbox.tool_call");
  assert.deepEqual(
    calls.map((s) => [
      s.attributes["execbox.tool.namespace"],
      s.attributes["execbox.tool.name"],
      s.attributes["execbox.skill"],
    ]),
    [["math", "double", "quad"], ["math", "double", "quad"]],
  );
});

Deno.test("Broker.execute() records a guest fetch as an execbox.fetch client span, without its URL", async () => {
  await using server = serveLoopback(() => new Response("pong"));
  await using broker = await createBroker({
    pool: { size: 1 },
    network: { allow: [{ origin: server.origin }] },
  });
  otel.reset();
  const secretPath = `/PATH_${crypto.randomUUID()}`;
  const run = await broker.execute(`
    const ok = await (await fetch(${
    JSON.stringify(server.origin + secretPath)
  })).text();
    let refused = "no";
    try { await fetch("http://192.0.2.1${secretPath}"); } catch { refused = "yes"; }
    [ok, refused]`);
  assert.deepEqual(run.ok && run.result, ["pong", "yes"]);
  const spans = otel.spans();
  const run_ = onlySpan(spans, "execbox.execute");
  const fetches = spans.filter((s) => s.name === "execbox.fetch");
  assert.deepEqual(
    fetches.map((
      s,
    ) => [s.kind, s.attributes["execbox.outcome"], s.status.code]),
    [
      [SpanKind.CLIENT, "ok", SpanStatusCode.UNSET],
      [SpanKind.CLIENT, "denied", SpanStatusCode.ERROR],
    ],
  );
  for (const span of fetches) {
    assert.equal(span.parentSpanContext?.spanId, run_.spanContext().spanId);
  }
  for (const span of spans) {
    assert.ok(!exportedText(span).includes(secretPath), exportedText(span));
  }
});

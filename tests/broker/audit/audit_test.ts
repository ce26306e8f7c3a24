/**
 * The audit trail: `BrokerOptions.onRun` gets one record per run, whatever
 * the outcome (every error code, timeouts, cancellations, crashes), with the
 * run's calls; the hook and its sink never block or fail a run.
 */

import { deferred } from "../../_async.ts";
import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { z } from "zod";
import {
  type Broker,
  type BrokerOptions,
  createBroker,
  createMcpServer,
  defineTool,
  type ExecuteResult,
  type Providers,
} from "../../../mod.ts";
import type { AuditCall, AuditRecord } from "../../../broker/audit/record.ts";
import { AuditLog } from "../../../broker/audit/log.ts";
import { createHttpApp } from "../../../broker/http/app.ts";
import { recordingHost } from "../_recording_host.ts";
import { PROTOCOL_VERSION } from "../../../runtime/protocol.ts";

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

const UUID =
  /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Records as the hook received them: copied at once, as a log that
 * serialises each record when it arrives would see them.
 */
function recorder() {
  const records: AuditRecord[] = [];
  return {
    records,
    onRun: (record: AuditRecord) => records.push(structuredClone(record)),
  };
}

/** The calls with their timings checked and zeroed, for exact comparison. */
function calls(record: AuditRecord): AuditCall[] {
  let last = 0;
  return record.calls.map((call) => {
    assert.ok(
      Number.isInteger(call.atMs) && call.atMs >= last,
      `atMs ${call.atMs} after ${last}`,
    );
    last = call.atMs;
    assert.ok(call.durationMs >= 0, `durationMs ${call.durationMs}`);
    assert.ok(call.atMs <= record.durationMs);
    return { ...call, atMs: 0, durationMs: 0 };
  });
}

/** The blocking tool's events; replaced by each test that uses it. */
let gate = newGate();
function newGate() {
  return {
    started: deferred(),
    release: deferred<string>(),
    aborted: deferred(),
  };
}

const providers: Providers = {
  tools: {
    echo: defineTool({
      description: "Returns its text",
      input: z.object({ text: z.string() }),
      execute: ({ text }) => text,
    }),
    fail: defineTool({
      description: "Always fails",
      execute: () => {
        throw new Error("the tool failed");
      },
    }),
    secret: defineTool({
      description: "Denied by the hook",
      execute: () => "never",
    }),
    /** Waits for the test's release and ignores the signal. */
    hang: defineTool({
      execute: async () => {
        gate.started.resolve();
        return await gate.release.promise;
      },
    }),
    /** Waits for the test's release or the run's end. */
    block: defineTool({
      execute: (_input, { signal }) =>
        new Promise<string>((resolve, reject) => {
          signal.addEventListener("abort", () => {
            gate.aborted.resolve();
            reject(signal.reason);
          }, { once: true });
          gate.release.promise.then(resolve);
          gate.started.resolve();
        }),
    }),
  },
};

function broker(options: BrokerOptions = {}): Promise<Broker> {
  return createBroker({
    providers,
    pool: { size: 1 },
    onToolCall: (call) =>
      call.tool === "secret" ? { deny: "not for you" } : undefined,
    ...options,
  });
}

Deno.test("Broker writes one audit record per run with exact fields", async () => {
  const { records, onRun } = recorder();
  await using b = await broker({ onRun });
  const code = "const secretCode = 6; secretCode * 7";
  const before = Date.now();
  const run = await b.execute(code);
  const after = Date.now();
  assert.equal(run.ok && run.result, 42);
  assert.equal(records.length, 1);
  const record = records[0]!;
  assert.deepEqual(Object.keys(record), [
    "runId",
    "time",
    "caller",
    "codeSha256",
    "outcome",
    "durationMs",
    "peakMemoryBytes",
    "calls",
  ]);
  assert.match(record.runId, UUID);
  const time = Date.parse(record.time);
  assert.equal(new Date(time).toISOString(), record.time);
  assert.ok(
    before <= time && time <= after,
    `${before} <= ${time} <= ${after}`,
  );
  assert.deepEqual(
    { ...record, runId: "", time: "" },
    {
      runId: "",
      time: "",
      caller: "library",
      codeSha256: await sha256(code),
      outcome: "ok",
      durationMs: run.stats.durationMs,
      peakMemoryBytes: run.stats.peakMemoryBytes,
      calls: [],
    },
  );
  assert.equal(JSON.stringify(records).includes("secretCode"), false);

  await b.execute(code);
  assert.equal(records.length, 2);
  assert.notEqual(records[1]!.runId, record.runId);
  assert.equal(records[1]!.codeSha256, record.codeSha256);
});

Deno.test("Broker's audit record lists every call with its outcome and the SHA-256 of its arguments", async () => {
  const { records, onRun } = recorder();
  await using b = await broker({ onRun });
  const run = await b.execute(
    `
    await tools.echo({ text: "hi" });
    const caught = [];
    for (const attempt of [
      () => tools.echo({ text: 1 }),
      () => tools.fail(),
      () => tools.secret({ why: "curious" }),
    ]) {
      try { await attempt(); } catch (e) { caught.push(e.code); }
    }
    await state.set("k", [1, "x"]);
    await state.get("k");
    return caught;
  `,
    { session: "s", caller: "alice" },
  );
  assert.deepEqual(run.ok && run.result, [
    "validation_error",
    "tool_error",
    "tool_error",
  ]);
  assert.equal(records.length, 1);
  const record = records[0]!;
  assert.equal(record.caller, "alice");
  assert.equal(record.session, "s");
  assert.equal("code" in record, false);
  assert.deepEqual(calls(record), [
    {
      tool: "tools.echo",
      atMs: 0,
      durationMs: 0,
      outcome: "ok",
      argsSha256: await sha256('{"text":"hi"}'),
    },
    {
      tool: "tools.echo",
      atMs: 0,
      durationMs: 0,
      outcome: "validation_error",
      argsSha256: await sha256('{"text":1}'),
    },
    {
      tool: "tools.fail",
      atMs: 0,
      durationMs: 0,
      outcome: "tool_error",
      argsSha256: await sha256("{}"),
    },
    {
      tool: "tools.secret",
      atMs: 0,
      durationMs: 0,
      outcome: "denied",
      argsSha256: await sha256('{"why":"curious"}'),
    },
    {
      tool: "state.set",
      atMs: 0,
      durationMs: 0,
      outcome: "ok",
      argsSha256: await sha256('["k",[1,"x"]]'),
    },
    {
      tool: "state.get",
      atMs: 0,
      durationMs: 0,
      outcome: "ok",
      argsSha256: await sha256('["k"]'),
    },
  ]);
});

Deno.test("Broker's audit record holds the code only with includeCode, and arguments only with includeArgs", async () => {
  const { records, onRun } = recorder();
  await using b = await broker({
    onRun,
    audit: { includeCode: true, includeArgs: true },
  });
  const code =
    `await tools.echo({ text: "hi" }); await state.set("k", { n: 1 }); 1`;
  const run = await b.execute(code, { session: "s" });
  assert.equal(run.ok, true);
  const record = records[0]!;
  assert.equal(record.code, code);
  assert.equal(record.codeSha256, await sha256(code));
  assert.deepEqual(calls(record), [
    {
      tool: "tools.echo",
      atMs: 0,
      durationMs: 0,
      outcome: "ok",
      argsSha256: await sha256('{"text":"hi"}'),
      args: { text: "hi" },
    },
    {
      tool: "state.set",
      atMs: 0,
      durationMs: 0,
      outcome: "ok",
      argsSha256: await sha256('["k",{"n":1}]'),
      args: ["k", { n: 1 }],
    },
  ]);

  // A syntax error never reaches the runtime, and is still recorded with its code.
  await b.execute("1 +");
  assert.deepEqual(
    { outcome: records[1]!.outcome, code: records[1]!.code },
    { outcome: "syntax_error", code: "1 +" },
  );
});

Deno.test("Broker writes an audit record for each failure code", async (t) => {
  const { records, onRun } = recorder();
  await using b = await broker({ onRun, sessions: { maxBytes: 32 } });

  const expect = (
    run: ExecuteResult,
    outcome: string,
    limit?: string,
  ): AuditRecord => {
    assert.equal(run.ok, false, JSON.stringify(run));
    assert.equal(!run.ok && run.error.code, outcome, JSON.stringify(run));
    if (limit !== undefined) {
      assert.equal(!run.ok && run.error.limit, limit);
    }
    // The record is delivered before execute() resolves.
    assert.equal(records.length, 1, JSON.stringify(records));
    const record = records.pop()!;
    assert.equal(record.outcome, outcome);
    assert.equal(record.durationMs, run.stats.durationMs);
    assert.equal(record.peakMemoryBytes, run.stats.peakMemoryBytes);
    assert.match(record.runId, UUID);
    return record;
  };

  const cases: [string, string, Parameters<Broker["execute"]>[1]?][] = [
    ["syntax_error", "1 +"],
    ["runtime_error", "throw new Error('boom')"],
    ["tool_error", "await tools.fail()"],
    ["validation_error", "await tools.echo({ text: 1 })"],
    ["serialization_error", "() => 1"],
    ["timeout", "while (true) {}", { limits: { timeoutMs: 300 } }],
    [
      "memory_limit",
      "const keep = []; while (true) keep.push(new Array(100_000).fill({ a: 1 }));",
      { limits: { memoryMb: 64 } },
    ],
  ];
  for (const [outcome, code, options] of cases) {
    await t.step(outcome, async () => {
      const record = expect(await b.execute(code, options), outcome);
      assert.equal(record.codeSha256, await sha256(code));
    });
  }

  await t.step("cancelled before the run starts", async () => {
    const signal = AbortSignal.abort();
    const record = expect(await b.execute("1", { signal }), "cancelled");
    assert.deepEqual(record.calls, []);
  });

  await t.step("cancelled while a call is in flight", async () => {
    gate = newGate();
    const controller = new AbortController();
    const pending = b.execute("await tools.block()", {
      signal: controller.signal,
    });
    await gate.started.promise;
    controller.abort();
    const run = await pending;
    await gate.aborted.promise;
    expect(run, "cancelled");
    assert.equal(run.stats.toolCalls, 1);
  });

  await t.step("limit_exceeded: maxToolCalls", async () => {
    const record = expect(
      await b.execute("for (;;) await tools.echo({ text: 'x' })", {
        limits: { maxToolCalls: 2 },
      }),
      "limit_exceeded",
      "maxToolCalls",
    );
    assert.deepEqual(record.calls.map((c) => [c.tool, c.outcome]), [
      ["tools.echo", "ok"],
      ["tools.echo", "ok"],
    ]);
  });

  await t.step("limit_exceeded: maxResultBytes", async () => {
    expect(
      await b.execute("'x'.repeat(2000)", { limits: { maxResultBytes: 1000 } }),
      "limit_exceeded",
      "maxResultBytes",
    );
  });

  await t.step("limit_exceeded: sessionBytes", async () => {
    const record = expect(
      await b.execute(`await state.set("k", "x".repeat(40))`, {
        session: "small",
      }),
      "limit_exceeded",
      "sessionBytes",
    );
    assert.equal(record.session, "small");
    assert.deepEqual(record.calls.map((c) => [c.tool, c.outcome]), [
      ["state.set", "tool_error"],
    ]);
  });
});

Deno.test("Broker writes an audit record for a run refused because the queue is full", async () => {
  const { records, onRun } = recorder();
  gate = newGate();
  await using b = await broker({ onRun, maxConcurrency: 1, maxQueue: 0 });
  const first = b.execute("await tools.block()");
  await gate.started.promise;
  const refused = await b.execute("2", { caller: "second" });
  assert.equal(!refused.ok && refused.error.limit, "queue");
  assert.deepEqual(
    records.map((r) => [r.caller, r.outcome]),
    [["second", "limit_exceeded"]],
  );
  gate.release.resolve("released");
  assert.equal((await first).ok, true);
  assert.deepEqual(records.map((r) => [r.caller, r.outcome]), [
    ["second", "limit_exceeded"],
    ["library", "ok"],
  ]);
});

/** A runtime script that reports ready, reads the run, then exits with 3. */
function crashingHost() {
  const source = `
const enc = new TextEncoder();
const h = enc.encode(JSON.stringify({ t: "ready", v: ${PROTOCOL_VERSION}, deno: "2.9.6" }));
const out = new Uint8Array(8 + h.length);
new DataView(out.buffer).setUint32(0, h.length);
out.set(h, 8);
Deno.stdout.writeSync(out);
await Deno.stdin.read(new Uint8Array(65536));
Deno.exit(3);
`;
  return recordingHost(undefined, (options) => ({
    ...options,
    args: [
      ...options.args.slice(0, -1),
      `data:text/javascript;base64,${btoa(source)}`,
    ],
  }));
}

Deno.test("Broker writes an audit record when the runtime crashes", async () => {
  const { records, onRun } = recorder();
  await using b = await broker({
    onRun,
    host: crashingHost(),
    pool: { size: 0 },
  });
  const run = await b.execute("1", { caller: "crash" });
  assert.deepEqual(!run.ok && run.error, {
    code: "internal_error",
    message: "Runtime exited unexpectedly (exit code 3)",
  });
  assert.deepEqual(records.map((r) => [r.caller, r.outcome]), [[
    "crash",
    "internal_error",
  ]]);
});

Deno.test("Broker writes an audit record when the runtime is killed during a call", async () => {
  const { records, onRun } = recorder();
  const host = recordingHost();
  gate = newGate();
  await using b = await broker({ onRun, host, pool: { size: 0 } });
  const pending = b.execute("await tools.block()");
  await gate.started.promise;
  assert.equal(host.spawns.length, 1);
  Deno.kill(host.spawns[0]!.pid, "SIGKILL");
  const run = await pending;
  await gate.aborted.promise;
  assert.equal(!run.ok && run.error.code, "internal_error");
  assert.match(
    !run.ok ? run.error.message : "",
    /^Runtime exited unexpectedly \(exit code \d+\)$/,
  );
  assert.deepEqual(records.map((r) => r.outcome), ["internal_error"]);
});

Deno.test({
  name:
    "Broker's audit record holds a call still in flight when the run times out, as cancelled",
  fn: async () => {
    const { records, onRun } = recorder();
    gate = newGate();
    await using b = await broker({ onRun });
    try {
      const run = await b.execute("await tools.hang()", {
        limits: { timeoutMs: 300 },
      });
      assert.equal(!run.ok && run.error.code, "timeout");
      assert.deepEqual(calls(records[0]!), [{
        tool: "tools.hang",
        atMs: 0,
        durationMs: 0,
        outcome: "cancelled",
        argsSha256: await sha256("{}"),
      }]);
    } finally {
      gate.release.resolve("late");
    }
  },
});

Deno.test({
  name:
    "Broker's audit record marks a call aborted by the end of its run as cancelled",
  fn: async () => {
    const { records, onRun } = recorder();
    gate = newGate();
    await using b = await broker({ onRun });
    const run = await b.execute("await tools.block()", {
      limits: { timeoutMs: 300 },
    });
    assert.equal(!run.ok && run.error.code, "timeout");
    await gate.aborted.promise;
    assert.deepEqual(
      records[0]!.calls.map((c) => [c.tool, c.outcome]),
      [["tools.block", "cancelled"]],
    );
  },
});

Deno.test({
  name:
    "Broker's audit record lists concurrent calls in the order they started",
  fn: async () => {
    const { records, onRun } = recorder();
    gate = newGate();
    await using b = await broker({
      onRun,
      providers: {
        ...providers,
        order: {
          first: defineTool({ execute: () => gate.release.promise }),
          second: defineTool({ execute: () => "second" }),
          release: defineTool({
            execute: () => gate.release.resolve("first"),
          }),
        },
      },
    });
    // `first` starts first and ends last: after `second` has answered and
    // `release`, which the guest calls only then, has let it go.
    const run = await b.execute(`
      const first = order.first();
      await order.second();
      await order.release();
      return await first;
    `);
    assert.equal(run.ok && run.result, "first", JSON.stringify(run));
    assert.deepEqual(records[0]!.calls.map((c) => c.tool), [
      "order.first",
      "order.second",
      "order.release",
    ]);
  },
});

Deno.test("Broker ignores an onRun hook that throws or rejects", async () => {
  let thrown = 0;
  await using throwing = await broker({
    onRun: () => {
      thrown++;
      throw new Error("the audit sink is down");
    },
  });
  const first = await throwing.execute("1 + 1");
  assert.equal(first.ok && first.result, 2);
  const second = await throwing.execute("throw new Error('x')");
  assert.equal(!second.ok && second.error.code, "runtime_error");
  assert.equal(thrown, 2);

  let rejected = 0;
  await using rejecting = await broker({
    onRun: async () => {
      rejected++;
      await Promise.resolve();
      throw new Error("the audit sink is down, asynchronously");
    },
  });
  const third = await rejecting.execute("3");
  assert.equal(third.ok && third.result, 3);
  assert.equal(rejected, 1);
  // An unhandled rejection would fail this test module.
  await new Promise((resolve) => setTimeout(resolve, 0));
});

Deno.test("An AuditLog whose sink never drains neither blocks nor fails the runs it logs", async () => {
  let writes = 0;
  const sink = new WritableStream<Uint8Array>(
    {
      write: () => {
        writes++;
        return new Promise(() => {}); // never acknowledged
      },
    },
    { highWaterMark: 1 },
  );
  const dropped: number[] = [];
  const log = new AuditLog(sink, {
    maxQueuedBytes: 4096,
    onDrop: (n) => dropped.push(n),
  });
  await using b = await broker({
    onRun: log.hook,
    audit: { includeCode: true },
  });
  const padding = "x".repeat(1000);
  const results: unknown[] = [];
  for (let i = 0; i < 12; i++) {
    const run = await b.execute(`// ${padding}\n${i} * 2`);
    results.push(run.ok && run.result);
  }
  assert.deepEqual(results, Array.from({ length: 12 }, (_, i) => i * 2));
  assert.equal(writes, 1, "the first batch is still in flight");
  assert.ok(log.queuedBytes <= 4096);
  assert.ok(log.dropped > 0 && log.dropped < 12, `dropped ${log.dropped}`);
  assert.equal(dropped[0], 1);
  await log.close({ timeoutMs: 10 });
  assert.equal(log.dropped, 12);
});

Deno.test("An AuditLog whose sink fails does not fail the runs it logs", async () => {
  const log = new AuditLog(
    new WritableStream({
      write: () => Promise.reject(new Error("disk full")),
    }),
  );
  await using b = await broker({ onRun: log.hook });
  for (let i = 0; i < 3; i++) {
    const run = await b.execute(`${i}`);
    assert.equal(run.ok && run.result, i);
  }
  await log.close({ timeoutMs: 100 });
  assert.equal(log.dropped, 3);
});

Deno.test("An AuditLog writes one JSON line per run, in order", async () => {
  const chunks: Uint8Array[] = [];
  const log = new AuditLog(
    new WritableStream({ write: (chunk) => void chunks.push(chunk) }),
  );
  {
    await using b = await broker({ onRun: log.hook });
    await b.execute("1", { caller: "one" });
    await b.execute("throw 1", { caller: "two" });
    await b.execute("3", { caller: "three", session: "s" });
  }
  await log.close();
  const text = new TextDecoder().decode(
    new Uint8Array(chunks.flatMap((c) => [...c])),
  );
  assert.ok(text.endsWith("\n"));
  const lines = text.slice(0, -1).split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(lines.map((r) => [r.caller, r.outcome, r.session]), [
    ["one", "ok", undefined],
    ["two", "runtime_error", undefined],
    ["three", "ok", "s"],
  ]);
  assert.equal(log.dropped, 0);
});

Deno.test("Audit records name the HTTP token and the MCP caller", async () => {
  const { records, onRun } = recorder();
  await using b = await broker({ onRun });
  const app = createHttpApp(b, {
    tokens: { alice: "alice-token-1234", bob: "bob-token-5678" },
  });
  const response = await app.fetch(
    new Request("http://127.0.0.1:8080/v1/execute", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer bob-token-5678",
      },
      body: JSON.stringify({ code: "1", session: "chat" }),
    }),
  );
  assert.equal(response.status, 200);
  await response.body?.cancel();

  const server = createMcpServer(b);
  const client = new Client({ name: "test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    await client.callTool({
      name: "execute",
      arguments: { code: "2", session: "m" },
    });
    await client.callTool({ name: "execute", arguments: { code: "3" } });
  } finally {
    await client.close();
    await server.close();
  }
  assert.deepEqual(
    records.map((r) => [r.caller, r.session, r.outcome]),
    [["bob", "chat", "ok"], ["mcp", "m", "ok"], ["mcp", undefined, "ok"]],
  );
  assert.equal(JSON.stringify(records).includes("bob-token-5678"), false);
});

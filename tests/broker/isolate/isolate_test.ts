import assert from "node:assert/strict";
import { z } from "zod";
import { createBroker, defineTool, type ExecuteResult } from "../../../mod.ts";
import { recordingHost, type SpawnRecord } from "../_recording_host.ts";
import { HttpMetrics } from "../../../broker/http/metrics.ts";

const MIB = 1024 * 1024;

// Frames the broker sent to each process that ran something: which runs a
// process served, and whether it was asked for a next Worker.
function served(spawns: SpawnRecord[]): string[][] {
  return spawns.map((s) => s.sent).filter((sent) => sent.includes("exec"));
}

function execCounts(spawns: SpawnRecord[]): number[] {
  return served(spawns).map((sent) => sent.filter((t) => t === "exec").length)
    .sort((a, b) => a - b);
}

function assertOk(run: ExecuteResult): unknown {
  assert.ok(run.ok, JSON.stringify(run));
  return run.result;
}

Deno.test("Broker.execute() in isolate mode shows a run nothing of the run before it in the same process", async () => {
  const host = recordingHost();
  let aborted = false;
  const pending = Promise.withResolvers<void>();
  await using broker = await createBroker({
    host,
    isolation: "isolate",
    pool: { size: 1 },
    providers: {
      tools: {
        hang: defineTool({
          description: "Never answers; notes when its run ends",
          input: z.object({}),
          execute: (_args, { signal }) =>
            new Promise((_resolve, reject) => {
              signal.addEventListener("abort", () => {
                aborted = true;
                pending.resolve();
                reject(new Error("aborted"));
              });
            }),
        }),
      },
    },
  });
  const first = await broker.execute(
    `
    globalThis.leaked = "run 1";
    Object.prototype.polluted = "run 1";
    Array.prototype.map = function () { return "hijacked"; };
    JSON.stringify = () => "hijacked";
    setTimeout(() => console.log("timer of run 1"), 0);
    setInterval(() => console.log("interval of run 1"), 1);
    queueMicrotask(() => console.log("microtask of run 1"));
    tools.hang({}).then(() => console.log("call of run 1 answered"));
    console.log("log of run 1");
    return "first";
    `,
    { caller: "a" },
  );
  assert.equal(assertOk(first), "first");
  await pending.promise;
  assert.equal(aborted, true);
  const second = await broker.execute(
    `
    await new Promise((resolve) => setTimeout(resolve, 100));
    return {
      leaked: typeof globalThis.leaked,
      polluted: ({}).polluted === undefined,
      map: [1].map((x) => x + 1),
      json: JSON.stringify({ a: 1 }),
    };
    `,
    { caller: "a" },
  );
  assert.deepEqual(assertOk(second), {
    leaked: "undefined",
    polluted: true,
    map: [2],
    json: '{"a":1}',
  });
  assert.deepEqual(second.logs, []);
  // Both runs were served by one process, which was asked for a fresh Worker
  // between them.
  assert.deepEqual(execCounts(host.spawns), [2]);
  assert.deepEqual(
    served(host.spawns)[0]!.filter((t) => t !== "result"),
    ["exec", "next", "exec", "next"],
  );
});

Deno.test("Broker.execute() in isolate mode never runs two callers in one process", async () => {
  const host = recordingHost();
  await using broker = await createBroker({
    host,
    isolation: "isolate",
    pool: { size: 2 },
  });
  for (const caller of ["a", "b", "a", "b", "a"]) {
    assertOk(await broker.execute("return 1", { caller }));
  }
  // Concurrent runs of both callers, too.
  const runs = await Promise.all(
    ["a", "b", "a", "b"].map((caller) =>
      broker.execute("await new Promise((r) => setTimeout(r, 50)); return 1", {
        caller,
      })
    ),
  );
  for (const run of runs) assertOk(run);
  // a: 3 + 2 runs, b: 2 + 2, over processes that each served one caller:
  // every process's runs add up per caller, never a mix.
  const counts = execCounts(host.spawns);
  assert.equal(counts.reduce((x, y) => x + y, 0), 9);
  assert.ok(counts.length >= 2, `processes: ${JSON.stringify(counts)}`);
  assert.ok(!counts.includes(9), `processes: ${JSON.stringify(counts)}`);
});

Deno.test("IsolatePool gives each caller its own processes and keeps them for it", async () => {
  const host = recordingHost();
  await using broker = await createBroker({
    host,
    isolation: "isolate",
    pool: { size: 1 },
  });
  for (const caller of ["a", "b", "a", "b", "a", "b"]) {
    assertOk(await broker.execute("return 1", { caller }));
  }
  // Sequential runs: one process per caller, three runs each.
  assert.deepEqual(execCounts(host.spawns), [3, 3]);
});

Deno.test("Broker.execute() in isolate mode replaces a process after isolate.maxRuns runs", async () => {
  const host = recordingHost();
  await using broker = await createBroker({
    host,
    isolation: "isolate",
    isolate: { maxRuns: 2 },
    pool: { size: 1 },
  });
  for (let i = 0; i < 5; i++) {
    assertOk(await broker.execute("return 1", { caller: "a" }));
  }
  assert.deepEqual(execCounts(host.spawns), [1, 2, 2]);
  // A process that served its runs gets no next Worker: it is killed.
  assert.deepEqual(served(host.spawns).map((s) => s.join(" ")).sort(), [
    "exec next",
    "exec next exec",
    "exec next exec",
  ]);
});

Deno.test("Broker.execute() in isolate mode kills the process after each outcome the broker decides", async (t) => {
  const host = recordingHost();
  let killCurrent: (() => void) | undefined;
  await using broker = await createBroker({
    host,
    isolation: "isolate",
    pool: { size: 1 },
    // One heap cap for every run, so every run of the caller can use its
    // process.
    limits: { memoryMb: 64 },
    providers: {
      tools: {
        crash: defineTool({
          description: "Kills the runtime process that called it",
          input: z.object({}),
          execute: () => {
            killCurrent?.();
            return new Promise(() => {});
          },
        }),
      },
    },
  });
  const cases: [string, string, () => Parameters<typeof broker.execute>[1]][] =
    [
      ["timeout", "while (true) {}", () => ({ limits: { timeoutMs: 500 } })],
      [
        "memory_limit",
        "const keep = []; for (let i = 0; i < 16; i++) keep.push(new Uint8Array(64 * 2 ** 20).fill(1)); return keep.length",
        () => ({}),
      ],
      [
        "limit_exceeded",
        "return 'x'.repeat(2000)",
        () => ({ limits: { maxResultBytes: 1000 } }),
      ],
      [
        "cancelled",
        "await new Promise(() => {})",
        () => ({ signal: AbortSignal.timeout(300) }),
      ],
      ["internal_error", "await tools.crash({})", () => ({})],
    ];
  // The process a run was served by: the one whose exec count grew (spares
  // are started ahead, so spawn order is not the order of use).
  const execs = () =>
    host.spawns.map((s) => s.sent.filter((f) => f === "exec").length);
  async function servedBy(
    run: () => Promise<ExecuteResult>,
  ): Promise<{ run: ExecuteResult; record: SpawnRecord }> {
    const before = execs();
    const result = await run();
    const index = execs().findIndex((n, i) => n > (before[i] ?? 0));
    return { run: result, record: host.spawns[index]! };
  }
  for (const [code, source, options] of cases) {
    await t.step(code, async () => {
      const warm = await servedBy(() =>
        broker.execute("return 0", { caller: "a" })
      );
      assertOk(warm.run);
      const record = warm.record;
      killCurrent = () => record.process.kill();
      const failed = await servedBy(() =>
        broker.execute(source, { ...options(), caller: "a" })
      );
      assert.equal(failed.record, record);
      assert.equal(failed.run.ok, false);
      assert.equal(!failed.run.ok && failed.run.error.code, code);
      // The process is gone, and the caller's next run gets another one.
      await record.process.status;
      assert.equal(record.sent.at(-1), "exec");
      const next = await servedBy(() =>
        broker.execute("return 1", { caller: "a" })
      );
      assertOk(next.run);
      assert.notEqual(next.record, record);
    });
  }
});

Deno.test("Broker.execute() in isolate mode charges a run only for the memory it adds", async () => {
  await using broker = await createBroker({
    isolation: "isolate",
    pool: { size: 1 },
    limits: { memoryMb: 48 },
  });
  // The process itself (~50 MiB with its Worker) is over 48 MiB: only what a
  // run adds counts, run after run.
  for (let i = 0; i < 3; i++) {
    const run = await broker.execute(
      "const u = new Uint8Array(16 * 2 ** 20).fill(1); return u.length",
      { caller: "a" },
    );
    assert.equal(assertOk(run), 16 * MIB);
    assert.ok(run.stats.peakMemoryBytes > 0);
  }
  const run = await broker.execute(
    "const keep = []; for (let i = 0; i < 16; i++) keep.push(new Uint8Array(16 * 2 ** 20).fill(1)); return keep.length",
    { caller: "a" },
  );
  assert.equal(!run.ok && run.error.code, "memory_limit");
  assert.match(
    !run.ok ? run.error.message : "",
    /^Run exceeded the memory limit of 48 MiB \(resident memory grew by \d+ MiB\)$/,
  );
});

Deno.test("createBroker() refuses an unknown isolation and bad isolate counts", async () => {
  await assert.rejects(
    () => createBroker({ isolation: "thread" as "process", pool: { size: 0 } }),
    {
      name: "TypeError",
      message: 'Invalid isolation "thread": expected "process" or "isolate"',
    },
  );
  await assert.rejects(
    () =>
      createBroker({
        isolation: "isolate",
        isolate: { maxRuns: 0 },
        pool: { size: 0 },
      }),
    {
      name: "RangeError",
      message: "isolate.maxRuns must be a whole number of at least 1, got 0",
    },
  );
});

Deno.test("Broker.execute() refuses isolation as a per-run option", async () => {
  await using broker = await createBroker({
    isolation: "isolate",
    pool: { size: 0 },
  });
  await assert.rejects(
    () =>
      broker.execute("return 1", {
        limits: { isolation: "process" } as never,
      }),
    {
      name: "TypeError",
      message: 'Unknown limit "isolation" in execute() options',
    },
  );
  await assert.rejects(
    () => broker.execute("return 1", { isolation: "process" } as never),
    {
      name: "TypeError",
      message: 'Isolation is a broker option, not a run\'s: got "process"',
    },
  );
});

Deno.test("Broker.status() and GET /metrics report the isolate-mode pool", async () => {
  await using broker = await createBroker({
    isolation: "isolate",
    pool: { size: 1 },
  });
  assert.deepEqual(broker.status().isolate, {
    owned: 0,
    ready: 0,
    callers: 0,
    retired: 0,
  });
  assertOk(await broker.execute("1 + 1", { caller: "alice" }));
  assertOk(await broker.execute("2 + 2", { caller: "bob" }));
  const isolate = broker.status().isolate!;
  assert.equal(isolate.owned, 2);
  assert.equal(isolate.callers, 2);
  assert.equal(isolate.retired, 0);
  // Each process prepares its next Worker in the background after its run.
  assert.ok(isolate.ready >= 0 && isolate.ready <= 2);
  const text = new HttpMetrics().render(broker.status());
  assert.match(text, /^# TYPE execbox_isolate_processes gauge$/m);
  assert.match(text, /^execbox_isolate_processes 2$/m);
  assert.match(text, /^execbox_isolate_callers 2$/m);
  assert.match(text, /^execbox_isolate_ready [012]$/m);
  assert.match(text, /^execbox_isolate_retired_total 0$/m);
});

Deno.test("Broker.status() has no isolate counters in process mode", async () => {
  await using broker = await createBroker({ pool: { size: 0 } });
  assert.equal(broker.status().isolate, undefined);
  assert.doesNotMatch(
    new HttpMetrics().render(broker.status()),
    /execbox_isolate_/,
  );
});

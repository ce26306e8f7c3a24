import assert from "node:assert/strict";
import {
  defineTool,
  MIN_LOG_ENTRY_BYTES,
  RUNTIME_BASELINE_MB,
} from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { assertFailure, assertResult, recordingHost } from "./_fixtures.ts";

const MIB = 2 ** 20;

Deno.test("Broker.execute() holds every run to its limits", async (t) => {
  const recorded = recordingHost();
  let failingCalls = 0;
  await using broker = await createBroker({
    host: recorded.host,
    // Cold runs only: the process a run used is the one spawned during it.
    pool: { size: 0 },
    providers: {
      tools: {
        fail: defineTool({
          execute: () => {
            failingCalls++;
            throw new Error("always fails");
          },
        }),
      },
    },
  });

  await t.step(
    "Broker.execute() kills a run stuck in an infinite loop",
    async () => {
      const spawned = recorded.processes.length;
      const run = await broker.execute("while (true) {}", {
        limits: { timeoutMs: 500 },
      });
      assertFailure(run, "timeout", "Run exceeded the time limit of 500 ms");
      assert.equal(recorded.processes.length, spawned + 1);
      assert.deepEqual(await recorded.processes[spawned]!.status, {
        code: 137,
        signal: "SIGKILL",
      });
    },
  );

  await t.step(
    "Broker.execute() kills a run stuck in an endless chain of microtasks",
    async () => {
      const run = await broker.execute("for (;;) await null;", {
        limits: { timeoutMs: 500 },
      });
      assertFailure(run, "timeout", "Run exceeded the time limit of 500 ms");
    },
  );

  await t.step(
    "Broker.execute() kills a run that fills the JavaScript heap",
    async () => {
      const run = await broker.execute(
        `const keep = []; while (true) keep.push(new Array(100_000).fill({ a: 1 }));`,
        { limits: { memoryMb: 64 } },
      );
      assertFailure(
        run,
        "memory_limit",
        /^Run exceeded the memory limit of 64 MiB \((JavaScript heap|resident memory (reached|grew by) \d+ MiB)\)$/,
      );
    },
  );

  await t.step(
    "Broker.execute() kills a run that fills memory with typed arrays outside the heap",
    async () => {
      const run = await broker.execute(
        `
        const keep = [];
        for (let i = 0; i < 16; i++) {
          const u = new Uint8Array(64 * 2 ** 20);
          u.fill(1);
          keep.push(u);
        }
        keep.length
      `,
        { limits: { memoryMb: 64 } },
      );
      assertFailure(
        run,
        "memory_limit",
        /^Run exceeded the memory limit of 64 MiB \(resident memory (reached|grew by) \d+ MiB\)$/,
      );
      const peak = run.stats.peakMemoryBytes;
      assert.ok(
        peak > 0 && peak < (64 + RUNTIME_BASELINE_MB + 128) * MIB,
        `peak resident memory ${peak / MIB} MiB`,
      );
    },
  );

  await t.step(
    "Broker.execute() kills a run that leaps from far below its cap as fast as it can",
    async () => {
      // Far below the cap the watchdog reads memory less often; a run that
      // then fills memory at full speed must still be stopped near the cap.
      const run = await broker.execute(
        `
        const keep = [];
        for (let i = 0; i < 64; i++) {
          const u = new Uint8Array(32 * 2 ** 20);
          u.fill(1);
          keep.push(u);
        }
        keep.length
      `,
        { limits: { memoryMb: 768 } },
      );
      assertFailure(
        run,
        "memory_limit",
        /^Run exceeded the memory limit of 768 MiB \(resident memory (reached|grew by) \d+ MiB\)$/,
      );
      const peak = run.stats.peakMemoryBytes;
      assert.ok(
        peak > 768 * MIB && peak < (768 + RUNTIME_BASELINE_MB + 128) * MIB,
        `peak resident memory ${peak / MIB} MiB`,
      );
    },
  );

  await t.step(
    "Broker.execute() kills a run that grows WebAssembly memory",
    async () => {
      const run = await broker.execute(
        `
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
        for (let i = 0; i < 160; i++) {
          memory.grow(160);
          new Uint8Array(memory.buffer).fill(1);
        }
        memory.buffer.byteLength
      `,
        { limits: { memoryMb: 64 } },
      );
      assertFailure(
        run,
        "memory_limit",
        /^Run exceeded the memory limit of 64 MiB \(resident memory (reached|grew by) \d+ MiB\)$/,
      );
    },
  );

  await t.step(
    "Broker.execute() keeps at most maxLogBytes of a log flood and marks the cut once",
    async () => {
      const run = await broker.execute(
        `for (let i = 0; i < 10_000; i++) console.log("0123456789"); "flooded"`,
        { limits: { maxLogBytes: 1000 } },
      );
      assertResult(run, "flooded");
      // Each 10-byte entry counts MIN_LOG_ENTRY_BYTES (16): 62 fit in 1000.
      assert.deepEqual(run.logs, [
        ...Array.from({ length: 62 }, () => ({
          level: "log",
          message: "0123456789",
        })),
        {
          level: "warn",
          message: "[execbox] log output truncated: more than 1000 bytes",
        },
      ]);
    },
  );

  await t.step(
    "Broker.execute() counts an empty console entry as MIN_LOG_ENTRY_BYTES, so maxLogBytes bounds the number of entries",
    async () => {
      const flood = `for (let i = 0; i < 10_000; i++) console.log(); "flooded"`;
      const run = await broker.execute(flood, {
        limits: { maxLogBytes: 1024 },
      });
      assertResult(run, "flooded");
      assert.equal(MIN_LOG_ENTRY_BYTES, 16);
      assert.deepEqual(run.logs, [
        ...Array.from({ length: 64 }, () => ({ level: "log", message: "" })),
        {
          level: "warn",
          message: "[execbox] log output truncated: more than 1024 bytes",
        },
      ]);

      const none = await broker.execute(flood, { limits: { maxLogBytes: 0 } });
      assertResult(none, "flooded");
      assert.deepEqual(none.logs, [{
        level: "warn",
        message: "[execbox] log output truncated: more than 0 bytes",
      }]);
    },
  );

  await t.step(
    "Broker.execute() counts log bytes in UTF-8, not in characters",
    async () => {
      const run = await broker.execute(
        `console.log("€".repeat(100_000)); console.warn("after"); "flooded"`,
        { limits: { maxLogBytes: 1000 } },
      );
      assertResult(run, "flooded");
      assert.deepEqual(run.logs, [
        { level: "log", message: "€".repeat(333) },
        {
          level: "warn",
          message: "[execbox] log output truncated: more than 1000 bytes",
        },
      ]);
    },
  );

  await t.step(
    "Broker.execute() refuses a result over the size limit",
    async () => {
      const run = await broker.execute(`"x".repeat(2_000_000)`);
      assertFailure(
        run,
        "limit_exceeded",
        "Result is 2000002 bytes, more than the limit of 1048576",
      );
    },
  );

  await t.step(
    "Broker.execute() measures the result size in UTF-8 bytes",
    async () => {
      const run = await broker.execute(`"€".repeat(400_000)`);
      assertFailure(
        run,
        "limit_exceeded",
        "Result is 1200002 bytes, more than the limit of 1048576",
      );
    },
  );

  await t.step({
    name:
      "Broker.execute() reports an error with a huge message as a runtime_error",
    fn: async () => {
      const run = await broker.execute(
        `throw new Error("x".repeat(2_000_000))`,
      );
      assertFailure(
        run,
        "runtime_error",
        `Error: ${"x".repeat(2_000_000)}`.slice(0, 4096),
      );
    },
  });

  await t.step("Broker.execute() refuses code over maxCodeBytes", async () => {
    const run = await broker.execute("1;".repeat(131_073));
    assertFailure(
      run,
      "limit_exceeded",
      "Code is more than the limit of 262144 bytes (262146 characters)",
    );
    assert.equal(!run.ok && run.error.limit, "codeBytes");
    // 87,383 characters, but 262,145 bytes: a euro sign is three in UTF-8.
    const euros = await broker.execute(`"${"€".repeat(87_381)}"`);
    assertFailure(
      euros,
      "limit_exceeded",
      "Code is 262145 bytes, more than the limit of 262144",
    );
    // 262,143 bytes: under the limit, so it runs.
    assertResult(
      await broker.execute(`"${"€".repeat(87_378)}".length`),
      87_378,
    );
  });

  await t.step(
    "Broker.execute() reports unbounded recursion as a runtime_error",
    async () => {
      const run = await broker.execute(
        `function down(n) { return down(n + 1) + 1; } down(0)`,
      );
      assertFailure(
        run,
        "runtime_error",
        "RangeError: Maximum call stack size exceeded",
      );
    },
  );

  await t.step(
    "Broker.execute() stops a run at maxToolCalls, failed calls included",
    async () => {
      failingCalls = 0;
      const run = await broker.execute(
        `
        for (let i = 0; i < 5; i++) {
          try { await tools.fail(); } catch { /* keep calling */ }
        }
        "all calls made"
      `,
        { limits: { maxToolCalls: 3 } },
      );
      assertFailure(run, "limit_exceeded", "Run made more than 3 tool calls");
      assert.equal(failingCalls, 3);
    },
  );

  await t.step({
    name: "Broker.execute() counts only started calls in stats.toolCalls",
    fn: async () => {
      const run = await broker.execute(
        `for (let i = 0; i < 5; i++) { try { await tools.fail(); } catch {} }`,
        { limits: { maxToolCalls: 3 } },
      );
      assertFailure(run, "limit_exceeded", "Run made more than 3 tool calls");
      assert.equal(run.stats.toolCalls, 3);
    },
  });
});

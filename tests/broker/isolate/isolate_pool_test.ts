import assert from "node:assert/strict";
import { denoHost } from "../../../mod.ts";
import { IsolatePool } from "../../../broker/isolate/isolate_pool.ts";
import { RuntimePool } from "../../../broker/subprocess/pool.ts";
import type { ExecuteResult } from "../../../broker/result.ts";

const OK: ExecuteResult = {
  ok: true,
  logs: [],
  stats: { durationMs: 1, toolCalls: 0, coldStart: false, peakMemoryBytes: 0 },
};

function pools(
  options: { maxRuns?: number; maxProcesses?: number; maxAgeMs?: number },
) {
  const spares = new RuntimePool({
    host: denoHost,
    denoPath: denoHost.defaultDenoPath(),
    size: 1,
    memoryMb: 64,
    startTimeoutMs: 10_000,
  });
  const isolate = new IsolatePool({
    host: denoHost,
    spares,
    maxRuns: options.maxRuns ?? 100,
    maxAgeMs: options.maxAgeMs ?? 300_000,
    maxProcesses: options.maxProcesses ?? 4,
    startTimeoutMs: 10_000,
  });
  return {
    isolate,
    async [Symbol.asyncDispose]() {
      await isolate.close();
      await spares.close();
    },
  };
}

Deno.test("IsolatePool.acquire() never hands one caller's ready process to another caller", async () => {
  await using p = pools({});
  const a = await p.isolate.acquire("a", 64);
  assert.equal(p.isolate.callerOf(a.process), "a");
  await p.isolate.release(a.process, OK);
  assert.equal(p.isolate.stats.ready, 1);
  // a's process is idle and ready: b still gets another one.
  const b = await p.isolate.acquire("b", 64);
  assert.notEqual(b.process, a.process);
  assert.equal(p.isolate.callerOf(b.process), "b");
  await p.isolate.release(b.process, OK);
  // And a gets its own back, with a memory baseline for the run.
  const again = await p.isolate.acquire("a", 64);
  assert.equal(again.process, a.process);
  assert.ok(again.baselineBytes > 0);
  await p.isolate.release(again.process, OK);
});

Deno.test("IsolatePool.release() kills a process after an outcome the broker decided", async () => {
  await using p = pools({});
  for (
    const code of [
      "timeout",
      "memory_limit",
      "cancelled",
      "limit_exceeded",
      "internal_error",
    ] as const
  ) {
    const lease = await p.isolate.acquire("a", 64);
    await p.isolate.release(lease.process, {
      ok: false,
      error: { code, message: code },
      logs: [],
      stats: OK.stats,
    });
    assert.equal(lease.process.disposed, true, code);
    assert.equal(p.isolate.callerOf(lease.process), undefined, code);
  }
  // A guest's own error keeps the process for the caller.
  const lease = await p.isolate.acquire("a", 64);
  await p.isolate.release(lease.process, {
    ok: false,
    error: { code: "runtime_error", message: "x" },
    logs: [],
    stats: OK.stats,
  });
  assert.equal(lease.process.disposed, false);
  assert.equal(p.isolate.callerOf(lease.process), "a");
});

Deno.test("IsolatePool keeps at most maxProcesses, killing the least recently used ready one", async () => {
  await using p = pools({ maxProcesses: 2 });
  const a = await p.isolate.acquire("a", 64);
  await p.isolate.release(a.process, OK);
  const b = await p.isolate.acquire("b", 64);
  await p.isolate.release(b.process, OK);
  const c = await p.isolate.acquire("c", 64);
  // a's was the least recently used: retired at once to make room for c's,
  // and killed once the current task is over.
  assert.equal(p.isolate.callerOf(a.process), undefined);
  assert.equal(p.isolate.callerOf(b.process), "b");
  await a.process.exited;
  assert.equal(a.process.disposed, true);
  assert.equal(b.process.disposed, false);
  assert.equal(p.isolate.stats.owned, 2);
  await p.isolate.release(c.process, OK);
});

Deno.test("IsolatePool replaces a process once it is older than maxAgeSeconds", async () => {
  await using p = pools({ maxAgeMs: 1 });
  const first = await p.isolate.acquire("a", 64);
  // Its first run lasts longer than the 1 ms it may serve: age is time.
  await new Promise((resolve) => setTimeout(resolve, 5));
  await p.isolate.release(first.process, OK);
  assert.equal(first.process.disposed, true);
  const second = await p.isolate.acquire("a", 64);
  assert.notEqual(second.process, first.process);
  await p.isolate.release(second.process, OK);
});

Deno.test("IsolatePool.stats counts owned processes, ready Workers and callers", async () => {
  await using p = pools({});
  assert.deepEqual(p.isolate.stats, {
    owned: 0,
    ready: 0,
    callers: 0,
    retired: 0,
  });
  const a = await p.isolate.acquire("a", 64);
  const b = await p.isolate.acquire("b", 64);
  assert.deepEqual(p.isolate.stats, {
    owned: 2,
    ready: 0,
    callers: 2,
    retired: 0,
  });
  await p.isolate.release(a.process, OK);
  await p.isolate.release(b.process, undefined);
  assert.deepEqual(p.isolate.stats, {
    owned: 1,
    ready: 1,
    callers: 1,
    retired: 1,
  });
});

import assert from "node:assert/strict";
import { createBroker } from "../../../mod.ts";
import { exists, isAlive, recordingHost } from "../_recording_host.ts";

Deno.test("RuntimePool gives every run a fresh process and spawns runs plus pool size", async () => {
  const host = recordingHost();
  const runs = 5;
  const broker = await createBroker({ host, pool: { size: 2 } });
  try {
    for (let i = 0; i < runs; i++) {
      await broker.ready(); // every run finds a warm process
      const r = await broker.execute(`${i} * 2`);
      assert.equal(r.ok && r.result, i * 2);
      assert.equal(r.stats.coldStart, false);
    }
    await broker.ready();
  } finally {
    await broker.close();
  }
  assert.equal(host.spawns.length, runs + 2);
  const pids = new Set(host.spawns.map((s) => s.pid));
  assert.equal(
    pids.size,
    host.spawns.length,
    "process ids differ on every run",
  );
  // Each process received at most one exec frame: one run per process.
  const execs = host.spawns.map((s) =>
    s.sent.filter((t) => t === "exec").length
  );
  assert.deepEqual(execs.filter((n) => n > 1), []);
  assert.equal(execs.reduce((a, b) => a + b, 0), runs);
});

Deno.test("Broker.close() leaves no process and no temporary directory behind", async () => {
  const host = recordingHost();
  const broker = await createBroker({ host, pool: { size: 2 } });
  await broker.execute("1");
  await broker.execute("while (true) {}", { limits: { timeoutMs: 200 } });
  await broker.close();
  assert.ok(host.spawns.length >= 3);
  for (const spawn of host.spawns) {
    assert.equal(isAlive(spawn.pid), false, `process ${spawn.pid} is gone`);
  }
  // One directory for the pool, shared by its runtimes.
  assert.equal(host.tempDirs.length, 1);
  assert.deepEqual(
    [...new Set(host.spawns.map((s) => s.options.cwd))],
    host.tempDirs,
  );
  for (const dir of host.tempDirs) {
    assert.equal(exists(dir), false, `${dir} is removed`);
  }
});

Deno.test("RuntimePool starts a cold process for a run with another memoryMb", async () => {
  const host = recordingHost();
  await using broker = await createBroker({
    host,
    pool: { size: 1 },
    limits: { memoryMb: 64 },
  });
  const warm = await broker.execute("1");
  assert.equal(warm.stats.coldStart, false);
  const cold = await broker.execute("1", { limits: { memoryMb: 96 } });
  assert.equal(cold.stats.coldStart, true);
  const heapFlags = host.spawns.map((s) =>
    s.options.args.find((a) => a.startsWith("--v8-flags="))
  );
  assert.ok(heapFlags.includes("--v8-flags=--max-old-space-size=96"));
  assert.ok(heapFlags.includes("--v8-flags=--max-old-space-size=64"));
});

Deno.test("RuntimePool of size 0 starts every run cold", async () => {
  const host = recordingHost();
  await using broker = await createBroker({ host, pool: { size: 0 } });
  assert.equal(host.spawns.length, 0);
  const r = await broker.execute("'cold'");
  assert.equal(r.ok && r.result, "cold");
  assert.equal(r.stats.coldStart, true);
  assert.equal(host.spawns.length, 1);
  assert.equal(broker.status().pool.idle, 0);
});

Deno.test("RuntimePool replaces a warm process that dies while idle", async () => {
  const host = recordingHost();
  await using broker = await createBroker({ host, pool: { size: 1 } });
  const first = host.spawns[0]!;
  first.process.kill();
  await first.process.status;
  await broker.ready();
  assert.equal(broker.status().pool.idle, 1);
  assert.equal(host.spawns.length, 2);
  const r = await broker.execute("'still works'");
  assert.equal(r.ok && r.result, "still works");
  assert.equal(r.stats.coldStart, false);
});

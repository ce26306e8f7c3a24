import assert from "node:assert/strict";
import { Admission, type AdmissionLimits } from "../../broker/admission.ts";

const signal = new AbortController().signal;

function admission(limits: Partial<AdmissionLimits> = {}): Admission {
  return new Admission({
    maxConcurrency: 2,
    maxQueue: 4,
    maxConcurrencyPerCaller: 1,
    maxQueuePerCaller: 2,
    ...limits,
  });
}

Deno.test("Admission.enter() holds a named caller to its share of slots, even with slots free", async () => {
  const gate = admission();
  assert.equal(await gate.enter(signal, "a"), undefined);
  let a2Admitted = false;
  const a2 = gate.enter(signal, "a").then((r) => {
    a2Admitted = true;
    return r;
  });
  assert.deepEqual([gate.running, gate.queued], [1, 1]);
  // Another caller takes the free slot at once.
  assert.equal(await gate.enter(signal, "b"), undefined);
  assert.deepEqual([gate.running, gate.queued], [2, 1]);
  assert.equal(a2Admitted, false);

  gate.leave("a");
  assert.equal(await a2, undefined);
  assert.deepEqual([gate.running, gate.queued], [2, 0]);
});

Deno.test("Admission.enter() refuses a caller past its share of the queue while others still queue", async () => {
  const gate = admission();
  assert.equal(await gate.enter(signal, "a"), undefined);
  const waiting = [gate.enter(signal, "a"), gate.enter(signal, "a")];
  assert.deepEqual(await gate.enter(signal, "a"), {
    limit: "callerQueue",
    message:
      'Caller "a" has its whole share of runs: 1 executing and 2 waiting (maxConcurrencyPerCaller 1, maxQueuePerCaller 2)',
  });
  // The broker's queue still has room for another caller.
  assert.equal(await gate.enter(signal, "b"), undefined);
  const c = gate.enter(signal, "c");
  assert.equal(gate.queued, 3);

  // A freed slot goes to the first waiting caller under its share: "c",
  // not "a", who still has a run executing.
  gate.leave("b");
  assert.equal(await c, undefined);
  assert.deepEqual([gate.running, gate.queued], [2, 2]);
  // One slot free, but "a" takes its waiting runs one at a time.
  gate.leave("a");
  gate.leave("c");
  assert.equal(await waiting[0], undefined);
  assert.deepEqual([gate.running, gate.queued], [1, 1]);
  gate.leave("a");
  assert.equal(await waiting[1], undefined);
  assert.deepEqual([gate.running, gate.queued], [1, 0]);
});

Deno.test("Admission.enter() refuses a run at once when the broker's queue is full", async () => {
  const gate = admission({ maxConcurrency: 1, maxQueue: 1 });
  assert.equal(await gate.enter(signal, "a"), undefined);
  const queued = gate.enter(signal, "b");
  assert.deepEqual(await gate.enter(signal, "c"), {
    limit: "queue",
    message:
      "Run queue is full: 1 runs executing and 1 waiting (maxConcurrency 1, maxQueue 1)",
  });
  gate.leave("a");
  assert.equal(await queued, undefined);
});

Deno.test("Admission.enter() gives runs without a caller no share", async () => {
  const gate = admission({ maxQueuePerCaller: 0 });
  assert.equal(await gate.enter(signal, undefined), undefined);
  assert.equal(await gate.enter(signal, undefined), undefined);
  assert.equal(gate.running, 2);
});

Deno.test("Admission.enter() frees a cancelled run's place in its caller's share of the queue", async () => {
  const gate = admission({ maxQueuePerCaller: 1 });
  assert.equal(await gate.enter(signal, "a"), undefined);
  const controller = new AbortController();
  const cancelled = gate.enter(controller.signal, "a");
  assert.equal(
    (await gate.enter(signal, "a") as { limit: string }).limit,
    "callerQueue",
  );
  controller.abort();
  assert.equal(await cancelled, "cancelled");
  assert.equal(gate.queued, 0);
  const again = gate.enter(signal, "a");
  assert.equal(gate.queued, 1);
  gate.leave("a");
  assert.equal(await again, undefined);
});

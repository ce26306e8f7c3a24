import assert from "node:assert/strict";
import { CodePreparer } from "../../../broker/code/preparer.ts";

// Slow enough to parse (seconds) that a short deadline always ends it first.
const SLOW = "{" + "x ".repeat(131_000) + "}";

Deno.test("CodePreparer.prepare() prepares code in a thread and reports the thread's time", async () => {
  const preparer = new CodePreparer(1);
  try {
    const outcome = await preparer.prepare("const x: number = 2;\nx * 3", 5000);
    assert.equal(outcome.t, "prepared");
    if (outcome.t !== "prepared") return;
    assert.equal(outcome.result.ok, true);
    assert.ok(outcome.elapsedMs >= 0);
    const bad = await preparer.prepare("let = ;", 5000);
    assert.equal(bad.t === "prepared" && bad.result.ok, false);
  } finally {
    preparer.close();
  }
});

Deno.test("CodePreparer.prepare() ends a slow parse at its deadline and replaces the thread", async () => {
  const preparer = new CodePreparer(1);
  try {
    assert.deepEqual(await preparer.prepare(SLOW, 100), { t: "timeout" });
    const next = await preparer.prepare("1 + 1", 5000);
    assert.equal(next.t === "prepared" && next.result.ok, true);
  } finally {
    preparer.close();
  }
});

Deno.test("CodePreparer.prepare() ends a preparation whose signal aborts", async () => {
  const preparer = new CodePreparer(1);
  try {
    const controller = new AbortController();
    const pending = preparer.prepare(SLOW, 60_000, controller.signal);
    controller.abort();
    assert.deepEqual(await pending, { t: "cancelled" });
  } finally {
    preparer.close();
  }
});

Deno.test("CodePreparer.close() cancels running and queued preparations", async () => {
  const preparer = new CodePreparer(1);
  const running = preparer.prepare(SLOW, 60_000);
  const queued = preparer.prepare("1", 60_000);
  preparer.close();
  assert.deepEqual(await running, { t: "cancelled" });
  assert.deepEqual(await queued, { t: "cancelled" });
  assert.deepEqual(await preparer.prepare("1", 1000), { t: "cancelled" });
});

Deno.test("CodePreparer.prepare() keeps an answer that came in time while the main thread was busy", async () => {
  const preparer = new CodePreparer(1);
  try {
    await preparer.warm();
    const pending = preparer.prepare("1 + 1", 300);
    // Blocks this thread past the deadline; the preparation thread answers
    // meanwhile, so the late timer must not call it a timeout.
    const end = performance.now() + 1500;
    while (performance.now() < end) {
      // Busy.
    }
    const outcome = await pending;
    assert.equal(outcome.t, "prepared");
  } finally {
    preparer.close();
  }
});

Deno.test("CodePreparer.prepare() cancels a job waiting for a thread as soon as its signal aborts", async () => {
  const preparer = new CodePreparer(1);
  try {
    const order: string[] = [];
    const slow = preparer.prepare(SLOW, 60_000).then((outcome) => {
      order.push("slow");
      return outcome;
    });
    const controller = new AbortController();
    const queued = preparer.prepare("1", 60_000, controller.signal).then(
      (outcome) => {
        order.push("queued");
        return outcome;
      },
    );
    controller.abort();
    assert.deepEqual(await queued, { t: "cancelled" });
    assert.equal((await slow).t, "prepared");
    assert.deepEqual(order, ["queued", "slow"]);
  } finally {
    preparer.close();
  }
});

Deno.test("CodePreparer.prepare() gives jobs that arrive together to the thread there is", async () => {
  // A bound no test machine reaches: only a job that really waited grows.
  const preparer = new CodePreparer(4, 60_000);
  try {
    await preparer.warm();
    const outcomes = await Promise.all(
      [1, 2, 3, 4].map((n) => preparer.prepare(`${n} + 1`, 60_000)),
    );
    assert.deepEqual(outcomes.map((o) => o.t === "prepared" && o.result.ok), [
      true,
      true,
      true,
      true,
    ]);
    assert.equal(preparer.threads, 1);
  } finally {
    preparer.close();
  }
});

Deno.test("CodePreparer.prepare() starts another thread for a job stuck behind a slow parse", async () => {
  const preparer = new CodePreparer(2);
  try {
    await preparer.warm();
    const order: string[] = [];
    const slow = preparer.prepare(SLOW, 60_000).then((outcome) => {
      order.push("slow");
      return outcome;
    });
    const quick = preparer.prepare("1 + 1", 60_000).then((outcome) => {
      order.push("quick");
      return outcome;
    });
    const prepared = await quick;
    assert.equal(prepared.t === "prepared" && prepared.result.ok, true);
    assert.equal(preparer.threads, 2);
    assert.equal((await slow).t, "prepared");
    assert.deepEqual(order, ["quick", "slow"]);
  } finally {
    preparer.close();
  }
});

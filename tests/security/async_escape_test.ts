import assert from "node:assert/strict";
import { defineTool } from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { assertFailure, assertResult } from "./_fixtures.ts";

/**
 * How long the test watches for activity after a run has ended. Nothing is
 * expected to happen, so there is no event to wait for instead.
 */
const AFTERMATH_MS = 100;

Deno.test("Broker.execute() ends with the run's own async work", async (t) => {
  let calls: number[] = [];
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: {
      tools: {
        counter: defineTool({
          execute: () => {
            calls.push(performance.now());
            return calls.length;
          },
        }),
      },
    },
  });

  await t.step(
    "Broker.execute() fails a run with an unhandled promise rejection",
    async () => {
      const run = await broker.execute(
        `Promise.reject(new Error("x")); await new Promise((r) => setTimeout(r, 20)); 1`,
      );
      assertFailure(
        run,
        "runtime_error",
        "Unhandled promise rejection: Error: x",
      );
    },
  );

  await t.step(
    "Broker.execute() fails a run whose timer throws",
    async () => {
      const run = await broker.execute(
        `setTimeout(() => { throw new Error("in a timer"); }, 1); await new Promise((r) => setTimeout(r, 20)); 1`,
      );
      assertFailure(run, "runtime_error", "Error: in a timer");
    },
  );

  await t.step(
    "Broker.execute() ignores timers and tool calls that outlive the run",
    async () => {
      calls = [];
      const run = await broker.execute(
        `setTimeout(() => console.log("late"), 30); setInterval(() => tools.counter(), 1); "done"`,
      );
      const resolvedAt = performance.now();
      await new Promise((resolve) => setTimeout(resolve, AFTERMATH_MS));
      assertResult(run, "done");
      assert.deepEqual(run.logs, []);
      assert.deepEqual(calls.filter((at) => at >= resolvedAt), []);
      assert.ok(calls.length <= 1, `${calls.length} calls`);
    },
  );

  await t.step(
    "Broker.execute() stops serving an interval's tool calls when the run ends",
    async () => {
      calls = [];
      const run = await broker.execute(`
        setInterval(() => tools.counter(), 1);
        await new Promise((resolve) => setTimeout(resolve, 20));
        "done"
      `);
      const resolvedAt = performance.now();
      await new Promise((resolve) => setTimeout(resolve, AFTERMATH_MS));
      assertResult(run, "done");
      assert.ok(calls.length > 0, "the interval never called the tool");
      assert.deepEqual(calls.filter((at) => at >= resolvedAt), []);
      assert.equal(run.stats.toolCalls, calls.length);
    },
  );

  await t.step(
    "Broker.execute() ignores a rejection after the run has ended",
    async () => {
      const run = await broker.execute(`
        setTimeout(() => Promise.reject(new Error("late")), 0);
        "done"
      `);
      await new Promise((resolve) => setTimeout(resolve, AFTERMATH_MS));
      assertResult(run, "done");
      assert.deepEqual(run.logs, []);
    },
  );
});

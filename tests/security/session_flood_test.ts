import assert from "node:assert/strict";
import { deferred } from "../_async.ts";
import { defineTool } from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { assertResult } from "./_fixtures.ts";

Deno.test("Broker.execute() refuses a caller's session past sessions.maxPerCaller", async () => {
  await using broker = await createBroker({
    pool: { size: 1 },
    sessions: { maxPerCaller: 3 },
  });
  const code = `await state.set("seen", true); "stored"`;
  for (const session of ["s1", "s2", "s3"]) {
    assertResult(
      await broker.execute(code, { caller: "alice", session }),
      "stored",
    );
  }

  const refused = await broker.execute(code, {
    caller: "alice",
    session: "s4",
  });
  assert.deepEqual(refused.ok ? refused : refused.error, {
    code: "limit_exceeded",
    message:
      'Cannot start session "s4": caller "alice" already has 3 live sessions, the limit of sessions.maxPerCaller',
    limit: "sessions",
  });
  assert.equal(refused.stats.toolCalls, 0);

  // A live session is used again, and another caller has a quota of its own.
  assertResult(
    await broker.execute(`await state.get("seen")`, {
      caller: "alice",
      session: "s1",
    }),
    true,
  );
  assertResult(
    await broker.execute(code, { caller: "bob", session: "s4" }),
    "stored",
  );
});

Deno.test("Broker.execute() allows 100 live sessions per caller by default, queued runs included", async () => {
  const holding = deferred();
  await using broker = await createBroker({
    pool: { size: 1 },
    maxConcurrency: 1,
    maxQueue: 200,
    providers: {
      tools: {
        hold: defineTool({
          execute: (_input, { signal }) =>
            new Promise((resolve) => {
              signal.addEventListener("abort", resolve, { once: true });
              holding.resolve();
            }),
        }),
      },
    },
  });
  const cancel = new AbortController();
  const signal = cancel.signal;
  // One run takes the only slot, so the next hundred wait in the queue.
  const running = broker.execute("await tools.hold()", {
    signal,
    limits: { timeoutMs: 60_000 },
  });
  await holding.promise;
  const queued = Array.from(
    { length: 100 },
    (_, i) =>
      broker.execute("1", { caller: "alice", session: `s${i}`, signal }),
  );
  const refused = await broker.execute("1", {
    caller: "alice",
    session: "s100",
  });
  assert.deepEqual(refused.ok ? refused : refused.error, {
    code: "limit_exceeded",
    message:
      'Cannot start session "s100": caller "alice" already has 100 live sessions, the limit of sessions.maxPerCaller',
    limit: "sessions",
  });
  assert.equal(broker.status().queued, 100);
  cancel.abort();
  const ended = await Promise.all([running, ...queued]);
  assert.deepEqual(
    ended.map((run) => !run.ok && run.error.code),
    Array(101).fill("cancelled"),
  );
});

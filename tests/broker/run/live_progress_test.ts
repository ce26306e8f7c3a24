import assert from "node:assert/strict";
import { deferred } from "../../_async.ts";
import { createBroker, defineTool, type LogEntry } from "../../../mod.ts";

Deno.test("Broker.execute() calls onLog with each entry while the run goes", async () => {
  const seen: LogEntry[] = [];
  const first = deferred<void>();
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: {
      tools: {
        // Answers only once the first entry reached onLog: the run cannot
        // end unless logs arrive while it goes.
        gate: defineTool({ execute: () => first.promise.then(() => "open") }),
      },
    },
  });
  const result = await broker.execute(
    'console.log("first"); console.warn(await tools.gate({})); "done"',
    {
      onLog: (entry) => {
        seen.push(entry);
        first.resolve();
      },
    },
  );
  assert.equal(result.ok && result.result, "done");
  assert.deepEqual(seen, [
    { level: "log", message: "first" },
    { level: "warn", message: "open" },
  ]);
  assert.deepEqual(seen, result.logs);
});

Deno.test("Broker.execute() gives onLog exactly the logs of the result, cut at maxLogBytes", async () => {
  await using broker = await createBroker({ pool: { size: 1 } });
  const seen: LogEntry[] = [];
  const result = await broker.execute(
    'for (let i = 0; i < 50; i++) console.log("x".repeat(40) + i)',
    { limits: { maxLogBytes: 300 }, onLog: (entry) => seen.push(entry) },
  );
  assert.equal(result.ok, true);
  assert.ok(result.logs.length < 50);
  assert.match(result.logs.at(-1)!.message, /truncated/);
  assert.deepEqual(seen, result.logs);
  const bytes = seen.slice(0, -1).reduce(
    (sum, e) => sum + new TextEncoder().encode(e.message).length,
    0,
  );
  assert.ok(bytes <= 300, `${bytes} bytes reached onLog`);
});

Deno.test("Broker.execute() counts tool calls to onToolCallCount and survives observers that throw", async () => {
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: { tools: { one: defineTool({ execute: () => 1 }) } },
  });
  const counts: number[] = [];
  const result = await broker.execute(
    'console.log("a"); let n = 0; for (let i = 0; i < 3; i++) n += await tools.one({}); n',
    {
      onToolCallCount: (n) => {
        counts.push(n);
        throw new Error("observer failed");
      },
      onLog: () => {
        throw new Error("observer failed");
      },
    },
  );
  assert.equal(result.ok && result.result, 3);
  assert.deepEqual(result.logs, [{ level: "log", message: "a" }]);
  assert.deepEqual(counts, [1, 2, 3]);
});

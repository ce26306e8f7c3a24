import assert from "node:assert/strict";
import { z } from "zod";
import { defineTool } from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { assertFailure, assertResult } from "./_fixtures.ts";

const POLLUTING_ARGUMENT =
  `JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}}')`;

function assertNotPolluted(): void {
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.hasOwn(Object.prototype, "polluted"), false);
}

Deno.test("Broker.execute() keeps the tool boundary to plain JSON", async (t) => {
  const received: unknown[] = [];
  let waitStarted = Promise.withResolvers<AbortSignal>();
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: {
      tools: {
        schema: defineTool({
          input: { type: "object" },
          execute: (input) => {
            received.push(input);
            return "received";
          },
        }),
        zod: defineTool({
          input: z.looseObject({}),
          execute: (input) => {
            received.push(input);
            return "received";
          },
        }),
        echo: defineTool({
          execute: (input) => {
            received.push(input);
            return input;
          },
        }),
        wait: defineTool({
          execute: (_input, { signal }) => {
            waitStarted.resolve(signal);
            return new Promise((resolve) =>
              signal.addEventListener("abort", () => resolve("aborted"), {
                once: true,
              })
            );
          },
        }),
      },
    },
  });

  await t.step(
    "Broker.execute() cannot pollute the host's prototypes through a JSON Schema tool's argument",
    async () => {
      received.length = 0;
      const run = await broker.execute(
        `await tools.schema(${POLLUTING_ARGUMENT})`,
      );
      assertResult(run, "received");
      assertNotPolluted();
      const [input] = received as [object];
      assert.equal(Object.getPrototypeOf(input), Object.prototype);
      assert.deepEqual(Object.getOwnPropertyDescriptor(input, "__proto__"), {
        value: { polluted: 1 },
        writable: true,
        enumerable: true,
        configurable: true,
      });
    },
  );

  await t.step(
    "Broker.execute() cannot pollute the host's prototypes through a zod tool's argument",
    async () => {
      received.length = 0;
      const run = await broker.execute(
        `await tools.zod(${POLLUTING_ARGUMENT})`,
      );
      assertResult(run, "received");
      assertNotPolluted();
      const [input] = received as [object];
      assert.equal(Object.getPrototypeOf(input), Object.prototype);
    },
  );

  const unserializable: [string, string, string][] = [
    ["a function", "({ f() {} })", "Cannot serialize a function at result.f"],
    [
      "a symbol",
      `({ s: Symbol("x") })`,
      "Cannot serialize a symbol at result.s",
    ],
    ["a bigint", "({ b: 1n })", "Cannot serialize a bigint at result.b"],
    [
      "a cycle",
      "const o = {}; o.self = o; o",
      "Cannot serialize a cycle at result.self",
    ],
    [
      "a Map",
      "({ m: new Map([[1, 2]]) })",
      "Cannot serialize a Map at result.m (convert it with Object.fromEntries)",
    ],
    [
      "a Set",
      "({ s: new Set([1]) })",
      "Cannot serialize a Set at result.s (convert it with Array.from)",
    ],
    [
      "an un-awaited Promise",
      "({ p: tools.echo({}) })",
      "Cannot serialize a Promise at result.p (is an await missing?)",
    ],
    [
      "a function inside an array under an odd key",
      `({ "a-b": [1, () => 1] })`,
      'Cannot serialize a function at result["a-b"][1]',
    ],
  ];
  for (const [what, code, message] of unserializable) {
    await t.step(
      `Broker.execute() refuses a result holding ${what}`,
      async () => {
        const run = await broker.execute(code);
        assertFailure(run, "serialization_error", message);
      },
    );
  }

  await t.step(
    "Broker.execute() refuses a result nested deeper than the limit",
    async () => {
      const run = await broker.execute(
        `let o = 1; for (let i = 0; i < 200; i++) o = { o }; o`,
      );
      assertFailure(
        run,
        "serialization_error",
        `Cannot serialize a value nested deeper than 128 levels at result${
          ".o".repeat(128)
        }`,
      );
    },
  );

  await t.step(
    "Broker.execute() reports a throwing getter in the result as a serialization_error",
    async () => {
      const run = await broker.execute(
        `({ get secret() { throw new Error("from a getter"); } })`,
      );
      assertFailure(run, "serialization_error", "Error: from a getter");
    },
  );

  await t.step(
    "Broker.execute() cannot corrupt the result's JSON by replacing JSON.stringify",
    async () => {
      const run = await broker.execute(`
        JSON.stringify = () => '{"broken":';
        Array.isArray = () => { throw new Error("replaced"); };
        WeakMap.prototype.get = () => undefined;
        ({ a: [1, { b: "c" }] })
      `);
      assertResult(run, { a: [1, { b: "c" }] });
    },
  );

  await t.step(
    "Broker.execute() refuses a tool argument holding a function",
    async () => {
      received.length = 0;
      const run = await broker.execute(`await tools.echo({ f: () => 1 })`);
      assertFailure(
        run,
        "serialization_error",
        "Cannot serialize a function at input.f (in a call to tools.echo)",
      );
      assert.deepEqual(received, []);
    },
  );

  await t.step({
    name:
      "Broker.execute() refuses an oversized tool argument as a limit, not an internal error",
    fn: async () => {
      received.length = 0;
      const run = await broker.execute(
        `await tools.echo({ s: "x".repeat(2_000_000) }); "sent"`,
      );
      assertFailure(run, "limit_exceeded", /\b2000008 bytes\b/);
      assert.deepEqual(received, []);
    },
  });

  await t.step(
    "Broker.execute() cancels a run in the middle of a tool call and aborts the tool",
    async () => {
      waitStarted = Promise.withResolvers();
      const controller = new AbortController();
      const running = broker.execute(`await tools.wait(); "finished"`, {
        signal: controller.signal,
      });
      const toolSignal = await waitStarted.promise;
      assert.equal(toolSignal.aborted, false);
      controller.abort();
      const run = await running;
      // Checked at once: the tool's signal is aborted before execute resolves.
      assert.equal(toolSignal.aborted, true);
      assertFailure(run, "cancelled", "Run was cancelled");
    },
  );

  await t.step(
    "Broker.execute() aborts a running tool when the run times out",
    async () => {
      waitStarted = Promise.withResolvers();
      const running = broker.execute(`await tools.wait(); "finished"`, {
        limits: { timeoutMs: 300 },
      });
      const toolSignal = await waitStarted.promise;
      const run = await running;
      assert.equal(toolSignal.aborted, true);
      assertFailure(run, "timeout", "Run exceeded the time limit of 300 ms");
    },
  );
});

/**
 * The byte caps on what crosses the boundary through tool calls: each
 * result, all results of a run, each argument. Each test tries to pass one
 * and asserts the exact outcome; none can be caught by guest code.
 */

import assert from "node:assert/strict";
import { defineTool } from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { assertFailure, assertResult } from "./_fixtures.ts";

function bigTools(calls: string[]) {
  return {
    t: {
      blob: defineTool({
        execute: (input: { n: number }) => {
          calls.push(`blob ${input.n}`);
          return "x".repeat(input.n);
        },
      }),
      rows: defineTool({
        execute: (input: { n: number }) => {
          calls.push(`rows ${input.n}`);
          return Array.from({ length: input.n }, (_, id) => ({ id }));
        },
      }),
      accents: defineTool({
        execute: () => {
          calls.push("accents");
          return { s: "é".repeat(10) };
        },
      }),
      echo: defineTool({
        execute: (input: unknown) => {
          calls.push("echo");
          return input;
        },
      }),
    },
  };
}

Deno.test("Broker.execute() ends a run whose tool returns more than maxToolResultBytes, even inside try", async () => {
  const calls: string[] = [];
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: bigTools(calls),
  });
  const run = await broker.execute(
    `
    try {
      await t.blob({ n: 1001 });
    } catch {
      return "caught";
    }
    return "went on";
  `,
    { limits: { maxToolResultBytes: 1000 } },
  );
  assertFailure(
    run,
    "limit_exceeded",
    "Result of t.blob is 1001 bytes, more than the limit of 1000",
  );
  assert.equal(!run.ok && run.error.limit, "maxToolResultBytes");
  assert.deepEqual(calls, ["blob 1001"]);
});

Deno.test("Broker.execute() counts a JSON tool result's UTF-8 bytes against maxToolResultBytes", async () => {
  const calls: string[] = [];
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: bigTools(calls),
  });
  // {"s":"éééééééééé"}: 18 characters, 28 bytes of UTF-8.
  const fits = await broker.execute(`(await t.accents({})).s.length`, {
    limits: { maxToolResultBytes: 28 },
  });
  assertResult(fits, 10);
  const over = await broker.execute(`(await t.accents({})).s.length`, {
    limits: { maxToolResultBytes: 27 },
  });
  assertFailure(
    over,
    "limit_exceeded",
    "Result of t.accents is 28 bytes, more than the limit of 27",
  );
  assert.equal(!over.ok && over.error.limit, "maxToolResultBytes");
  assert.deepEqual(calls, ["accents", "accents"]);
});

Deno.test("Broker.execute() ends a run whose tool results pass maxRunToolResultBytes together", async () => {
  const calls: string[] = [];
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: bigTools(calls),
  });
  const run = await broker.execute(
    `
    let n = 0;
    for (let i = 0; i < 10; i++) {
      try {
        n += (await t.blob({ n: 300 })).length;
      } catch {
        return "caught";
      }
    }
    return n;
  `,
    { limits: { maxRunToolResultBytes: 1000 } },
  );
  assertFailure(
    run,
    "limit_exceeded",
    "Results of tool calls reached 1200 bytes with t.blob, more than the limit of 1000 per run",
  );
  assert.equal(!run.ok && run.error.limit, "maxRunToolResultBytes");
  assert.deepEqual(calls, ["blob 300", "blob 300", "blob 300", "blob 300"]);
});

Deno.test("Broker.execute() ends a run whose tool argument is over the per-call cap though the log bound is larger", async () => {
  const calls: string[] = [];
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: bigTools(calls),
  });
  // The frame bound is max(maxResultBytes, 3 × maxLogBytes): 196,624 here.
  const run = await broker.execute(
    `
    try {
      await t.echo({ s: "x".repeat(100_000) });
    } catch {
      return "caught";
    }
    return "went on";
  `,
    { limits: { maxResultBytes: 65_536, maxLogBytes: 65_536 } },
  );
  assertFailure(
    run,
    "limit_exceeded",
    "Tool call argument is 100008 bytes, more than the limit of 65536",
  );
  assert.equal(!run.ok && run.error.limit, "toolArgumentBytes");
  assert.deepEqual(calls, []);
});

Deno.test("Broker.execute() delivers a string tool result as itself, whatever it holds", async () => {
  const text = 'quotes " and \\ backslashes\n, "{}", 🦕, \u2028, ' +
    "\u0000 and \ud800 alone";
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: {
      t: {
        text: defineTool({ execute: () => text }),
        empty: defineTool({ execute: () => "" }),
        json: defineTool({ execute: () => '{"a":1}' }),
      },
    },
  });
  const run = await broker.execute(`
    const a = await t.text({});
    const b = await t.empty({});
    const c = await t.json({});
    [a, typeof b, b.length, typeof c, c]
  `);
  // The one with a lone surrogate (no UTF-8 form) travels as JSON, intact.
  assertResult(run, [
    text,
    "string",
    0,
    "string",
    '{"a":1}',
  ]);
});

Deno.test("Broker.execute() parses a JSON tool result even when the guest plants text on Object.prototype", async () => {
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: {
      t: {
        obj: defineTool({ execute: () => ({ a: [1, 2] }) }),
        str: defineTool({ execute: () => "[1,2]" }),
      },
    },
  });
  const run = await broker.execute(`
    Object.defineProperty(Object.prototype, "text", {
      get() { return true; },
      configurable: true,
    });
    const a = await t.obj({});
    const b = await t.str({});
    [typeof a, Array.isArray(a.a), typeof b]
  `);
  assertResult(run, ["object", true, "string"]);
});

/**
 * Large arrays crossing the boundary in pieces (protocol 4): a tool result
 * sent to the guest in pieces, and a result the guest returns. The guest's
 * sabotage of intrinsics changes nothing in how the pieces are put together,
 * and every byte cap means what it means for a value sent whole.
 */

import assert from "node:assert/strict";
import { defineTool } from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { assertFailure, assertResult } from "./_fixtures.ts";

// 20,000 rows of about 100 bytes: 2 MB of JSON, sent in pieces.
function rowsOf(n: number) {
  return Array.from(
    { length: n },
    (_, id) => ({ id, tag: id % 7, payload: "x".repeat(70) }),
  );
}
const ROWS = rowsOf(20_000);
const ROWS_BYTES = new TextEncoder().encode(JSON.stringify(ROWS)).length;

function rowsTools(calls: string[]) {
  return {
    t: {
      rows: defineTool({
        execute: () => {
          calls.push("rows");
          return ROWS;
        },
      }),
      broken: defineTool({
        execute: () => {
          calls.push("broken");
          const rows: unknown[] = rowsOf(20_000);
          rows[15_000] = { id: 15_000, f: () => 1 };
          return rows;
        },
      }),
    },
  };
}

Deno.test("Broker.execute() assembles a tool result sent in pieces whatever intrinsics the guest replaced", async () => {
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: rowsTools([]),
  });
  const run = await broker.execute(`
    let hits = 0;
    const trap = () => { hits++; throw new Error("trap"); };
    for (const proto of [Array.prototype, Object.prototype]) {
      for (const index of ["0", "1", "2", "5000", "19999"]) {
        Object.defineProperty(proto, index, {
          configurable: true,
          get() { hits++; return "planted"; },
          set(v) { hits++; },
        });
      }
    }
    Object.defineProperty(Array.prototype, "length", { value: 0, writable: true });
    JSON.parse = trap;
    Array.prototype.push = trap;
    Array.prototype.concat = trap;
    Array.prototype.slice = trap;
    Array.prototype.constructor = trap;
    Array.prototype[Symbol.iterator] = trap;
    Array.isArray = trap;
    Object.setPrototypeOf = trap;
    Object.defineProperty = trap;
    Reflect.apply = trap;
    Map.prototype.get = trap;
    Map.prototype.set = trap;
    Map.prototype.delete = trap;
    Function.prototype.call = trap;
    Function.prototype.apply = trap;
    const r = await t.rows({});
    let ids = 0;
    for (let i = 0; i < r.length; i++) ids += r[i].id === i ? 1 : 0;
    return [r.length, ids, r[19999].payload.length, hits,
      Object.getPrototypeOf(r) === Array.prototype,
      Object.getOwnPropertyNames(r).length];
  `);
  assertResult(run, [20_000, 20_000, 70, 0, true, 20_001]);
});

Deno.test("Broker.execute() counts a tool result sent in pieces against maxToolResultBytes: at the cap it passes, one byte over it ends the run", async () => {
  const calls: string[] = [];
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: rowsTools(calls),
  });
  const code = `
    try {
      const r = await t.rows({});
      return [r.length, r[19999].id];
    } catch {
      return "caught";
    }
  `;
  const at = await broker.execute(code, {
    limits: { maxToolResultBytes: ROWS_BYTES },
  });
  assertResult(at, [20_000, 19_999]);
  const over = await broker.execute(code, {
    limits: { maxToolResultBytes: ROWS_BYTES - 1 },
  });
  assertFailure(
    over,
    "limit_exceeded",
    `Result of t.rows is ${ROWS_BYTES} bytes, more than the limit of ${
      ROWS_BYTES - 1
    }`,
  );
  assert.equal(!over.ok && over.error.limit, "maxToolResultBytes");
  assert.deepEqual(calls, ["rows", "rows"]);
});

Deno.test("Broker.execute() counts tool results sent in pieces against maxRunToolResultBytes, even sent at the same time", async () => {
  const calls: string[] = [];
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: rowsTools(calls),
  });
  const code = `
    try {
      const [a, b] = await Promise.all([t.rows({}), t.rows({})]);
      return a.length + b.length;
    } catch {
      return "caught";
    }
  `;
  const at = await broker.execute(code, {
    limits: { maxRunToolResultBytes: 2 * ROWS_BYTES },
  });
  assertResult(at, 40_000);
  const over = await broker.execute(code, {
    limits: { maxRunToolResultBytes: 2 * ROWS_BYTES - 1 },
  });
  assertFailure(
    over,
    "limit_exceeded",
    /^Results of tool calls reached \d+ bytes with t\.rows, more than the limit of \d+ per run$/,
  );
  assert.equal(!over.ok && over.error.limit, "maxRunToolResultBytes");
});

Deno.test("Broker.execute() fails only the call whose array has a bad element after pieces were sent", async () => {
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: rowsTools([]),
  });
  const run = await broker.execute(`
    let message;
    try {
      await t.broken({});
    } catch (error) {
      message = error.message;
    }
    const r = await t.rows({});
    return [message, r.length];
  `);
  assertResult(run, [
    "Tool returned a value that is not JSON: Cannot serialize a function at result[15000].f",
    20_000,
  ]);
});

Deno.test("Broker.execute() counts a result the guest returns in pieces against maxResultBytes: at the cap it passes, one byte over it ends the run", async () => {
  await using broker = await createBroker({ pool: { size: 1 } });
  const code = `return Array.from({ length: 20000 },
    (_, id) => ({ id, tag: id % 7, payload: "x".repeat(70) }));`;
  const at = await broker.execute(code, {
    limits: { maxResultBytes: ROWS_BYTES },
  });
  assertResult(at, ROWS);
  const over = await broker.execute(code, {
    limits: { maxResultBytes: ROWS_BYTES - 1 },
  });
  assertFailure(
    over,
    "limit_exceeded",
    new RegExp(
      `^Result reached ${ROWS_BYTES} bytes in \\d+ pieces, more than the limit of ${
        ROWS_BYTES - 1
      }$`,
    ),
  );
  assert.equal(!over.ok && over.error.limit, "maxResultBytes");
});

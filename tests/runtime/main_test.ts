/**
 * The runtime's main thread reads stdin into 1 MiB slabs and hands views of
 * them on: payloads that span several slabs and pipe reads, several in flight
 * at once, must reach guest code byte for byte, and a large result must come
 * back whole.
 */

import assert from "node:assert/strict";
import { createBroker, defineTool } from "../../mod.ts";

const MIB = 1024 * 1024;

// Text whose multi-byte sequences (2, 3 and 4 bytes) fall across every kind
// of boundary: 7 bytes per repeat, so no read size lines up with them.
function mixed(bytes: number): string {
  return "aé€🦕".repeat(Math.ceil(bytes / 10)).slice(0, Math.ceil(bytes / 3));
}

Deno.test("runtimeMain() delivers payloads larger than a slab intact, in sequence and at once", async () => {
  const texts = [mixed(3 * MIB), mixed(1 * MIB + 7), mixed(65_537), mixed(5)];
  const rows = Array.from({ length: 30_000 }, (_, id) => ({
    id,
    name: `row-${id} 🦕`,
    tag: id % 10,
  }));
  await using broker = await createBroker({
    pool: { size: 1 },
    limits: {
      memoryMb: 256,
      maxResultBytes: 64 * MIB,
      maxToolResultBytes: 64 * MIB,
    },
    providers: {
      t: {
        text: defineTool({
          execute: (input: { i: number }) => texts[input.i],
        }),
        rows: defineTool({ execute: () => rows }),
      },
    },
  });
  const run = await broker.execute(`
    const one = [];
    for (let i = 0; i < 4; i++) one.push(await t.text({ i }));
    const all = await Promise.all([
      t.rows({}), t.text({ i: 0 }), t.text({ i: 2 }), t.rows({}), t.text({ i: 1 }),
    ]);
    return { one, all };
  `);
  assert.equal(run.ok, true, JSON.stringify(!run.ok && run.error));
  assert.ok(run.ok);
  const { one, all } = run.result as { one: string[]; all: unknown[] };
  assert.equal(one.length, 4);
  one.forEach((text, i) => assert.ok(text === texts[i], `text ${i}`));
  assert.deepEqual(all[0], rows);
  assert.ok(all[1] === texts[0]);
  assert.ok(all[2] === texts[2]);
  assert.deepEqual(all[3], rows);
  assert.ok(all[4] === texts[1]);
});

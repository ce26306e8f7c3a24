/**
 * Learned return types are shared by every caller of a broker, and kept in a
 * file: only type names and key names may enter them, a hostile result can
 * neither grow them without bound nor break the call, and a hostile file
 * cannot write into the declarations.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { z } from "zod";
import {
  defineTool,
  FileShapeStore,
  MemoryShapeStore,
  type Providers,
} from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { LearnedTypes } from "../../broker/types/learned_types.ts";

const SECRET = `sk-${crypto.randomUUID()}`;

// Returns whatever the guest passes as `value`.
const providers: Providers = {
  api: {
    echo: defineTool({
      description: "Returns the value it is given",
      input: z.object({ value: z.unknown() }),
      execute: ({ value }) => value,
    }),
    contacts: defineTool({
      description: "Lists the contacts",
      execute: () => ({
        token: SECRET,
        owner: "ada@example.com",
        byEmail: {
          "ada@example.com": { phone: "+44 20 7946 0958", pin: 4321 },
          "bob@example.com": { phone: "+1 202 555 0143", pin: 1234 },
        },
        byDay: { "2026-03-01": 3 },
      }),
    }),
  },
};

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("A tool's values and data keys never reach the shape file or the declarations", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "shapes.json");
    await using broker = await createBroker({
      providers,
      pool: { size: 1 },
      inference: { store: new FileShapeStore({ file }) },
    });
    const run = await broker.execute(`(await api.contacts()).token`);
    assert.equal(run.ok && run.result, SECRET); // the guest sees it; the store must not
    await broker.close();
    const stored = await Deno.readTextFile(file);
    const types = broker.types();
    for (
      const leak of [
        SECRET,
        "ada@example.com",
        "bob@example.com",
        "7946",
        "4321",
        "2026-03-01",
      ]
    ) {
      assert.equal(stored.includes(leak), false, leak);
      assert.equal(types.includes(leak), false, leak);
    }
    assert.match(
      types,
      /Promise<\{ token: string; owner: string; byEmail: Record<string, \{ phone: string; pin: number \}>; byDay: Record<string, number> \}>/,
    );
  });
});

Deno.test("A key that holds a broker secret makes its object a Record", async () => {
  const written: unknown[] = [];
  const store = new MemoryShapeStore();
  const learned = new LearnedTypes({
    store: {
      get: (key) => store.get(key),
      set: (key, value) => {
        written.push(value);
        return store.set(key, value);
      },
    },
    secrets: ["letmein_please"],
  });
  const tool = learned.wrap("api", {
    name: "leaky",
    inputSchema: { type: "object" },
    call: () => Promise.resolve({ letmein_please: 1, name: "x" }),
  });
  await tool.call({}, { signal: new AbortController().signal, log: () => {} });
  await learned.close();
  const [info] = learned.annotate([{
    namespace: "api",
    name: "leaky",
    originalName: "leaky",
    inputSchema: { type: "object" },
  }]);
  assert.equal(info!.inferredOutputType, "Record<string, string | number>");
  assert.equal(written.length, 1);
  assert.equal(JSON.stringify(written).includes("letmein"), false);
});

Deno.test("A hostile result cannot grow the learned type without bound", async () => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  // 40 x 40 named keys: within the values examined, past the nodes a type keeps.
  const run = await broker.execute(`
    const wide = (n, leaf) => Object.fromEntries(Array.from({ length: n }, (_, i) => ["k" + i, leaf()]));
    await api.echo({ value: wide(40, () => wide(40, () => 1)) });
    // Nested past the depth cap, many times over.
    let deep = 1;
    for (let i = 0; i < 60; i++) deep = { next: deep };
    for (let c = 0; c < 20; c++) await api.echo({ value: { k0: deep } });
    return "done";
  `);
  assert.equal(run.ok && run.result, "done", JSON.stringify(run));
  const declaration = broker.types().split("\n").find((line) =>
    line.includes("function echo(")
  )!;
  assert.equal(declaration.length < 2_000, true, `${declaration.length}`);
  assert.match(
    declaration,
    /Promise<\{ k0: unknown; k1\?: unknown; k2\?: unknown;/,
  );
});

Deno.test("A hostile shape file cannot write into the declarations", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "shapes.json");
    {
      await using broker = await createBroker({
        providers,
        pool: { size: 1 },
        inference: { store: new FileShapeStore({ file }) },
      });
      await broker.execute(`await api.echo({ value: { a: 1 } })`);
    }
    const { shapes } = JSON.parse(await Deno.readTextFile(file));
    const [key] = Object.keys(shapes);
    const injected =
      "a: 1 }>; } declare function pwn(): void; declare namespace x { //";
    for (
      const shape of [
        { object: [{ key: injected, shape: { string: true } }] },
        { object: [{ key: "a", shape: { string: true }, text: injected }] },
        { string: injected },
        { object: [{ key: "a", shape: { [injected]: true } }] },
      ]
    ) {
      await Deno.writeTextFile(
        file,
        JSON.stringify({ version: 1, shapes: { [key!]: shape } }),
      );
      await using broker = await createBroker({
        providers,
        pool: { size: 0 },
        inference: { store: new FileShapeStore({ file }) },
      });
      const types = broker.types();
      assert.equal(types.includes("pwn"), false, JSON.stringify(shape));
      assert.match(
        types,
        /function echo\(input: \{ value: unknown \}\): Promise<unknown>;/,
      );
    }
  });
});

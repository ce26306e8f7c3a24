import assert from "node:assert/strict";
import { join } from "node:path";
import { z } from "zod";
import {
  Broker,
  createBroker,
  defineTool,
  FileShapeStore,
  MemoryShapeStore,
  type Providers,
  type ShapeStore,
} from "../../../mod.ts";
import { deferred } from "../../_async.ts";

// Returns whatever the guest passes as `value`: the guest chooses the shape.
function echoProviders(
  description = "Returns the value it is given",
): Providers {
  return {
    api: {
      echo: defineTool({
        description,
        input: z.object({ value: z.unknown() }),
        execute: ({ value }) => value,
      }),
      typed: defineTool({
        description: "Has an output schema",
        output: z.object({ n: z.number() }),
        execute: () => ({ n: 1 }),
      }),
    },
  };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function echoDeclaration(broker: { types(): string }): string {
  return broker.types().split("\n").slice(1, 4).join("\n");
}

Deno.test("Broker.types() shows the return type learned from a host tool's results", async () => {
  await using broker = await createBroker({
    providers: echoProviders(),
    pool: { size: 1 },
  });
  assert.equal(
    echoDeclaration(broker),
    "  /** Returns the value it is given */\n" +
      "  function echo(input: { value: unknown }): Promise<unknown>;\n" +
      "  /** Has an output schema */",
  );
  const run = await broker.execute(`
    await api.echo({ value: { id: 1, name: "a", tags: ["x"] } });
    await api.echo({ value: { id: 2, owner: { login: "ada" } } });
    await api.typed({});
    return "done";
  `);
  assert.equal(run.ok, true);
  assert.equal(
    echoDeclaration(broker),
    "  /** Returns the value it is given\n" +
      "   * Return type inferred from results. */\n" +
      "  function echo(input: { value: unknown }): Promise<{ id: number; name?: string; tags?: string[]; owner?: { login: string } }>;",
  );
  // A tool with an output schema keeps its schema's type.
  assert.match(
    broker.types(),
    /function typed\(input\?: Record<string, unknown>\): Promise<\{ n: number \}>;/,
  );
  const [echo, typed] = broker.tools();
  assert.equal(
    echo!.inferredOutputType,
    "{ id: number; name?: string; tags?: string[]; owner?: { login: string } }",
  );
  assert.equal(typed!.inferredOutputType, undefined);
  const [match] = broker.searchTools("value it is given", { detail: "full" });
  assert.match(
    match!.declaration!,
    /Return type inferred from results\. \*\/\n/,
  );
  assert.match(match!.declaration!, /Promise<\{ id: number; name\?: string;/);
});

Deno.test("Broker.types() text stays the same while the shape does", async () => {
  await using broker = await createBroker({
    providers: echoProviders(),
    pool: { size: 1 },
  });
  await broker.execute(`await api.echo({ value: [{ a: 1 }] })`);
  const first = broker.types();
  await broker.execute(
    `for (let i = 0; i < 5; i++) await api.echo({ value: [{ a: i }, { a: 7 }] })`,
  );
  assert.equal(broker.types(), first);
  await broker.execute(`await api.echo({ value: "text" })`);
  assert.match(broker.types(), /Promise<\{ a: number \}\[\] \| string>/);
});

Deno.test("Learned types survive a restart through a FileShapeStore, and a changed tool starts over", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "shapes.json");
    {
      await using broker = await createBroker({
        providers: echoProviders(),
        pool: { size: 1 },
        inference: { store: new FileShapeStore({ file }) },
      });
      const run = await broker.execute(
        `await api.echo({ value: { total: 3 } })`,
      );
      assert.equal(run.ok, true);
    }
    {
      // A new broker over the same file knows the type before any call.
      await using broker = await createBroker({
        providers: echoProviders(),
        pool: { size: 0 },
        inference: { store: new FileShapeStore({ file }) },
      });
      assert.match(broker.types(), /Promise<\{ total: number \}>/);
    }
    {
      // Another description is another tool.
      await using broker = await createBroker({
        providers: echoProviders("Returns the value, changed"),
        pool: { size: 0 },
        inference: { store: new FileShapeStore({ file }) },
      });
      assert.match(
        broker.types(),
        /function echo\(input: \{ value: unknown \}\): Promise<unknown>;/,
      );
    }
  });
});

Deno.test("inference: { enabled: false } records nothing and keeps Promise<unknown>", async () => {
  const writes: string[] = [];
  const store: ShapeStore = {
    get: () => Promise.resolve(undefined),
    set: (key) => {
      writes.push(key);
      return Promise.resolve();
    },
  };
  await using broker = await createBroker({
    providers: echoProviders(),
    pool: { size: 1 },
    inference: { enabled: false, store },
  });
  const run = await broker.execute(`await api.echo({ value: { a: 1 } })`);
  assert.equal(run.ok, true);
  assert.match(
    broker.types(),
    /function echo\(input: \{ value: unknown \}\): Promise<unknown>;/,
  );
  assert.equal(broker.tools()[0]!.inferredOutputType, undefined);
  assert.deepEqual(writes, []);
});

Deno.test("A failing shape store never fails a call: the error goes to onError", async () => {
  const errors: string[] = [];
  const store: ShapeStore = {
    get: () => Promise.reject(new Error("store down (get)")),
    set: () => Promise.reject(new Error("store down (set)")),
  };
  await using broker = await createBroker({
    providers: echoProviders(),
    pool: { size: 1 },
    inference: { store, onError: (error) => errors.push(error.message) },
  });
  const run = await broker.execute(`(await api.echo({ value: { a: 1 } })).a`);
  assert.deepEqual(run.ok && run.result, 1);
  await broker.close(); // waits for the write
  assert.deepEqual(errors, ["store down (get)", "store down (set)"]);
  // Learned in memory all the same.
  assert.match(broker.types(), /Promise<\{ a: number \}>/);
});

Deno.test("A shape store that never answers does not hold up a call", async () => {
  const release = deferred();
  let sets = 0;
  const store: ShapeStore = {
    get: () => Promise.resolve(undefined),
    set: async () => {
      sets++;
      await release.promise;
    },
  };
  await using broker = await createBroker({
    providers: echoProviders(),
    pool: { size: 1 },
    inference: { store },
  });
  const run = await broker.execute(
    `(await api.echo({ value: [1, 2] })).length`,
    {
      limits: { timeoutMs: 5_000 },
    },
  );
  assert.deepEqual(run.ok && run.result, 2);
  assert.equal(sets, 1);
  release.resolve();
});

Deno.test("A call made before the stored shape is loaded merges with it", async () => {
  const store = new MemoryShapeStore();
  {
    await using broker = await createBroker({
      providers: echoProviders(),
      pool: { size: 0 },
      inference: { store },
    });
    await broker.execute(`await api.echo({ value: { a: 1 } })`);
  }
  const loaded = deferred();
  const slow: ShapeStore = {
    get: async (key) => {
      await loaded.promise;
      return await store.get(key);
    },
    set: (key, value) => store.set(key, value),
  };
  // Not createBroker: it would wait for the load.
  await using broker = new Broker({
    providers: echoProviders(),
    pool: { size: 0 },
    inference: { store: slow },
  });
  const run = await broker.execute(`await api.echo({ value: { b: "x" } })`);
  assert.equal(run.ok, true);
  assert.match(broker.types(), /Promise<unknown>/);
  loaded.resolve();
  await broker.ready();
  await broker.close();
  const expected = /Promise<\{ a\?: number; b\?: string \}>/;
  assert.match(broker.types(), expected);
  // What the store holds now has both keys too.
  await using after = await createBroker({
    providers: echoProviders(),
    pool: { size: 0 },
    inference: { store },
  });
  assert.match(after.types(), expected);
});

Deno.test("A settled type is checked on one result in 16", async () => {
  await using broker = await createBroker({
    providers: echoProviders(),
    pool: { size: 1 },
  });
  const calls = (n: number, value: string) =>
    broker.execute(
      `for (let i = 0; i < ${n}; i++) await api.echo({ value: ${value} })`,
    );
  // 1 call learns, 16 more settle it, the 18th is the first sample.
  assert.equal((await calls(18, "{ a: 1 }")).ok, true);
  assert.equal((await calls(15, "{ a: 1, b: 2 }")).ok, true);
  assert.match(broker.types(), /Promise<\{ a: number \}>/);
  // The next sample sees the new key, and every result counts again.
  assert.equal((await calls(1, "{ a: 1, b: 2 }")).ok, true);
  assert.match(broker.types(), /Promise<\{ a: number; b\?: number \}>/);
  assert.equal((await calls(1, "{ a: 1, c: 3 }")).ok, true);
  assert.match(
    broker.types(),
    /Promise<\{ a: number; b\?: number; c\?: number \}>/,
  );
});

Deno.test("Brokers sharing one ShapeStore merge what each learned, and show what the other learned", async () => {
  const store = new MemoryShapeStore();
  await using a = await createBroker({
    providers: echoProviders(),
    pool: { size: 1 },
    inference: { store },
  });
  await using b = await createBroker({
    providers: echoProviders(),
    pool: { size: 1 },
    inference: { store },
  });
  const ra = await a.execute(`await api.echo({ value: { id: 1 } }); 1`);
  assert.equal(ra.ok, true);
  // b has not read the store since a wrote: it learns another key, and its
  // write merges a's instead of replacing it.
  const rb = await b.execute(`await api.echo({ value: { name: "x" } }); 1`);
  assert.equal(rb.ok, true);
  const union = "Promise<{ id?: number; name?: string }>";
  let seen = "";
  for (let i = 0; i < 50 && !seen.includes(union); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    seen = echoDeclaration(a);
  }
  assert.ok(seen.includes(union), seen);
});

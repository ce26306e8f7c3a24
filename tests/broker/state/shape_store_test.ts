import assert from "node:assert/strict";
import { join } from "node:path";
import { ExecboxError } from "../../../broker/errors.ts";
import { FileShapeStore } from "../../../broker/state/shape_file_store.ts";
import {
  MemoryShapeStore,
  type ShapeStore,
} from "../../../broker/state/shape_store.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (
  const [name, make] of [
    ["MemoryShapeStore", () => Promise.resolve(new MemoryShapeStore())],
  ] as const
) {
  Deno.test(`${name} gets what was set, as a copy`, async () => {
    const store: ShapeStore = await make();
    const value = { object: [{ key: "a", shape: { string: true } }] };
    await store.set("k", value);
    value.object.length = 0;
    assert.deepEqual(await store.get("k"), {
      object: [{ key: "a", shape: { string: true } }],
    });
    assert.equal(await store.get("other"), undefined);
  });
}

Deno.test("FileShapeStore keeps shapes across instances in a 0600 file", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "state", "shapes.json");
    const before = new FileShapeStore({ file });
    assert.equal(await before.get("k"), undefined);
    await before.set("k", { number: true });
    await before.set("j", { string: true });
    await before.close();
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(join(dir, "state"))).mode! & 0o777, 0o700);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(file)), {
      version: 1,
      shapes: { k: { number: true }, j: { string: true } },
    });

    const after = new FileShapeStore({ file });
    assert.deepEqual(await after.get("k"), { number: true });
    assert.deepEqual(await after.get("j"), { string: true });
    await after.close();
  });
});

Deno.test("FileShapeStore lands every one of many concurrent writes and leaves no temporary file", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "shapes.json");
    const store = new FileShapeStore({ file });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.set(`k${i}`, { null: true })),
    );
    await store.close();
    const { shapes } = JSON.parse(await Deno.readTextFile(file));
    assert.equal(Object.keys(shapes).length, 20);
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, ["shapes.json"]);
  });
});

Deno.test("FileShapeStore reads a damaged file as empty and replaces it", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "shapes.json");
    for (const text of ["{not json", "[]", '{"version":2,"shapes":{}}']) {
      await Deno.writeTextFile(file, text);
      const store = new FileShapeStore({ file });
      assert.equal(await store.get("k"), undefined);
      await store.set("k", { boolean: true });
      await store.close();
      assert.deepEqual(
        await new FileShapeStore({ file }).get("k"),
        { boolean: true },
      );
    }
  });
});

Deno.test("FileShapeStore fails when it cannot reach its file with an error that names no path", async () => {
  await withTempDir(async (dir) => {
    const blocker = join(dir, "not-a-dir");
    await Deno.writeTextFile(blocker, "");
    const store = new FileShapeStore({ file: join(blocker, "shapes.json") });
    await assert.rejects(
      () => store.set("k", { string: true }),
      (error: unknown) => {
        assert.ok(error instanceof ExecboxError);
        assert.equal(error.code, "internal_error");
        assert.match(error.message, /^Cannot read the shape file: ENOTDIR$/);
        return true;
      },
    );
    await store.close();
  });
});

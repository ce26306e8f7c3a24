/**
 * The contract every `KeyValueStore` keeps, run against each implementation
 * by `key_value_store_test.ts`.
 */

import assert from "node:assert/strict";
import {
  type KeyValueStore,
  updateKey,
} from "../../../broker/store/key_value_store.ts";

/** What the contract needs from one implementation. */
export interface ContractSubject {
  /** Two handles on one fresh, empty store (two replicas for Redis). */
  open(): Promise<{ a: KeyValueStore; b: KeyValueStore } & AsyncDisposable>;
  /** Lets `ms` milliseconds pass for the store's expiry. */
  advance(ms: number): Promise<void>;
  ignore?: boolean;
}

/** Registers the contract's tests for one implementation. */
export function storeContract(name: string, subject: ContractSubject): void {
  const test = (
    what: string,
    fn: (a: KeyValueStore, b: KeyValueStore) => Promise<void>,
  ) =>
    Deno.test({
      name: `${name} ${what}`,
      ignore: subject.ignore ?? false,
      fn: async () => {
        await using stores = await subject.open();
        await fn(stores.a, stores.b);
      },
    });

  test("reads an absent key as undefined", async (a) => {
    assert.equal(await a.get("nope"), undefined);
    assert.equal(await a.delete("nope"), false);
  });

  test(
    "sets, overwrites (last write wins) and deletes, seen by the other handle",
    async (a, b) => {
      await a.set("k", "1");
      assert.equal(await b.get("k"), "1");
      await b.set("k", "2");
      assert.equal(await a.get("k"), "2");
      assert.equal(await b.delete("k"), true);
      assert.equal(await a.get("k"), undefined);
    },
  );

  test("keeps any string exactly", async (a, b) => {
    const value = 'é\u0000"\n{} ' + "x".repeat(10_000);
    await a.set("odd key:é/..", value);
    assert.equal(await b.get("odd key:é/.."), value);
  });

  test("lists keys by prefix, sorted, without other prefixes", async (a, b) => {
    for (const key of ["s:b", "s:a", "t:a", "s*x", "s:c"]) {
      await a.set(key, "v");
    }
    assert.deepEqual(await b.list("s:"), ["s:a", "s:b", "s:c"]);
    assert.deepEqual(await b.list("s*"), ["s*x"]);
    assert.deepEqual(await b.list("none:"), []);
  });

  test("expires a key after its ttlMs", async (a, b) => {
    await a.set("short", "v", { ttlMs: 100 });
    await a.set("long", "v", { ttlMs: 3_600_000 });
    await a.set("forever", "v");
    assert.equal(await b.get("short"), "v");
    await subject.advance(150);
    assert.equal(await b.get("short"), undefined);
    assert.deepEqual(await b.list(""), ["forever", "long"]);
  });

  test("compareAndSet writes only over the expected value", async (a, b) => {
    assert.equal(await a.compareAndSet("c", undefined, "1"), true);
    assert.equal(await b.compareAndSet("c", undefined, "2"), false);
    assert.equal(await b.compareAndSet("c", "0", "2"), false);
    assert.equal(await a.get("c"), "1");
    assert.equal(await b.compareAndSet("c", "1", "2"), true);
    assert.equal(await a.get("c"), "2");
    assert.equal(await a.compareAndSet("c", "2", undefined), true);
    assert.equal(await b.get("c"), undefined);
  });

  test("compareAndSet with keepTtl keeps the expiry", async (a, b) => {
    await a.set("t", "1", { ttlMs: 100 });
    assert.equal(await b.compareAndSet("t", "1", "2", { keepTtl: true }), true);
    assert.equal(await a.get("t"), "2");
    await subject.advance(150);
    assert.equal(await a.get("t"), undefined);
  });

  test("updateKey from two handles at once loses no update", async (a, b) => {
    const bump = (store: KeyValueStore) =>
      updateKey(store, "n", (n) => String(Number(n ?? 0) + 1));
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => bump(i % 2 === 0 ? a : b)),
    );
    assert.equal(await a.get("n"), "40");
  });

  test("reports its status", (a) => {
    assert.equal(a.status().up, true);
    return Promise.resolve();
  });
}

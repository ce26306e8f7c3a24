import assert from "node:assert/strict";
import { createPieceAssembler } from "../../runtime/piece_assembler.ts";

Deno.test("createPieceAssembler() appends each piece's elements in order", () => {
  const pieces = createPieceAssembler();
  pieces.add(7, '[{"id":0},[1,[2]]]');
  pieces.add(7, '["three"]');
  const value = pieces.finish(7, "[null,4]", 3);
  assert.deepEqual(value, [{ id: 0 }, [1, [2]], "three", null, 4]);
  assert.equal(Object.getPrototypeOf(value), Array.prototype);
  assert.ok(Array.isArray(value));
});

Deno.test("createPieceAssembler() keeps the results of two calls apart", () => {
  const pieces = createPieceAssembler();
  pieces.add(1, "[1]");
  pieces.add(2, "[2]");
  pieces.add(1, "[11]");
  assert.deepEqual(pieces.finish(2, "[22]", 2), [2, 22]);
  assert.deepEqual(pieces.finish(1, "[111]", 3), [1, 11, 111]);
});

Deno.test("createPieceAssembler() takes empty pieces and a result in one piece", () => {
  const pieces = createPieceAssembler();
  pieces.add(1, "[]");
  assert.deepEqual(pieces.finish(1, "[1]", 2), [1]);
  assert.deepEqual(pieces.finish(2, "[]", 1), []);
});

Deno.test("createPieceAssembler() refuses a broken piece, a wrong count and dropped pieces", () => {
  const pieces = createPieceAssembler();
  pieces.add(1, '{"a":1}');
  assert.equal(
    pieces.finish(1, "[1]", 2),
    "Tool result arrived as a broken piece of an array",
  );
  pieces.add(2, "[1");
  assert.equal(
    pieces.finish(2, "[2]", 2),
    "Tool result arrived as a broken piece of an array",
  );
  pieces.add(3, "[1]");
  assert.equal(
    pieces.finish(3, "[2]", 3),
    "Tool result arrived in 2 pieces, expected 3",
  );
  pieces.add(4, "[1]");
  pieces.drop(4);
  assert.equal(
    pieces.finish(4, "[2]", 2),
    "Tool result arrived in 1 pieces, expected 2",
  );
});

Deno.test("createPieceAssembler() is not affected by intrinsics replaced after it was made", () => {
  const pieces = createPieceAssembler();
  let hits = 0;
  let value: unknown;
  const saved = {
    parse: JSON.parse,
    push: Array.prototype.push,
    iterator: Array.prototype[Symbol.iterator],
    setPrototypeOf: Object.setPrototypeOf,
    apply: Reflect.apply,
    get: Map.prototype.get,
    set: Map.prototype.set,
  };
  const trap = () => {
    hits++;
    throw new Error("replaced intrinsic called");
  };
  const protos = [Array.prototype, Object.prototype];
  const indices = ["1", "2", "3"];
  for (const proto of protos) {
    for (const index of indices) {
      Object.defineProperty(proto, index, {
        configurable: true,
        set() {
          hits++;
        },
      });
    }
  }
  // No assertions, no for...of until all is restored: they use these too.
  try {
    JSON.parse = trap;
    Array.prototype.push = trap;
    Array.prototype[Symbol.iterator] = trap;
    Object.setPrototypeOf = trap;
    Reflect.apply = trap;
    Map.prototype.get = trap;
    Map.prototype.set = trap;
    pieces.add(1, '[{"a":1},{"a":2}]');
    value = pieces.finish(1, '[{"a":3},{"a":4}]', 2);
  } finally {
    JSON.parse = saved.parse;
    Array.prototype.push = saved.push;
    Array.prototype[Symbol.iterator] = saved.iterator;
    Object.setPrototypeOf = saved.setPrototypeOf;
    Reflect.apply = saved.apply;
    Map.prototype.get = saved.get;
    Map.prototype.set = saved.set;
    for (const proto of protos) {
      for (const index of indices) {
        delete (proto as unknown as Record<string, unknown>)[index];
      }
    }
  }
  assert.equal(hits, 0);
  assert.deepEqual(value, [{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }]);
  assert.equal(Object.getPrototypeOf(value), Array.prototype);
});

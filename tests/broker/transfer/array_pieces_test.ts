import assert from "node:assert/strict";
import { ExecboxError } from "../../../mod.ts";
import { arrayPieces } from "../../../broker/transfer/array_pieces.ts";
import { PIECES_FROM_BYTES } from "../../../runtime/protocol.ts";

const decoder = new TextDecoder();

function texts(value: unknown, fromBytes = 1, pieceBytes = 64): string[] {
  const pieces = arrayPieces(value, { fromBytes, pieceBytes });
  assert.ok(pieces !== undefined);
  const out: string[] = [];
  const lasts: boolean[] = [];
  for (const piece of pieces) {
    out.push(decoder.decode(piece.bytes));
    lasts.push(piece.last);
  }
  assert.deepEqual(lasts, out.map((_, i) => i === out.length - 1));
  return out;
}

function join(pieces: string[]): string {
  return `[${pieces.map((p) => p.slice(1, -1)).join(",")}]`;
}

Deno.test("arrayPieces() joined is the array's JSON byte for byte", () => {
  const value = Array.from(
    { length: 500 },
    (_, id) => ({ id, s: "é".repeat(id % 9), n: [id, [id]] }),
  );
  const pieces = texts(value);
  assert.ok(pieces.length > 10);
  assert.equal(join(pieces), JSON.stringify(value));
  for (const piece of pieces) assert.ok(JSON.parse(piece).length >= 1);
});

Deno.test("arrayPieces() sizes pieces near pieceBytes from what it measured", () => {
  const value = Array.from(
    { length: 2000 },
    (_, id) => ({ id, s: "x".repeat(90) }),
  );
  const pieces = texts(value, 1, 10_000);
  for (const piece of pieces.slice(0, -1)) {
    assert.ok(piece.length > 8_000 && piece.length < 12_000, `${piece.length}`);
  }
});

Deno.test("arrayPieces() keeps nested arrays, holes and undefined as JSON does", () => {
  // deno-lint-ignore no-sparse-arrays
  const value = [[1, [2]], , undefined, null, [[]], "]", { a: [3] }];
  assert.equal(join(texts(value, 1, 1)), JSON.stringify(value));
});

Deno.test("arrayPieces() puts at least one element in a piece, however large", () => {
  const value = ["b".repeat(1000), "a", "c"];
  assert.deepEqual(texts(value, 1, 10).map((t) => JSON.parse(t)), [
    ["b".repeat(1000)],
    ["a"],
    ["c"],
  ]);
});

Deno.test("arrayPieces() leaves non-arrays, small arrays and arrays with toJSON whole", () => {
  const rows = Array.from({ length: 10 }, (_, id) => ({ id }));
  assert.equal(arrayPieces({ rows }, { fromBytes: 1 }), undefined);
  assert.equal(arrayPieces("x".repeat(2_000_000), { fromBytes: 1 }), undefined);
  assert.equal(arrayPieces([], { fromBytes: 1 }), undefined);
  assert.equal(arrayPieces([rows], { fromBytes: 1 }), undefined);
  assert.equal(arrayPieces(rows, { fromBytes: 1_000 }), undefined);
  const own = Object.assign([1, 2, 3], { toJSON: () => "x" });
  assert.equal(arrayPieces(own, { fromBytes: 1 }), undefined);
  // The default: an 11 MB array goes in pieces, 100 KB does not.
  const big = Array.from(
    { length: 100_000 },
    (_, id) => ({ id, s: "x".repeat(100) }),
  );
  assert.ok(arrayPieces(big) !== undefined);
  assert.ok(JSON.stringify(big.slice(0, 900)).length < PIECES_FROM_BYTES);
  assert.equal(arrayPieces(big.slice(0, 900)), undefined);
});

Deno.test("arrayPieces() names a bad element by its index in the whole array", () => {
  const value: unknown[] = Array.from({ length: 200 }, (_, id) => ({ id }));
  value[150] = { f: () => 1 };
  const pieces = arrayPieces(value, { fromBytes: 1, pieceBytes: 100 })!;
  assert.throws(() => [...pieces], (error) => {
    assert.ok(error instanceof ExecboxError);
    assert.equal(error.code, "tool_error");
    assert.equal(
      error.message,
      "Tool returned a value that is not JSON: Cannot serialize a function at result[150].f",
    );
    return true;
  });
  // A bad element among the first ones: the whole array travels, and fails.
  value[1] = 1n;
  assert.equal(arrayPieces(value, { fromBytes: 1 }), undefined);
});

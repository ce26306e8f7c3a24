import assert from "node:assert/strict";
import { splitArrayJson } from "../../runtime/array_splitter.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function split(json: string, fromBytes: number, pieceBytes: number): string[] {
  return [...splitArrayJson(encoder.encode(json), fromBytes, pieceBytes)].map(
    (piece) => decoder.decode(piece),
  );
}

// Joins pieces back into one array's text, as the broker counts them.
function join(pieces: string[]): string {
  return `[${pieces.map((p) => p.slice(1, -1)).join(",")}]`;
}

Deno.test("splitArrayJson() cuts only at top-level commas", () => {
  const value = [1, "a,b", [2, 3], { c: "]," }, '\\",[', null, [[{}]], "é,🦕"];
  const json = JSON.stringify(value);
  const pieces = split(json, 1, 1);
  assert.deepEqual(pieces.map((p) => JSON.parse(p)), value.map((v) => [v]));
  assert.equal(join(pieces), json);
});

Deno.test("splitArrayJson() makes pieces of at least pieceBytes, each a JSON array", () => {
  const value = Array.from({ length: 1000 }, (_, id) => ({ id, s: "x" }));
  const json = JSON.stringify(value);
  const pieces = split(json, 1000, 2000);
  assert.ok(pieces.length > 1);
  for (const piece of pieces.slice(0, -1)) assert.ok(piece.length >= 2000);
  assert.deepEqual(pieces.flatMap((p) => JSON.parse(p)), value);
  assert.equal(join(pieces), json);
});

Deno.test("splitArrayJson() leaves short text and non-arrays whole, and one element in one piece", () => {
  assert.deepEqual(split("[1,2,3]", 100, 1), []);
  assert.deepEqual(split('{"a":[1,2,3]}', 1, 1), []);
  assert.deepEqual(split('"[1,2]"', 1, 1), []);
  assert.deepEqual(split("", 0, 1), []);
  const one = `[${JSON.stringify("x,".repeat(99))}]`;
  assert.deepEqual(split(one, 1, 1), [one]);
  assert.deepEqual(split("[[1,2,3]]", 1, 1), ["[[1,2,3]]"]);
  assert.deepEqual(split("[1,2,3]", 1, 100), ["[1,2,3]"]);
});

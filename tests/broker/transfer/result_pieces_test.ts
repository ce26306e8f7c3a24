import assert from "node:assert/strict";
import { ResultPieces } from "../../../broker/transfer/result_pieces.ts";
import { parsePayload } from "../../../broker/run/payload.ts";

const enc = (text: string) => new TextEncoder().encode(text);

Deno.test("ResultPieces joins the pieces' elements in order", () => {
  const pieces = new ResultPieces(1000, parsePayload);
  assert.equal(pieces.add(enc('[1,{"a":[2]}]')), undefined);
  assert.equal(pieces.add(enc('["3"]')), undefined);
  assert.deepEqual(pieces.finish(enc("[[4]]"), 3), {
    result: [1, { a: [2] }, "3", [4]],
  });
});

Deno.test("ResultPieces counts the array's JSON bytes: exactly at the cap passes, one over does not", () => {
  // [1,22,333] is 10 bytes; the pieces [1] [22] [333] are 12.
  const at = new ResultPieces(10, parsePayload);
  at.add(enc("[1]"));
  at.add(enc("[22]"));
  assert.deepEqual(at.finish(enc("[333]"), 3), { result: [1, 22, 333] });
  const over = new ResultPieces(9, parsePayload);
  over.add(enc("[1]"));
  over.add(enc("[22]"));
  assert.deepEqual(over.finish(enc("[333]"), 3), {
    code: "limit_exceeded",
    message: "Result reached 10 bytes in 3 pieces, more than the limit of 9",
    limit: "maxResultBytes",
  });
});

Deno.test("ResultPieces refuses pieces that are not non-empty arrays, too deep, or miscounted", () => {
  const cases: [string[], number, string][] = [
    [['{"a":1}', "[1]"], 2, "piece 1 is not a non-empty array"],
    [["[]", "[1]"], 2, "piece 1 is not a non-empty array"],
    [["[1]", "2"], 2, "piece 2 is not a non-empty array"],
    [["[1", "[2]"], 2, "piece 1: "],
    [["[1]", "[2]"], 3, "2 pieces, announced 3"],
    [["[1]", "[2]"], 1, "2 pieces, announced 1"],
    [
      ["[1]", "[" + "[".repeat(200) + "]".repeat(200) + "]"],
      2,
      "piece 2: value nested deeper than 128 levels",
    ],
  ];
  for (const [texts, announced, message] of cases) {
    const pieces = new ResultPieces(1_000_000, parsePayload);
    let outcome;
    for (let i = 0; i < texts.length - 1 && outcome === undefined; i++) {
      outcome = pieces.add(enc(texts[i]!));
    }
    outcome ??= pieces.finish(enc(texts.at(-1)!), announced);
    assert.ok(!("result" in outcome), texts.join(" "));
    assert.equal(outcome.code, "internal_error");
    assert.ok(
      outcome.message.startsWith(`Runtime sent a bad result: ${message}`),
      outcome.message,
    );
  }
});

Deno.test("ResultPieces frees each piece's bytes once read", () => {
  const pieces = new ResultPieces(10_000_000, parsePayload);
  const bytes = enc(`[${"1,".repeat(50_000)}1]`);
  assert.equal(pieces.add(bytes), undefined);
  assert.equal(bytes.length, 0);
});

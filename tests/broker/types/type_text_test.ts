import assert from "node:assert/strict";
import {
  atomType,
  intersectionType,
  literalType,
  nestedType,
  NEVER_TYPE,
  propertyKey,
  unionType,
  UNKNOWN_TYPE,
} from "../../../broker/types/type_text.ts";

Deno.test("atomType() returns the shared unknown and never types", () => {
  assert.equal(atomType("unknown"), UNKNOWN_TYPE);
  assert.equal(atomType("never"), NEVER_TYPE);
  assert.deepEqual(atomType("string[]"), { text: "string[]", kind: "atom" });
});

Deno.test("literalType() renders JSON values as literal types", () => {
  assert.deepEqual(
    [
      "a\nb",
      -1.5,
      1e21,
      true,
      null,
      [],
      {},
      { "a b": [1, { c: "d" }] },
    ].map((value) => literalType(value).text),
    [
      '"a\\nb"',
      "-1.5",
      "1e+21",
      "true",
      "null",
      "[]",
      "{}",
      '{ "a b": [1, { c: "d" }] }',
    ],
  );
});

Deno.test("literalType() renders values that are not JSON as wider types", () => {
  assert.equal(literalType(NaN).text, "number");
  assert.equal(literalType(Infinity).text, "number");
  assert.equal(literalType(undefined).text, "unknown");
  assert.equal(literalType(() => 1).text, "unknown");
});

Deno.test("literalType() stops at unknown past 32 levels", () => {
  let value: unknown = 1;
  for (let i = 0; i < 40; i++) value = [value];
  assert.equal(
    literalType(value).text,
    `${"[".repeat(32)}unknown${"]".repeat(32)}`,
  );
});

Deno.test("unionType() flattens, drops duplicates and never", () => {
  const ab = unionType([atomType('"a"'), atomType('"b"')]);
  assert.deepEqual(
    unionType([ab, NEVER_TYPE, atomType('"b"'), atomType("null")]),
    {
      text: '"a" | "b" | null',
      kind: "union",
      members: ['"a"', '"b"', "null"],
    },
  );
});

Deno.test("unionType() is unknown with an unknown member and never with none", () => {
  assert.equal(unionType([atomType("string"), UNKNOWN_TYPE]), UNKNOWN_TYPE);
  assert.equal(unionType([]), NEVER_TYPE);
  assert.equal(unionType([NEVER_TYPE]), NEVER_TYPE);
  assert.deepEqual(unionType([atomType("string"), atomType("string")]), {
    text: "string",
    kind: "atom",
  });
});

Deno.test("intersectionType() drops unknown and duplicates, parenthesising unions", () => {
  const aOrB = unionType([atomType("{ a: 1 }"), atomType("{ b: 2 }")]);
  assert.deepEqual(
    intersectionType([
      atomType("{ c: 3 }"),
      UNKNOWN_TYPE,
      aOrB,
      atomType("{ c: 3 }"),
    ]),
    { text: "{ c: 3 } & ({ a: 1 } | { b: 2 })", kind: "intersection" },
  );
});

Deno.test("intersectionType() is never with a never part and unknown with none", () => {
  assert.equal(intersectionType([atomType("string"), NEVER_TYPE]), NEVER_TYPE);
  assert.equal(intersectionType([]), UNKNOWN_TYPE);
  assert.equal(intersectionType([UNKNOWN_TYPE]), UNKNOWN_TYPE);
});

Deno.test("nestedType() parenthesises unions and intersections only", () => {
  const union = unionType([atomType("string"), atomType("number")]);
  const both = intersectionType([atomType("{ a: 1 }"), atomType("{ b: 2 }")]);
  assert.deepEqual(
    [atomType("string"), union, both].map(nestedType),
    ["string", "(string | number)", "({ a: 1 } & { b: 2 })"],
  );
});

Deno.test("propertyKey() quotes names that are not ASCII identifiers", () => {
  assert.deepEqual(
    ["owner", "$x", "_1", "class", "x-id", "1st", "", "é", 'a"b'].map(
      propertyKey,
    ),
    ["owner", "$x", "_1", "class", '"x-id"', '"1st"', '""', '"é"', '"a\\"b"'],
  );
});

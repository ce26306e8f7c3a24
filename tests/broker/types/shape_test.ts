import assert from "node:assert/strict";
import {
  isNameKey,
  mergeShapes,
  parseShape,
  type Shape,
  shapeOf,
  shapeToType,
} from "../../../broker/types/shape.ts";

function typeOf(value: unknown): string {
  return shapeToType(shapeOf(value)).text;
}

function typeOfAll(...values: unknown[]): string {
  const shape = values.map((v) => shapeOf(v)).reduce((a, b) =>
    mergeShapes(a, b)
  );
  return shapeToType(shape).text;
}

Deno.test("shapeOf() gives the types of primitives as JSON carries them", () => {
  assert.deepEqual(
    ["a", 1, true, null, undefined, NaN, Infinity].map(typeOf),
    ["string", "number", "boolean", "null", "undefined", "null", "null"],
  );
  assert.equal(typeOf(10n), "unknown");
  assert.equal(typeOf(Symbol("s")), "unknown");
  assert.equal(typeOf(() => 1), "unknown");
});

Deno.test("shapeOf() keeps key names and never a value", () => {
  const shape = shapeOf({ token: "sk-live-1234", nested: { pin: 4321 } });
  const text = JSON.stringify(shape);
  assert.equal(text.includes("sk-live-1234"), false);
  assert.equal(text.includes("4321"), false);
  assert.equal(
    shapeToType(shape).text,
    "{ token: string; nested: { pin: number } }",
  );
});

Deno.test("shapeOf() leaves out members JSON leaves out, and writes null in arrays", () => {
  assert.equal(typeOf({ a: 1, b: undefined, c: () => 1 }), "{ a: number }");
  assert.equal(typeOf([undefined]), "null[]");
});

Deno.test("shapeOf() makes objects that are not plain unknown", () => {
  assert.equal(typeOf(new Date(0)), "unknown");
  assert.equal(typeOf({ when: new Map() }), "{ when: unknown }");
  assert.equal(typeOf(Object.create(null)), "{}");
});

Deno.test("shapeOf() merges array elements: optional keys and unions", () => {
  assert.equal(
    typeOf([{ id: 1, name: "a" }, { id: "2" }, { id: 3, tags: [] }]),
    "{ id: string | number; name?: string; tags?: unknown[] }[]",
  );
  assert.equal(typeOf([1, "a", null]), "(string | number | null)[]");
  assert.equal(typeOf([]), "unknown[]");
  assert.equal(typeOf([[1], ["a"]]), "(string | number)[][]");
});

Deno.test("isNameKey() tells names from data by the issue's rules", () => {
  for (const key of ["id", "created_at", "x-request-id", "$ref", "A1", "é"]) {
    assert.equal(isNameKey(key), true, key);
  }
  for (
    const key of [
      "",
      "ada@example.com",
      "src/main.ts",
      "C:\\dir",
      "two words",
      "tab\there",
      "line\u2028break",
      "12345",
      "2026-01-01",
      "1.2.3.4",
      "a".repeat(65),
      "0f8fad5b-d9cb-469f-a165-70867728950e",
      "id-0f8fad5b-d9cb-469f-a165-70867728950e",
      "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    ]
  ) {
    assert.equal(isNameKey(key), false, key);
  }
  assert.equal(isNameKey("a".repeat(64)), true);
});

Deno.test("shapeOf() collapses an object with a data key to a Record", () => {
  assert.equal(
    typeOf({ "ada@example.com": { age: 36 }, "bob@example.com": { age: 40 } }),
    "Record<string, { age: number }>",
  );
  assert.equal(
    typeOf({ "2026-01-01": 3, "2026-01-02": "n/a" }),
    "Record<string, string | number>",
  );
  // One data key is enough: the names beside it are not kept either.
  const shape = shapeOf({ total: 1, "ada@example.com": "x" });
  assert.equal(JSON.stringify(shape).includes("total"), false);
  assert.equal(shapeToType(shape).text, "Record<string, string | number>");
});

Deno.test("shapeOf() collapses an object of more than 50 keys to a Record", () => {
  const fifty = Object.fromEntries(
    Array.from({ length: 50 }, (_, i) => [`k${i}`, i]),
  );
  assert.equal(typeOf(fifty).startsWith("{ k0: number; k1: number;"), true);
  assert.equal(typeOf({ ...fifty, k50: 1 }), "Record<string, number>");
});

Deno.test("mergeShapes() turns an object into a Record when the keys seen pass 50", () => {
  const half = (from: number) =>
    Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`k${from + i}`, true]),
    );
  assert.equal(typeOfAll(half(0), half(30)), "Record<string, boolean>");
  assert.equal(
    typeOfAll({ a: 1 }, { "x@y": "s" }),
    "Record<string, string | number>",
  );
});

Deno.test("mergeShapes() makes keys seen in some results optional", () => {
  assert.equal(
    typeOfAll({ a: 1, b: "x" }, { a: 2 }, { a: 3, c: null }),
    "{ a: number; b?: string; c?: null }",
  );
  // Once optional, always optional.
  assert.equal(typeOfAll({ a: 1 }, {}, { a: 1 }), "{ a?: number }");
});

Deno.test("mergeShapes() unions differing types, objects and arrays first", () => {
  assert.equal(
    typeOfAll("x", 1, null, [true], { ok: true }),
    "{ ok: boolean } | boolean[] | string | number | null",
  );
  assert.equal(typeOfAll(undefined, "x"), "string | undefined");
});

Deno.test("mergeShapes() is stable: the same results give the same text", () => {
  const a = typeOfAll({ x: 1 }, { x: 1, y: "a" });
  const b = typeOfAll({ x: 1, y: "a" }, { x: 1 }, { x: 2, y: "b" });
  assert.equal(a, "{ x: number; y?: string }");
  assert.equal(b, "{ x: number; y?: string }");
  const one = shapeOf({ x: 1 });
  assert.deepEqual(mergeShapes(one, one), one);
});

Deno.test("mergeShapes() with unknown is unknown", () => {
  assert.equal(typeOfAll(new Date(0), { a: 1 }), "unknown");
  assert.equal(typeOfAll({ a: 1 }, { a: new Date(0) }), "{ a: unknown }");
});

Deno.test("shapeOf() says unknown past the depth cap", () => {
  let value: unknown = "leaf";
  for (let i = 0; i < 10; i++) value = { a: value };
  assert.equal(typeOf(value), "{ a: ".repeat(6) + "unknown" + " }".repeat(6));
  assert.equal(
    shapeToType(shapeOf(value, { maxDepth: 2 })).text,
    "{ a: { a: unknown } }",
  );
});

Deno.test("shapeOf() examines a bounded number of values", () => {
  // Only the first elements are looked at.
  const big = Array.from({ length: 100_000 }, (_, i) => i < 10 ? 1 : "s");
  assert.equal(shapeToType(shapeOf(big, { maxElements: 10 })).text, "number[]");
  // Past the value budget, what is left is unknown.
  const wide = { a: 1, b: 2, c: { d: 1 } };
  assert.equal(
    shapeToType(shapeOf(wide, { maxValues: 3 })).text,
    "{ a: number; b: number; c: unknown }",
  );
  // An array past the budget keeps the elements it has seen.
  assert.equal(
    shapeToType(shapeOf([1, "a"], { maxValues: 2 })).text,
    "number[]",
  );
});

Deno.test("mergeShapes() cuts a shape past the node cap to a smaller depth", () => {
  const results = Array.from({ length: 40 }, (_, i) => ({
    [`f${i}`]: { a: 1, b: { c: 2 } },
  }));
  const type = typeOfAll(...results);
  assert.equal(type.startsWith("{ f0?: unknown; f1?: unknown;"), true);
  const small = shapeToType(
    mergeShapes(shapeOf({ a: { b: 1 } }), shapeOf({ a: { c: 1 } }), {
      maxNodes: 3,
    }),
  ).text;
  assert.equal(small, "{ a: unknown }");
});

Deno.test("shapeToType() quotes keys that are not identifiers", () => {
  assert.equal(
    typeOf(JSON.parse('{ "x-id": 1, "__proto__": "p", "a.b": true }')),
    '{ "x-id": number; __proto__: string; "a.b": boolean }',
  );
});

Deno.test("parseShape() reads back what shapeOf() made", () => {
  const shape = mergeShapes(
    shapeOf({ a: [1, { b: "x" }], c: { "d@e": null } }),
    shapeOf({ z: true }),
  );
  assert.deepEqual(parseShape(JSON.parse(JSON.stringify(shape))), shape);
});

Deno.test("parseShape() refuses anything that is not a shape", () => {
  const bad: unknown[] = [
    null,
    "string",
    [],
    { string: "yes" },
    { other: true },
    { object: [{ key: "a b", shape: { string: true } }] }, // a data key
    { object: [{ key: "a", shape: { string: true }, value: "secret" }] },
    { object: [{ key: "a", shape: {} }, { key: "a", shape: {} }] },
    { object: [], record: {} },
    { array: { array: "x" } },
    { object: "a" },
  ];
  for (const value of bad) {
    assert.equal(parseShape(value), undefined, JSON.stringify(value));
  }
  let deep: Shape = { string: true };
  for (let i = 0; i < 20; i++) deep = { array: deep };
  assert.equal(parseShape(deep), undefined);
});

Deno.test("shapeOf() keeps an array of unknown elements an array", () => {
  assert.equal(typeOf([new Date(0)]), "unknown[]");
  assert.equal(typeOf({ a: [() => 1, 1] }), "{ a: (number | null)[] }");
});

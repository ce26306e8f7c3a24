import assert from "node:assert/strict";
import {
  acceptsNoInput,
  schemaToType,
} from "../../../broker/types/schema_to_type.ts";
import type { JsonSchema } from "../../../broker/tools/info.ts";

function check(schema: unknown, expected: string): void {
  assert.equal(schemaToType(schema as JsonSchema), expected);
}

Deno.test("schemaToType() renders primitive types, integer as number", () => {
  check({ type: "string" }, "string");
  check({ type: "number" }, "number");
  check({ type: "integer" }, "number");
  check({ type: "boolean" }, "boolean");
  check({ type: "null" }, "null");
});

Deno.test("schemaToType() renders an empty or unknown schema as unknown", () => {
  check({}, "unknown");
  check({ type: "whatever" }, "unknown");
  check({ description: "anything", minimum: 1 }, "unknown");
  check({ not: { type: "string" } }, "unknown");
});

Deno.test("schemaToType() renders boolean subschemas as unknown and never", () => {
  check({ type: "array", items: true }, "unknown[]");
  check({ anyOf: [false, { type: "string" }] }, "string");
  check({ allOf: [false] }, "never");
});

Deno.test("schemaToType() keeps enums as literal unions", () => {
  check({ type: "string", enum: ["open", "closed"] }, '"open" | "closed"');
  check(
    { enum: [1, 2.5, -3, true, null, 'a"b'] },
    '1 | 2.5 | -3 | true | null | "a\\"b"',
  );
  check({ enum: [] }, "never");
});

Deno.test("schemaToType() keeps const, including objects and arrays", () => {
  check({ const: "issue" }, '"issue"');
  check({ const: 0 }, "0");
  check({ const: null }, "null");
  check(
    { const: { kind: "x", "a-b": [1, {}] } },
    '{ kind: "x"; "a-b": [1, {}] }',
  );
});

Deno.test("schemaToType() renders anyOf, oneOf and type arrays as unions", () => {
  check({ anyOf: [{ type: "string" }, { type: "number" }] }, "string | number");
  check({ oneOf: [{ type: "string" }, { type: "null" }] }, "string | null");
  check({ type: ["string", "null"] }, "string | null");
  check({ type: ["integer", "number"] }, "number");
});

Deno.test("schemaToType() flattens nested unions and drops duplicates", () => {
  check(
    {
      anyOf: [{ enum: ["a", "b"] }, {
        anyOf: [{ const: "b" }, { type: "null" }],
      }],
    },
    '"a" | "b" | null',
  );
});

Deno.test("schemaToType() makes a union with unknown unknown", () => {
  check({ anyOf: [{ type: "string" }, {}] }, "unknown");
});

Deno.test("schemaToType() adds null for OpenAPI nullable", () => {
  check({ type: "string", nullable: true }, "string | null");
});

Deno.test("schemaToType() renders objects with optional members", () => {
  check(
    {
      type: "object",
      properties: { a: { type: "string" }, b: { type: "number" } },
      required: ["a"],
    },
    "{ a: string; b?: number }",
  );
});

Deno.test("schemaToType() renders nested objects", () => {
  check(
    {
      type: "object",
      properties: {
        user: {
          type: "object",
          properties: { login: { type: "string" }, id: { type: "integer" } },
          required: ["login"],
        },
      },
      required: ["user"],
    },
    "{ user: { login: string; id?: number } }",
  );
});

Deno.test("schemaToType() infers an object from properties without type", () => {
  check({ properties: { a: { type: "string" } } }, "{ a?: string }");
});

Deno.test("schemaToType() quotes property names that are not identifiers", () => {
  check(
    {
      type: "object",
      properties: { "x-id": { type: "string" }, "1st": {}, $ok: {}, class: {} },
      required: ["x-id"],
    },
    '{ "x-id": string; "1st"?: unknown; $ok?: unknown; class?: unknown }',
  );
});

Deno.test("schemaToType() lists required names missing from properties as unknown", () => {
  check({ type: "object", required: ["id"] }, "{ id: unknown }");
});

Deno.test("schemaToType() renders an object without properties as a record or {}", () => {
  check({ type: "object" }, "Record<string, unknown>");
  check({ type: "object", properties: {} }, "{}");
  check({ type: "object", additionalProperties: false }, "{}");
  check(
    { type: "object", additionalProperties: true },
    "Record<string, unknown>",
  );
});

Deno.test("schemaToType() renders additionalProperties alone as Record", () => {
  check(
    { type: "object", additionalProperties: { type: "string" } },
    "Record<string, string>",
  );
  check(
    { additionalProperties: { type: "array", items: { type: "number" } } },
    "Record<string, number[]>",
  );
  check(
    { type: "object", patternProperties: { "^x-": { type: "string" } } },
    "Record<string, string>",
  );
});

Deno.test("schemaToType() adds an index signature beside properties", () => {
  check(
    {
      type: "object",
      properties: { a: { type: "string" }, b: { type: "number" } },
      required: ["a"],
      additionalProperties: { type: "boolean" },
    },
    "{ a: string; b?: number; [key: string]: boolean | string | number | undefined }",
  );
});

Deno.test("schemaToType() leaves out an index signature of unknown beside properties", () => {
  check(
    {
      type: "object",
      properties: { a: { type: "string" } },
      additionalProperties: {},
    },
    "{ a?: string }",
  );
});

Deno.test("schemaToType() renders arrays, with parentheses around unions", () => {
  check({ type: "array", items: { type: "string" } }, "string[]");
  check({ type: "array" }, "unknown[]");
  check(
    { type: "array", items: { type: ["string", "number"] } },
    "(string | number)[]",
  );
  check({ type: "array", items: { enum: ["a", "b"] } }, '("a" | "b")[]');
  check(
    { type: "array", items: { type: "array", items: { type: "number" } } },
    "number[][]",
  );
  check({ items: { type: "string" } }, "string[]");
});

Deno.test("schemaToType() renders arrays of objects", () => {
  check(
    {
      type: "array",
      items: {
        type: "object",
        properties: { name: { type: "string" } },
        required: ["name"],
      },
    },
    "{ name: string }[]",
  );
});

Deno.test("schemaToType() renders prefixItems as a tuple", () => {
  check(
    { type: "array", prefixItems: [{ type: "number" }, { type: "number" }] },
    "[number, number]",
  );
  check(
    {
      type: "array",
      prefixItems: [{ type: "string" }],
      items: { type: "number" },
    },
    "[string, ...number[]]",
  );
  check(
    { type: "array", prefixItems: [{ type: "string" }], items: false },
    "[string]",
  );
});

Deno.test("schemaToType() makes tuple elements past minItems optional", () => {
  check(
    {
      type: "array",
      prefixItems: [{ type: "string" }, { type: ["number", "null"] }],
      minItems: 1,
    },
    "[string, (number | null)?]",
  );
});

Deno.test("schemaToType() renders draft 7 array items as a tuple", () => {
  check(
    { type: "array", items: [{ type: "string" }, { type: "boolean" }] },
    "[string, boolean]",
  );
  check(
    {
      type: "array",
      items: [{ type: "string" }],
      additionalItems: { type: "number" },
    },
    "[string, ...number[]]",
  );
});

Deno.test("schemaToType() renders allOf as an intersection", () => {
  check(
    {
      allOf: [
        {
          type: "object",
          properties: { a: { type: "string" } },
          required: ["a"],
        },
        { type: "object", properties: { b: { type: "number" } } },
      ],
    },
    "{ a: string } & { b?: number }",
  );
});

Deno.test("schemaToType() parenthesises a union inside an intersection", () => {
  check(
    {
      type: "object",
      properties: { a: { type: "string" } },
      anyOf: [
        { properties: { b: { const: 1 } }, required: ["b"] },
        { properties: { c: { const: 2 } }, required: ["c"] },
      ],
    },
    "{ a?: string } & ({ b: 1 } | { c: 2 })",
  );
  check(
    {
      type: "array",
      items: { allOf: [{ properties: { a: {} } }, { properties: { b: {} } }] },
    },
    "({ a?: unknown } & { b?: unknown })[]",
  );
});

Deno.test("schemaToType() ignores anyOf branches that only list required names", () => {
  check(
    {
      type: "object",
      properties: { id: { type: "string" }, slug: { type: "string" } },
      anyOf: [{ required: ["id"] }, { required: ["slug"] }],
    },
    "{ id?: string; slug?: string }",
  );
});

Deno.test("schemaToType() inlines local $refs", () => {
  check(
    {
      type: "object",
      properties: {
        user: { $ref: "#/$defs/User" },
        team: { $ref: "#/definitions/Team" },
      },
      required: ["user"],
      $defs: {
        User: {
          type: "object",
          properties: { login: { type: "string" } },
          required: ["login"],
        },
      },
      definitions: { Team: { enum: ["a", "b"] } },
    },
    '{ user: { login: string }; team?: "a" | "b" }',
  );
});

Deno.test("schemaToType() resolves escaped JSON pointers", () => {
  check(
    {
      $ref: "#/$defs/a~1b/properties/c~0d",
      $defs: { "a/b": { properties: { "c~d": { type: "boolean" } } } },
    },
    "boolean",
  );
  check(
    { $ref: "#/$defs/a%20b", $defs: { "a b": { type: "string" } } },
    "string",
  );
});

Deno.test("schemaToType() renders an unresolvable $ref as unknown", () => {
  check({ $ref: "#/$defs/Missing" }, "unknown");
  check({ $ref: "https://example.com/schema.json" }, "unknown");
  check({ $ref: "#/$defs/%E0%A4%A", $defs: {} }, "unknown");
});

Deno.test("schemaToType() stops a recursive $ref at unknown", () => {
  check(
    {
      $ref: "#/$defs/Node",
      $defs: {
        Node: {
          type: "object",
          properties: {
            name: { type: "string" },
            children: { type: "array", items: { $ref: "#/$defs/Node" } },
          },
          required: ["name"],
        },
      },
    },
    "{ name: string; children?: unknown[] }",
  );
  check(
    { type: "object", properties: { next: { $ref: "#" } } },
    "{ next?: { next?: unknown } }",
  );
});

Deno.test("schemaToType() stops at unknown in very deep schemas", () => {
  let schema: Record<string, unknown> = { type: "string" };
  for (let i = 0; i < 100; i++) schema = { type: "array", items: schema };
  assert.equal(schemaToType(schema), `unknown${"[]".repeat(32)}`);
});

Deno.test("schemaToType() bounds the text that shared $refs expand to", () => {
  const $defs: Record<string, unknown> = { d0: { type: "string" } };
  for (let i = 1; i <= 30; i++) {
    $defs[`d${i}`] = {
      type: "object",
      properties: {
        a: { $ref: `#/$defs/d${i - 1}` },
        b: { $ref: `#/$defs/d${i - 1}` },
      },
    };
  }
  const text = schemaToType({ $ref: "#/$defs/d30", $defs });
  assert.ok(text.length < 200_000, `${text.length} characters`);
  assert.ok(text.includes("unknown"));
});

Deno.test("schemaToType() drops validation keywords from undescribed properties", () => {
  check(
    {
      type: "object",
      properties: {
        when: { type: "string", format: "date-time" },
        n: { type: "integer", minimum: 1, maximum: 100, default: 30 },
      },
    },
    "{ when?: string; n?: number }",
  );
});

Deno.test("schemaToType() writes a property's description as one-line JSDoc", () => {
  check(
    {
      type: "object",
      properties: {
        q: { type: "string", description: "Words to find,\n  in any   order" },
        n: {
          type: "integer",
          description: "Page size",
          minimum: 1,
          maximum: 100,
          default: 30,
        },
        at: { type: "string", description: "When", format: "date-time" },
      },
      required: ["q"],
    },
    "{ /** Words to find, in any order */ q: string; " +
      "/** Page size (minimum: 1, maximum: 100, default: 30) */ n?: number; " +
      '/** When (format: "date-time") */ at?: string }',
  );
});

Deno.test("schemaToType() escapes */ in a property's description", () => {
  check(
    {
      type: "object",
      properties: { a: { type: "string", description: "ends */ here" } },
    },
    "{ /** ends *\\/ here */ a?: string }",
  );
});

Deno.test("schemaToType() escapes */ in a noted keyword's value", () => {
  check(
    {
      type: "object",
      properties: {
        a: { type: "string", description: "Glob", default: "**/*/" },
      },
    },
    '{ /** Glob (default: "**\\/*\\/") */ a?: string }',
  );
});

Deno.test("schemaToType() takes a property's description from its $ref", () => {
  check(
    {
      type: "object",
      properties: { id: { $ref: "#/$defs/Id" } },
      $defs: { Id: { type: "string", description: "Issue id" } },
    },
    "{ /** Issue id */ id?: string }",
  );
});

Deno.test("schemaToType() ignores a blank description", () => {
  check(
    {
      type: "object",
      properties: { a: { type: "string", description: "  \n " } },
    },
    "{ a?: string }",
  );
});

Deno.test("acceptsNoInput() is true for empty schemas and objects that require nothing", () => {
  for (
    const schema of [
      {},
      { type: "object" },
      { type: "object", properties: { a: { type: "string" } } },
      { type: ["object", "null"] },
      { $ref: "#/$defs/A", $defs: { A: { type: "object" } } },
    ]
  ) {
    assert.equal(acceptsNoInput(schema), true, JSON.stringify(schema));
  }
});

Deno.test("acceptsNoInput() is false when a property is required or the input is not an object", () => {
  for (
    const schema of [
      { type: "object", required: ["a"] },
      { type: "string" },
      { allOf: [{ type: "object", required: ["a"] }] },
      { $ref: "#/$defs/A", $defs: { A: { type: "object", required: ["a"] } } },
    ]
  ) {
    assert.equal(acceptsNoInput(schema), false, JSON.stringify(schema));
  }
});

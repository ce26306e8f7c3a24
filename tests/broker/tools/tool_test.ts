import assert from "node:assert/strict";
import { z } from "zod";
import { ExecboxError } from "../../../broker/errors.ts";
import type { StandardSchemaV1 } from "../../../broker/tools/standard_schema.ts";
import { defineTool, resolveSchema } from "../../../broker/tools/tool.ts";
import type { JsonSchema } from "../../../broker/tools/info.ts";

function assertValidationError(fn: () => unknown, message: string): void {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof ExecboxError);
    assert.equal(error.code, "validation_error");
    assert.equal(error.message, message);
    return true;
  });
}

const ITEMS_JSON_SCHEMA: JsonSchema = {
  type: "object",
  properties: {
    q: { type: "string" },
    items: {
      type: "array",
      items: {
        type: "object",
        properties: { name: { type: "string" } },
        required: ["name"],
      },
    },
  },
  required: ["q"],
};

Deno.test("resolveSchema() converts a zod schema to JSON Schema without $schema", () => {
  const resolved = resolveSchema(
    z.object({
      q: z.string().describe("Search text"),
      limit: z.number().int().min(1).optional(),
    }),
    "input",
  );
  assert.deepEqual(resolved.json, {
    type: "object",
    properties: {
      q: { type: "string", description: "Search text" },
      limit: { type: "integer", minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    },
    required: ["q"],
  });
  assert.equal("$schema" in resolved.json, false);
});

Deno.test("resolveSchema() derives input and output JSON Schema from zod separately", () => {
  const schema = z.object({ mode: z.string().default("fast") });
  assert.deepEqual(resolveSchema(schema, "input").json.required, undefined);
  assert.deepEqual(resolveSchema(schema, "output").json.required, ["mode"]);
});

Deno.test("resolveSchema() turns what JSON Schema cannot express into any", () => {
  const resolved = resolveSchema(
    z.object({ when: z.date(), n: z.number() }),
    "input",
  );
  const properties = resolved.json.properties as Record<string, unknown>;
  assert.deepEqual(properties.when, {});
  assert.deepEqual(properties.n, { type: "number" });
});

Deno.test("resolveSchema() returns the data zod parsed, transforms applied", () => {
  const resolved = resolveSchema(
    z.object({
      count: z.string().transform((s) => Number.parseInt(s, 10)),
      tag: z.string().default("none"),
    }),
    "input",
  );
  assert.deepEqual(resolved.check({ count: "42" }, "input"), {
    count: 42,
    tag: "none",
  });
});

Deno.test("resolveSchema() strips keys a zod object does not declare", () => {
  const resolved = resolveSchema(z.object({ q: z.string() }), "input");
  assert.deepEqual(resolved.check({ q: "x", extra: 1 }, "input"), { q: "x" });
});

Deno.test("resolveSchema() reports zod problems as validation_error with paths", () => {
  const resolved = resolveSchema(
    z.object({
      q: z.string(),
      items: z.array(z.object({ name: z.string() })).optional(),
      n: z.number().int().min(1).optional(),
    }),
    "input",
  );
  assertValidationError(
    () => resolved.check({ q: 1 }, "input"),
    "input.q: Invalid input: expected string, received number",
  );
  assertValidationError(
    () =>
      resolved.check(
        { q: "x", items: [{ name: "a" }, { name: "b" }, {}] },
        "input",
      ),
    "input.items[2].name: Invalid input: expected string, received undefined",
  );
  assertValidationError(
    () => resolved.check({ q: 1, n: 0 }, "input"),
    "input.q: Invalid input: expected string, received number; input.n: Too small: expected number to be >=1",
  );
  assertValidationError(
    () => resolved.check("text", "input"),
    "input: Invalid input: expected object, received string",
  );
});

Deno.test("resolveSchema() labels zod problems with the label it is given", () => {
  const resolved = resolveSchema(z.object({ id: z.number() }), "output");
  assertValidationError(
    () => resolved.check({ id: "1" }, "output"),
    "output.id: Invalid input: expected number, received string",
  );
});

Deno.test("resolveSchema() keeps a JSON Schema as it is", () => {
  const resolved = resolveSchema(ITEMS_JSON_SCHEMA, "input");
  assert.equal(resolved.json, ITEMS_JSON_SCHEMA);
});

Deno.test("resolveSchema() returns a value that passes a JSON Schema unchanged", () => {
  const resolved = resolveSchema(ITEMS_JSON_SCHEMA, "input");
  const value = { q: "x", extra: 1, items: [{ name: "a" }] };
  assert.equal(resolved.check(value, "input"), value);
});

Deno.test("resolveSchema() reports JSON Schema problems as validation_error with paths", () => {
  const resolved = resolveSchema(ITEMS_JSON_SCHEMA, "input");
  assertValidationError(
    () => resolved.check({ q: 1 }, "input"),
    'input.q: Instance type "number" is invalid. Expected "string"',
  );
  assertValidationError(
    () => resolved.check({}, "input"),
    'input: Instance does not have required property "q"',
  );
  assertValidationError(
    () =>
      resolved.check(
        { q: "x", items: [{ name: "a" }, { name: "b" }, { name: 3 }] },
        "input",
      ),
    'input.items[2].name: Instance type "number" is invalid. Expected "string"',
  );
  assertValidationError(
    () =>
      resolved.check(
        { q: "x", items: [{ name: "a" }, { name: "b" }, {}] },
        "input",
      ),
    'input.items[2]: Instance does not have required property "name"',
  );
  assertValidationError(
    () => resolved.check("text", "input"),
    'input: Instance type "string" is invalid. Expected "object"',
  );
});

Deno.test("resolveSchema() lists every JSON Schema problem, without the summaries", () => {
  const resolved = resolveSchema(ITEMS_JSON_SCHEMA, "input");
  assertValidationError(
    () => resolved.check({ q: 1, items: [{ name: 2 }] }, "input"),
    'input.q: Instance type "number" is invalid. Expected "string"; input.items[0].name: Instance type "number" is invalid. Expected "string"',
  );
});

Deno.test("resolveSchema() accepts any object when the schema is undefined", () => {
  const resolved = resolveSchema(undefined, "input");
  assert.deepEqual(resolved.json, { type: "object" });
  const value = { anything: [1, "two"] };
  assert.equal(resolved.check(value, "input"), value);
  assert.throws(() => resolved.check("text", "input"), {
    name: "ExecboxError",
    message: 'input: Instance type "string" is invalid. Expected "object"',
  });
});

Deno.test("resolveSchema() rejects a Standard Schema from another vendor", () => {
  const other: StandardSchemaV1<unknown, string> = {
    "~standard": {
      version: 1,
      vendor: "valibot",
      validate: (value) => ({ value: String(value) }),
    },
  };
  assert.throws(() => resolveSchema(other, "input"), {
    name: "TypeError",
    message:
      'Tool input schema from "valibot" is not supported: use zod 4 or a JSON Schema object',
  });
});

Deno.test("resolveSchema() rejects a zod-branded Standard Schema that is not zod 4", () => {
  const impostor: StandardSchemaV1 = {
    "~standard": {
      version: 1,
      vendor: "zod",
      validate: (value) => ({ value }),
    },
  };
  assert.throws(() => resolveSchema(impostor, "output"), {
    name: "TypeError",
    message:
      'Tool output schema from "zod" is not supported: use zod 4 or a JSON Schema object',
  });
});

Deno.test("resolveSchema() rejects a schema that is not an object", () => {
  const cases: [unknown, string][] = [
    ["string", "string"],
    [42, "number"],
    [null, "object"],
    [[{ type: "string" }], "object"],
    [() => true, "function"],
  ];
  for (const [schema, type] of cases) {
    assert.throws(
      () => resolveSchema(schema as JsonSchema, "input"),
      {
        name: "TypeError",
        message:
          `Tool input schema must be a zod schema or a JSON Schema object, got ${type}`,
      },
    );
  }
});

Deno.test("defineTool() returns the definition it is given", () => {
  const definition = {
    description: "Echoes",
    execute: (input: unknown) => input,
  };
  assert.equal(defineTool(definition), definition);
});

Deno.test("defineTool() infers execute's input type from a zod schema", async () => {
  const tool = defineTool({
    input: z.object({ q: z.string(), limit: z.number().optional() }),
    execute: (input) => {
      const q: string = input.q;
      const limit: number | undefined = input.limit;
      // @ts-expect-error `nope` is not in the schema, so the input has no such property.
      input.nope;
      return { length: q.length + (limit ?? 0) };
    },
  });
  const result = await tool.execute({ q: "abc", limit: 1 }, {
    signal: new AbortController().signal,
    log: () => {},
  });
  assert.deepEqual(result, { length: 4 });
});

import assert from "node:assert/strict";
import { z } from "zod";
import {
  Catalog,
  encodeToolResult,
  hostProviderTools,
  type ProviderTool,
} from "../../../broker/tools/catalog.ts";
import { ExecboxError } from "../../../broker/errors.ts";
import {
  defineTool,
  type ToolContext,
  type ToolDefinition,
} from "../../../broker/tools/tool.ts";
import type { JsonSchema } from "../../../broker/tools/info.ts";

function providerTool(
  name: string,
  fields: Partial<ProviderTool> = {},
): ProviderTool {
  return {
    name,
    inputSchema: { type: "object" },
    call: () => Promise.resolve(name),
    ...fields,
  };
}

function context(): ToolContext {
  return { signal: new AbortController().signal, log: () => {} };
}

Deno.test("Catalog names tools with their guest identifiers in declaration order", () => {
  const catalog = new Catalog([
    {
      namespace: "github",
      tools: [
        providerTool("create-issue", { description: "Create an issue" }),
        providerTool("list_issues"),
        providerTool("create_issue"),
        providerTool("delete"),
      ],
    },
    { namespace: "docs", tools: [providerTool("search.docs")] },
  ]);
  assert.deepEqual(
    catalog.tools.map((t) => [t.namespace, t.name, t.originalName]),
    [
      ["github", "create_issue", "create-issue"],
      ["github", "list_issues", "list_issues"],
      ["github", "create_issue__2", "create_issue"],
      ["github", "delete_", "delete"],
      ["docs", "search_docs", "search.docs"],
    ],
  );
  assert.deepEqual(catalog.namespaces, {
    github: ["create_issue", "list_issues", "create_issue__2", "delete_"],
    docs: ["search_docs"],
  });
  assert.deepEqual(Object.keys(catalog.namespaces), ["github", "docs"]);
});

Deno.test("Catalog copies description and schemas into the tool info", () => {
  const inputSchema = { type: "object", properties: { q: { type: "string" } } };
  const outputSchema = { type: "array" };
  const catalog = new Catalog([
    {
      namespace: "docs",
      tools: [
        providerTool("search", {
          description: "Search the docs",
          inputSchema,
          outputSchema,
        }),
        providerTool("plain"),
      ],
    },
  ]);
  assert.deepEqual(catalog.tools, [
    {
      namespace: "docs",
      name: "search",
      originalName: "search",
      description: "Search the docs",
      inputSchema,
      outputSchema,
    },
    {
      namespace: "docs",
      name: "plain",
      originalName: "plain",
      inputSchema: { type: "object" },
    },
  ]);
  // Absent fields are left out, not set to undefined.
  assert.equal("description" in catalog.tools[1]!, false);
  assert.equal("outputSchema" in catalog.tools[1]!, false);
});

Deno.test("Catalog accepts a provider with no tools", () => {
  const catalog = new Catalog([{ namespace: "empty", tools: [] }]);
  assert.deepEqual(catalog.tools, []);
  assert.deepEqual(catalog.namespaces, { empty: [] });
});

Deno.test("Catalog rejects invalid and reserved namespaces with TypeError", () => {
  const cases: [string, string][] = [
    [
      "my-tools",
      'Provider name "my-tools" is not a valid identifier (try "my_tools")',
    ],
    ["delete", 'Provider name "delete" is a reserved word (try "delete_")'],
    [
      "console",
      'Provider name "console" is a global of the guest (try "console__2")',
    ],
  ];
  for (const [namespace, message] of cases) {
    assert.throws(
      () => new Catalog([{ namespace, tools: [providerTool("a")] }]),
      { name: "TypeError", message },
    );
  }
});

Deno.test("Catalog rejects a namespace used twice with TypeError", () => {
  assert.throws(
    () =>
      new Catalog([
        { namespace: "gh", tools: [providerTool("a")] },
        { namespace: "gh", tools: [providerTool("b")] },
      ]),
    {
      name: "TypeError",
      message: 'Provider name "gh" is already taken (try "gh__2")',
    },
  );
});

Deno.test("Catalog.lookup() finds a tool by namespace and guest identifier", () => {
  const create = providerTool("create-issue");
  const search = providerTool("search");
  const catalog = new Catalog([
    { namespace: "github", tools: [create] },
    { namespace: "docs", tools: [search] },
  ]);
  assert.equal(catalog.lookup("github", "create_issue"), create);
  assert.equal(catalog.lookup("docs", "search"), search);
  assert.equal(catalog.lookup("github", "create-issue"), undefined);
  assert.equal(catalog.lookup("docs", "create_issue"), undefined);
  assert.equal(catalog.lookup("nope", "search"), undefined);
});

Deno.test("hostProviderTools() adapts definitions in key order with JSON Schemas", () => {
  const tools = hostProviderTools({
    add: defineTool({
      description: "Adds two numbers",
      input: z.object({ a: z.number(), b: z.number() }),
      output: z.number(),
      execute: ({ a, b }) => a + b,
    }),
    ping: { execute: () => "pong" },
  });
  assert.deepEqual(tools.map((t) => t.name), ["add", "ping"]);
  assert.equal(tools[0]?.description, "Adds two numbers");
  assert.deepEqual(tools[0]?.inputSchema, {
    type: "object",
    properties: { a: { type: "number" }, b: { type: "number" } },
    required: ["a", "b"],
  });
  assert.deepEqual(tools[0]?.outputSchema, { type: "number" });
  assert.deepEqual(tools[1]?.inputSchema, { type: "object" });
  assert.equal("description" in tools[1]!, false);
  assert.equal("outputSchema" in tools[1]!, false);
});

Deno.test("hostProviderTools() passes the checked input and returns the result", async () => {
  const [tool] = hostProviderTools({
    add: defineTool({
      input: z.object({ a: z.number(), b: z.coerce.number() }),
      execute: ({ a, b }) => Promise.resolve(a + b),
    }),
  });
  assert.equal(await tool!.call({ a: 1, b: "2", extra: true }, context()), 3);
});

Deno.test("hostProviderTools() checks input before execute and never runs it on bad input", async () => {
  let calls = 0;
  const [tool] = hostProviderTools({
    search: {
      input: {
        type: "object",
        properties: { q: { type: "string" } },
        required: ["q"],
      },
      execute: () => {
        calls++;
        return [];
      },
    },
  });
  await assert.rejects(tool!.call({ q: 1 }, context()), (error) => {
    assert.ok(error instanceof ExecboxError);
    assert.equal(error.code, "validation_error");
    assert.equal(
      error.message,
      'input.q: Instance type "number" is invalid. Expected "string"',
    );
    return true;
  });
  assert.equal(calls, 0);
  await tool!.call({ q: "ok" }, context());
  assert.equal(calls, 1);
});

Deno.test("hostProviderTools() rejects an output that does not match the output schema", async () => {
  const [tool] = hostProviderTools({
    count: defineTool({
      output: z.object({ n: z.number() }),
      execute: () => ({ n: "many" }) as unknown as { n: number },
    }),
  });
  await assert.rejects(tool!.call({}, context()), (error) => {
    assert.ok(error instanceof Error);
    assert.equal(error instanceof ExecboxError, false);
    assert.equal(
      error.message,
      "Tool returned a value that does not match its output schema: output.n: Invalid input: expected number, received string",
    );
    return true;
  });
});

Deno.test("hostProviderTools() returns the output as the output schema parsed it", async () => {
  const [tool] = hostProviderTools({
    user: defineTool({
      output: z.object({ id: z.number() }),
      execute: () => ({ id: 7, secret: "hidden" }),
    }),
  });
  assert.deepEqual(await tool!.call({}, context()), { id: 7 });
});

Deno.test("hostProviderTools() lets an error thrown by execute through unchanged", async () => {
  const boom = new Error("upstream is down");
  const [tool] = hostProviderTools({
    fail: {
      output: { type: "string" },
      execute: () => {
        throw boom;
      },
    },
  });
  await assert.rejects(tool!.call({}, context()), (error) => error === boom);
});

Deno.test("hostProviderTools() passes the context signal to execute", async () => {
  const seen: AbortSignal[] = [];
  const [tool] = hostProviderTools({
    watch: {
      execute: (_input: unknown, { signal }: ToolContext) => {
        seen.push(signal);
        return signal.aborted;
      },
    },
  });
  const controller = new AbortController();
  assert.equal(
    await tool!.call({}, { signal: controller.signal, log: () => {} }),
    false,
  );
  controller.abort();
  assert.equal(
    await tool!.call({}, { signal: controller.signal, log: () => {} }),
    true,
  );
  assert.deepEqual(seen, [controller.signal, controller.signal]);
});

Deno.test("hostProviderTools() throws TypeError for a definition without execute", () => {
  assert.throws(
    () =>
      hostProviderTools({
        broken: { description: "x" } as unknown as ToolDefinition,
      }),
    { name: "TypeError", message: 'Tool "broken" has no execute function' },
  );
});

Deno.test("hostProviderTools() throws TypeError for a bad schema", () => {
  assert.throws(
    () =>
      hostProviderTools({
        t: { input: "string" as unknown as JsonSchema, execute: () => 1 },
      }),
    {
      name: "TypeError",
      message:
        "Tool input schema must be a zod schema or a JSON Schema object, got string",
    },
  );
});

Deno.test("encodeToolResult() returns JSON text", () => {
  assert.equal(
    encodeToolResult({ a: [1, "b", null], when: new Date(0) }),
    '{"a":[1,"b",null],"when":"1970-01-01T00:00:00.000Z"}',
  );
  assert.equal(encodeToolResult("text"), '"text"');
  assert.equal(encodeToolResult(null), "null");
});

Deno.test('encodeToolResult() returns "" for undefined', () => {
  assert.equal(encodeToolResult(undefined), "");
});

Deno.test("encodeToolResult() throws tool_error for a value that is not JSON", () => {
  const cycle: { self?: unknown } = {};
  cycle.self = cycle;
  const cases: [unknown, string][] = [
    [{ run: () => 1 }, "Cannot serialize a function at result.run"],
    [{ id: 1n }, "Cannot serialize a bigint at result.id"],
    [cycle, "Cannot serialize a cycle at result.self"],
  ];
  for (const [value, reason] of cases) {
    assert.throws(() => encodeToolResult(value), (error) => {
      assert.ok(error instanceof ExecboxError);
      assert.equal(error.code, "tool_error");
      assert.equal(
        error.message,
        `Tool returned a value that is not JSON: ${reason}`,
      );
      return true;
    });
  }
});

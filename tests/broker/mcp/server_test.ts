import { deferred } from "../../_async.ts";
import assert from "node:assert/strict";
// The SDK's ".js" subpaths have no types under Deno (typescript-sdk#2701).
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { z } from "zod";
import denoJson from "../../../deno.json" with { type: "json" };
import {
  type Broker,
  createBroker,
  createMcpServer,
  defineTool,
  type McpServerOptions,
  type Providers,
} from "../../../mod.ts";

let waitStarted = deferred();
let waitAborted = deferred();
const providers: Providers = {
  docs: {
    search: defineTool({
      description: "Searches the docs. Returns file names.",
      input: z.object({ query: z.string() }),
      output: z.array(z.string()),
      execute: ({ query }) => [`${query}.md`],
    }),
    wait: defineTool({
      description: "Waits until the call is aborted",
      execute: (_input, { signal }) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener("abort", () => {
            waitAborted.resolve();
            reject(signal.reason);
          }, { once: true });
          waitStarted.resolve();
        }),
    }),
  },
  math: {
    add: defineTool({
      description: "Adds two numbers",
      input: z.object({ a: z.number(), b: z.number() }),
      output: z.number(),
      execute: ({ a, b }) => a + b,
    }),
  },
};

/** A client connected to a new server over an in-memory transport. */
async function connect(broker: Broker, options?: McpServerOptions) {
  const server = createMcpServer(broker, options);
  const client = new Client({ name: "test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return {
    client,
    server,
    async [Symbol.asyncDispose]() {
      await client.close();
      await server.close();
    },
  };
}

type Call = Awaited<ReturnType<Client["callTool"]>>;

function text(call: Call): string {
  const content = call.content as { type: string; text: string }[];
  assert.equal(content.length, 1);
  assert.equal(content[0]!.type, "text");
  return content[0]!.text;
}

/** structuredContent without its stats, after checking their types. */
function withoutStats(structured: unknown): Record<string, unknown> {
  const { stats, ...rest } = structured as Record<string, unknown>;
  const { durationMs, toolCalls, coldStart, peakMemoryBytes, ...extra } =
    stats as Record<string, unknown>;
  assert.equal(typeof durationMs, "number");
  assert.equal(typeof toolCalls, "number");
  assert.equal(typeof coldStart, "boolean");
  assert.equal(typeof peakMemoryBytes, "number");
  assert.deepEqual(extra, {});
  return rest;
}

function manyProviders(namespaces: number, toolsEach: number): Providers {
  const many: Providers = {};
  for (let n = 0; n < namespaces; n++) {
    const tools: Providers[string] = {};
    for (let t = 0; t < toolsEach; t++) {
      tools[`tool_${t}`] = defineTool({
        description: `Does task ${t} for service ${n}, with a longer sentence.`,
        input: z.object({ id: z.string(), verbose: z.boolean().optional() }),
        execute: () => t,
      });
    }
    many[`service_${n}`] = tools;
  }
  return many;
}

const DESCRIPTION = [
  "Run TypeScript or JavaScript in a sandbox whose only globals beyond the language are the tool namespaces listed below, and get its result. Prefer one program that calls several tools and returns just what you need over many small calls.",
  "",
  "- The code runs as the body of an async function: use top-level await.",
  "- The result is the value of a `return` or of the last expression; it must be JSON.",
  "- Each tool is an async function under its namespace that takes one object argument: `await ns.tool({ ... })`.",
  "- console.log output comes back as logs.",
  "- `skills.save({ name, description, code, signature? })` keeps a program (a function body of `args`) for later runs: `skills.<name>(args)`.",
  '- Before calling a tool, get its exact signature with search_tools and detail "full".',
  "- Nothing else exists: no fetch, no imports, no file system, no Deno or process.",
  "- Limits per run: 5 s (tool calls included), 128 MiB of memory.",
  "",
  "Namespaces (tool count): docs (2), math (1).",
].join("\n");

Deno.test("createMcpServer() lists exactly execute and search_tools, under 1,000 o200k tokens", async () => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  await using mcp = await connect(broker, {
    limits: { timeoutMs: 5000, memoryMb: 128 },
  });
  const list = await mcp.client.listTools();
  assert.deepEqual(list.tools.map((tool) => tool.name), [
    "execute",
    "search_tools",
  ]);
  const [execute, search] = list.tools;
  assert.equal(execute!.description, DESCRIPTION);
  assert.deepEqual(execute!.inputSchema.required, ["code"]);
  assert.equal(execute!.outputSchema, undefined);
  assert.deepEqual(search!.inputSchema.required, ["query"]);
  assert.equal(search!.annotations?.readOnlyHint, true);
  assert.ok(countTokens(JSON.stringify(list)) < 1000);
});

Deno.test("createMcpServer() stays under 1,000 o200k tokens with 300 tools in 30 namespaces", async () => {
  await using broker = await createBroker({
    providers: manyProviders(30, 10),
    pool: { size: 1 },
  });
  await using mcp = await connect(broker, {
    limits: { timeoutMs: 5000, memoryMb: 128 },
  });
  const list = await mcp.client.listTools();
  assert.equal(broker.tools().length, 300);
  assert.ok(
    list.tools[0]!.description!.endsWith(", service_29 (10)."),
  );
  assert.ok(countTokens(JSON.stringify(list)) < 1000);
});

Deno.test("createMcpServer() lists at most maxNamespaces namespaces and appends instructions", async () => {
  await using broker = await createBroker({
    providers: manyProviders(30, 1),
    pool: { size: 1 },
  });
  await using mcp = await connect(broker, {
    maxNamespaces: 2,
    instructions: "The services are staging copies.",
  });
  const [execute] = (await mcp.client.listTools()).tools;
  assert.ok(
    execute!.description!.endsWith(
      "- Limits per run: 5 s (tool calls included), 128 MiB of memory.\n\n" +
        "Namespaces (tool count): service_0 (1), service_1 (1), " +
        "and 28 more: use search_tools to find them.\n\n" +
        "The services are staging copies.",
    ),
  );
});

Deno.test("createMcpServer() reports its name and version", async () => {
  await using broker = await createBroker({ pool: { size: 1 } });
  {
    await using mcp = await connect(broker);
    assert.deepEqual(mcp.client.getServerVersion(), {
      name: "execbox",
      version: denoJson.version,
    });
  }
  await using mcp = await connect(broker, { name: "tools", version: "9.9.9" });
  assert.deepEqual(mcp.client.getServerVersion(), {
    name: "tools",
    version: "9.9.9",
  });
});

Deno.test("createMcpServer() rejects bad options", async () => {
  await using broker = await createBroker({ pool: { size: 1 } });
  assert.throws(() => createMcpServer(broker, { maxTextBytes: 0 }), {
    name: "RangeError",
    message: "maxTextBytes must be a whole number of at least 1, got 0",
  });
  assert.throws(() => createMcpServer(broker, { maxNamespaces: 1.5 }), {
    name: "RangeError",
    message: "maxNamespaces must be a whole number of at least 1, got 1.5",
  });
  assert.throws(() => createMcpServer(broker, { limits: { timeoutMs: 0 } }), {
    name: "RangeError",
    message:
      'Limit "timeoutMs" in MCP server options must be a whole number of at least 1, got 0',
  });
});

Deno.test("createMcpServer() returns a new server per call, each working", async () => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  assert.notEqual(createMcpServer(broker), createMcpServer(broker));
  await using first = await connect(broker);
  await using second = await connect(broker);
  assert.notEqual(first.server, second.server);
  for (const { client } of [first, second]) {
    const call = await client.callTool({
      name: "execute",
      arguments: { code: "await math.add({ a: 1, b: 2 })" },
    });
    assert.equal(text(call), "3");
  }
});

Deno.test("execute tool returns the result as structured content and text", async (t) => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  await using mcp = await connect(broker);

  await t.step("a success: result JSON, then logs", async () => {
    const code = `
      console.log("looking");
      console.warn("careful");
      return { files: await docs.search({ query: "intro" }), n: 2 };
    `;
    const call = await mcp.client.callTool({
      name: "execute",
      arguments: { code },
    });
    assert.equal(call.isError, undefined);
    assert.equal(
      text(call),
      '{"files":["intro.md"],"n":2}\n\nlogs:\nlooking\n[warn] careful',
    );
    const expected = {
      ok: true,
      result: { files: ["intro.md"], n: 2 },
      logs: [
        { level: "log", message: "looking" },
        { level: "warn", message: "careful" },
      ],
    };
    assert.deepEqual(withoutStats(call.structuredContent), expected);
    assert.deepEqual(withoutStats(await broker.execute(code)), expected);
    assert.equal(
      (call.structuredContent as { stats: { toolCalls: number } }).stats
        .toolCalls,
      1,
    );
  });

  await t.step("no result: a hint, and no result key", async () => {
    const call = await mcp.client.callTool({
      name: "execute",
      arguments: { code: "let x = 1;" },
    });
    assert.equal(
      text(call),
      "(no result: end the code with an expression or a `return`)",
    );
    assert.deepEqual(withoutStats(call.structuredContent), {
      ok: true,
      logs: [],
    });
  });

  await t.step("a failure: isError, logs, then the error line", async () => {
    const call = await mcp.client.callTool({
      name: "execute",
      arguments: {
        code: "console.error('about to fail'); throw new Error('nope')",
      },
    });
    assert.equal(call.isError, true);
    assert.equal(
      text(call),
      "logs:\n[error] about to fail\n\nerror runtime_error: Error: nope",
    );
    assert.deepEqual(withoutStats(call.structuredContent), {
      ok: false,
      error: { code: "runtime_error", message: "Error: nope" },
      logs: [{ level: "error", message: "about to fail" }],
    });
  });

  await t.step("a syntax error keeps its line and column", async () => {
    const call = await mcp.client.callTool({
      name: "execute",
      arguments: { code: "let x = ;" },
    });
    assert.equal(call.isError, true);
    assert.equal(
      text(call),
      "error syntax_error: Expression expected at line 1, column 9",
    );
    assert.deepEqual(withoutStats(call.structuredContent), {
      ok: false,
      error: {
        code: "syntax_error",
        message: "Expression expected at line 1, column 9",
        line: 1,
        column: 9,
      },
      logs: [],
    });
  });
});

Deno.test("execute tool holds its structured logs to maxLogBytes, empty entries included", async () => {
  await using broker = await createBroker({ pool: { size: 1 } });
  await using mcp = await connect(broker, { limits: { maxLogBytes: 160 } });
  const call = await mcp.client.callTool({
    name: "execute",
    arguments: { code: "for (let i = 0; i < 5000; i++) console.log(); 1" },
  });
  assert.deepEqual(withoutStats(call.structuredContent), {
    ok: true,
    result: 1,
    logs: [
      ...Array.from({ length: 10 }, () => ({ level: "log", message: "" })),
      {
        level: "warn",
        message: "[execbox] log output truncated: more than 160 bytes",
      },
    ],
  });
});

Deno.test("execute tool cuts text over maxTextBytes, never inside a character", async (t) => {
  await using broker = await createBroker({ pool: { size: 1 } });
  await using mcp = await connect(broker, { maxTextBytes: 100 });
  const execute = (code: string) =>
    mcp.client.callTool({ name: "execute", arguments: { code } });

  await t.step("text that fits is whole", async () => {
    assert.equal(text(await execute("'x'.repeat(98)")), `"${"x".repeat(98)}"`);
  });

  await t.step("the result is cut, the structured content is not", async () => {
    const call = await execute("'é'.repeat(500)");
    // The opening quote and 49 two-byte characters; a 50th would make 101.
    assert.equal(
      text(call),
      `"${"é".repeat(49)}\n[execbox: output truncated at 100 bytes]`,
    );
    assert.equal(
      (call.structuredContent as { result: string }).result,
      "é".repeat(500),
    );
  });

  await t.step("a failure keeps its error line after the marker", async () => {
    const call = await execute(
      "console.log('y'.repeat(500)); throw new Error('late')",
    );
    assert.equal(call.isError, true);
    const last = "error runtime_error: Error: late";
    assert.equal(
      text(call),
      `logs:\n${"y".repeat(100 - 6 - last.length)}\n` +
        `[execbox: output truncated at 100 bytes]\n${last}`,
    );
  });
});

Deno.test("execute tool applies the limits option", async () => {
  await using broker = await createBroker({ pool: { size: 1 } });
  await using mcp = await connect(broker, { limits: { timeoutMs: 100 } });
  const call = await mcp.client.callTool({
    name: "execute",
    arguments: { code: "while (true) {}" },
  });
  assert.equal(call.isError, true);
  assert.equal(
    (call.structuredContent as { error: { code: string } }).error.code,
    "timeout",
  );
});

Deno.test("execute tool reports a closed broker as a tool error", async () => {
  await using broker = await createBroker({ pool: { size: 1 } });
  await using mcp = await connect(broker);
  await broker.close();
  const call = await mcp.client.callTool({
    name: "execute",
    arguments: { code: "1" },
  });
  assert.equal(call.isError, true);
  assert.equal(text(call), "error broker_closed: The broker is closed");
});

Deno.test("execute tool cancels the run when the MCP request is cancelled", async () => {
  waitStarted = deferred();
  waitAborted = deferred();
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  // Observe the run itself, to wait for it to end rather than sleep.
  const runs: ReturnType<Broker["execute"]>[] = [];
  const execute = broker.execute.bind(broker);
  broker.execute = (code, options) => {
    const run = execute(code, options);
    runs.push(run);
    return run;
  };
  await using mcp = await connect(broker);
  const controller = new AbortController();
  const call = mcp.client.callTool(
    { name: "execute", arguments: { code: "await docs.wait({})" } },
    undefined,
    { signal: controller.signal },
  );
  await waitStarted.promise;
  assert.equal(broker.status().running, 1);
  controller.abort();
  await assert.rejects(call);
  await waitAborted.promise;
  assert.equal(runs.length, 1);
  const run = await runs[0]!;
  assert.equal(run.ok, false);
  assert.equal(!run.ok && run.error.code, "cancelled");
  assert.equal(broker.status().running, 0);
});

Deno.test("search_tools tool answers at each detail level", async (t) => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  await using mcp = await connect(broker);
  const search = async (args: Record<string, unknown>) => {
    const call = await mcp.client.callTool({
      name: "search_tools",
      arguments: args,
    });
    assert.equal(call.isError, undefined);
    assert.equal(call.structuredContent, undefined);
    return text(call);
  };

  await t.step("name: paths only", async () => {
    assert.equal(
      await search({ query: "docs", detail: "name" }),
      "docs.search\ndocs.wait",
    );
  });

  await t.step("summary, the default: one line each", async () => {
    assert.equal(
      await search({ query: "docs" }),
      "docs.search: Searches the docs.\ndocs.wait: Waits until the call is aborted",
    );
  });

  await t.step("full: declarations of the matches only", async () => {
    assert.equal(
      await search({ query: "search", detail: "full" }),
      "declare namespace docs {\n" +
        "  /** Searches the docs. Returns file names. */\n" +
        "  function search(input: { query: string }): Promise<string[]>;\n" +
        "}",
    );
  });

  await t.step(
    "full: one block per run of a namespace, in rank order",
    async () => {
      // "t" is in the names of docs.wait and math.add, and only in the
      // description of docs.search, which therefore ranks last.
      assert.equal(
        await search({ query: "t", detail: "full" }),
        "declare namespace docs {\n" +
          "  /** Waits until the call is aborted */\n" +
          "  function wait(input?: Record<string, unknown>): Promise<unknown>;\n" +
          "}\n" +
          "declare namespace math {\n" +
          "  /** Adds two numbers */\n" +
          "  function add(input: { a: number; b: number }): Promise<number>;\n" +
          "}\n" +
          "declare namespace docs {\n" +
          "  /** Searches the docs. Returns file names. */\n" +
          "  function search(input: { query: string }): Promise<string[]>;\n" +
          "}",
      );
    },
  );
  await t.step("limit", async () => {
    assert.equal(
      await search({ query: "", detail: "name", limit: 1 }),
      "docs.search",
    );
  });

  await t.step("no match", async () => {
    assert.equal(
      await search({ query: "zzz" }),
      'No tools match "zzz"; try fewer words, or an empty query for every tool',
    );
  });
});

Deno.test("search_tools tool answers invalid arguments with an error result", async () => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  await using mcp = await connect(broker);
  for (
    const args of [
      { query: "docs", limit: 0 },
      { query: "docs", limit: 1.5 },
      { query: "docs", detail: "everything" },
      { limit: 1 },
    ]
  ) {
    const call = await mcp.client.callTool({
      name: "search_tools",
      arguments: args,
    });
    assert.equal(call.isError, true, JSON.stringify(args));
    assert.match(
      text(call),
      /^MCP error -32602: Input validation error: Invalid arguments for tool search_tools: /,
    );
  }
  const call = await mcp.client.callTool({
    name: "search_tools",
    arguments: { query: "add", detail: "name" },
  });
  assert.equal(text(call), "math.add");
});

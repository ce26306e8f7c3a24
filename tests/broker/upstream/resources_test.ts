/**
 * MCP resources and prompts as `ns.$resources` and `ns.$prompts`: against
 * `server-everything`, and against the fixture server in
 * `fixtures/resources_server.ts`, both in process (over `InMemoryTransport`,
 * through `McpUpstream`) and on stdio (through the broker).
 */

import { deferred } from "../../_async.ts";
import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { Server } from "@modelcontextprotocol/sdk/server";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  type Resource,
} from "@modelcontextprotocol/sdk/types.js";
import {
  createBroker,
  denoHost,
  type ExecuteResult,
  type McpStdioServerConfig,
  type ToolCall,
} from "../../../mod.ts";
import type { AuditRecord } from "../../../broker/audit/record.ts";
import { MCP_RESOURCE_INTERFACES } from "../../../broker/upstream/resources.ts";
import { McpUpstream } from "../../../broker/upstream/upstream.ts";
import { STATE_DECLARATION } from "../../../broker/state/session.ts";
import type { ToolContext } from "../../../broker/tools/tool.ts";
import { everythingServer } from "../../_mcp_servers.ts";
import {
  PROMPTS,
  RESOURCES,
  resourcesServer,
  type Seen,
  TEMPLATES,
} from "./fixtures/resources_server.ts";

const SECRET = `resource-secret-${crypto.randomUUID()}`;
const CONFIG = new URL("../../../deno.json", import.meta.url).pathname;
const FIXTURE =
  new URL("./fixtures/resources_server.ts", import.meta.url).pathname;
const NOTES =
  new URL("../../cli/fixtures/notes_server.ts", import.meta.url).pathname;

function stdioServer(path: string, env: Record<string, string> = {}) {
  const ca = Deno.env.get("NODE_EXTRA_CA_CERTS");
  return {
    command: Deno.execPath(),
    args: ["run", "-A", "--config", CONFIG, path],
    env: ca === undefined ? env : { NODE_EXTRA_CA_CERTS: ca, ...env },
  } satisfies McpStdioServerConfig;
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/** The value of a run, after checking that it succeeded. */
function value(run: ExecuteResult): unknown {
  assert.equal(run.ok, true, JSON.stringify(run));
  return run.ok ? run.result : undefined;
}

/** The error of a run, after checking that it failed. */
function failure(run: ExecuteResult): Record<string, unknown> {
  assert.equal(run.ok, false, JSON.stringify(run));
  return run.ok ? {} : { ...run.error };
}

const context: ToolContext = {
  signal: new AbortController().signal,
  log: () => {},
};

/** An upstream whose every (re)connection gets `makeServer()` in process. */
function inMemoryUpstream(
  makeServer: () => Server,
  onToolsChanged: () => void = () => {},
) {
  return new McpUpstream({
    key: "mem",
    config: { command: "unused" },
    host: denoHost,
    secrets: [],
    onToolsChanged,
    transport: () => {
      const [client, server] = InMemoryTransport.createLinkedPair();
      makeServer().connect(server);
      return client;
    },
  });
}

/** Calls one of an upstream's methods by its path. */
async function callMethod(
  upstream: McpUpstream,
  path: string,
  ...args: unknown[]
): Promise<unknown> {
  const method = upstream.methods.find((m) => m.path === path);
  assert.ok(method, `method ${path} exists`);
  return await method.call(args, context);
}

Deno.test("McpUpstream counts resources, templates and prompts across every page", async () => {
  const seen: Seen = {};
  const upstream = inMemoryUpstream(() => resourcesServer({}, seen));
  try {
    await upstream.connect();
    assert.deepEqual(upstream.declarations, [
      "/** 5 resources, 3 resource templates. */",
      "const $resources: McpResources;",
      "/** 3 prompts. */",
      "const $prompts: McpPrompts;",
    ]);
    assert.deepEqual(upstream.methods.map((m) => m.path), [
      "$resources.list",
      "$resources.templates",
      "$resources.read",
      "$resources.fill",
      "$prompts.list",
      "$prompts.get",
    ]);
    assert.deepEqual(seen, {
      "resources/list": [undefined, "2", "4"],
      "resources/templates/list": [undefined, "2"],
      "prompts/list": [undefined, "2"],
    });
    // The tools that collide with the methods keep their provider names here;
    // the catalog renames them for the guest.
    assert.deepEqual(upstream.tools.map((t) => t.name), [
      "$resources",
      "$prompts",
      "echo",
    ]);
  } finally {
    await upstream.close();
  }
});

Deno.test("McpUpstream $resources and $prompts methods list every page and read each kind of content", async () => {
  const seen: Seen = {};
  const upstream = inMemoryUpstream(() => resourcesServer({}, seen));
  try {
    await upstream.connect();
    for (const key of Object.keys(seen)) delete seen[key];
    assert.deepEqual(await callMethod(upstream, "$resources.list"), RESOURCES);
    assert.deepEqual(
      await callMethod(upstream, "$resources.templates"),
      TEMPLATES,
    );
    assert.deepEqual(await callMethod(upstream, "$prompts.list"), PROMPTS);
    assert.deepEqual(seen, {
      "resources/list": [undefined, "2", "4"],
      "resources/templates/list": [undefined, "2"],
      "prompts/list": [undefined, "2"],
    });
    const read = (uri: string) => callMethod(upstream, "$resources.read", uri);
    assert.deepEqual(await read("fixture://json"), { a: [1, 2] });
    assert.equal(await read("fixture://plain"), "42");
    assert.deepEqual(await read("fixture://untyped"), { b: true });
    assert.deepEqual(await read("fixture://blob"), {
      base64: "AAEC/w==",
      mimeType: "application/octet-stream",
    });
    assert.deepEqual(await read("fixture://multi"), [
      "one",
      { base64: "iVBORw==", mimeType: "image/png" },
    ]);
    assert.equal(await read("fixture://echo/hi"), "echo: hi");
    await assert.rejects(() => read("fixture://missing"), {
      name: "Error",
      message:
        /^MCP server "mem" could not read resource "fixture:\/\/missing": .*Resource fixture:\/\/missing not found$/,
    });
    assert.deepEqual(
      await callMethod(upstream, "$prompts.get", "greet", { name: "Ada" }),
      {
        description: "Greets someone",
        messages: [{
          role: "user",
          content: { type: "text", text: "Say hello to Ada" },
        }],
      },
    );
    await assert.rejects(() => callMethod(upstream, "$prompts.get", "fail"), {
      name: "Error",
      message:
        /^MCP server "mem" could not get prompt "fail": .*the prompt failed on purpose$/,
    });
  } finally {
    await upstream.close();
  }
});

Deno.test("McpUpstream recounts resources when the server says the list changed", async () => {
  const resources: Resource[] = [...RESOURCES];
  let server: Server | undefined;
  const recounted = deferred<readonly string[]>();
  const upstream: McpUpstream = inMemoryUpstream(() => {
    server = resourcesServer({}, {}, resources);
    return server;
  }, () => {
    if (upstream.declarations[0]?.startsWith("/** 6 ")) {
      recounted.resolve(upstream.declarations);
    }
  });
  try {
    await upstream.connect();
    assert.equal(
      upstream.declarations[0],
      "/** 5 resources, 3 resource templates. */",
    );
    resources.push({ uri: "fixture://new", name: "new" });
    await server!.sendResourceListChanged();
    assert.deepEqual(await recounted.promise, [
      "/** 6 resources, 3 resource templates. */",
      "const $resources: McpResources;",
      "/** 3 prompts. */",
      "const $prompts: McpPrompts;",
    ]);
  } finally {
    await upstream.close();
  }
});

Deno.test("McpUpstream offers no methods for what a server does not publish", async () => {
  const toolsOnly = inMemoryUpstream(() => {
    const server = new Server({ name: "tools-only", version: "1" }, {
      capabilities: { tools: {} },
    });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [] }));
    return server;
  });
  const promptsOnly = inMemoryUpstream(() => {
    const server = new Server({ name: "prompts-only", version: "1" }, {
      capabilities: { tools: {}, prompts: {} },
    });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [] }));
    server.setRequestHandler(ListPromptsRequestSchema, () => ({
      prompts: [{ name: "only" }],
    }));
    return server;
  });
  try {
    await toolsOnly.connect();
    assert.deepEqual(toolsOnly.methods, []);
    assert.deepEqual(toolsOnly.declarations, []);
    await promptsOnly.connect();
    assert.deepEqual(promptsOnly.methods.map((m) => m.path), [
      "$prompts.list",
      "$prompts.get",
    ]);
    assert.deepEqual(promptsOnly.declarations, [
      "/** 1 prompts. */",
      "const $prompts: McpPrompts;",
    ]);
  } finally {
    await toolsOnly.close();
    await promptsOnly.close();
  }
});

Deno.test("Broker offers MCP resources and prompts as $resources and $prompts", async (t) => {
  const calls: ToolCall[] = [];
  let denyReads = false;
  const records: AuditRecord[] = [];
  await using broker = await createBroker({
    pool: { size: 1 },
    secrets: [SECRET],
    onRun: (record) => records.push(structuredClone(record)),
    mcpServers: {
      everything: everythingServer(),
      fixture: stdioServer(FIXTURE, { FIXTURE_SECRET: SECRET }),
      notes: stdioServer(NOTES),
    },
    onToolCall: (call) => {
      calls.push(call);
      if (denyReads && call.tool === "$resources.read") {
        return { deny: "no reading" };
      }
    },
  });

  await t.step(
    "types() shows counts and the generic API once, never a URI",
    () => {
      const types = broker.types();
      const everything = types.slice(
        types.indexOf("declare namespace everything {"),
        types.indexOf("declare namespace fixture {"),
      );
      assert.match(
        everything,
        / {2}\/\*\* 7 resources, 2 resource templates\. \*\/\n {2}const \$resources: McpResources;\n {2}\/\*\* 4 prompts\. \*\/\n {2}const \$prompts: McpPrompts;\n\}\n$/,
      );
      const fixture = types.slice(
        types.indexOf("declare namespace fixture {"),
        types.indexOf("declare namespace notes {"),
      );
      assert.equal(
        fixture,
        "declare namespace fixture {\n" +
          "  /** The tool named $resources */\n" +
          "  function $resources__2(input?: {}): Promise<unknown>;\n" +
          "  /** The tool named $prompts */\n" +
          "  function $prompts__2(input?: {}): Promise<unknown>;\n" +
          "  /** The tool named echo */\n" +
          "  function echo(input?: {}): Promise<unknown>;\n" +
          "  /** 5 resources, 3 resource templates. */\n" +
          "  const $resources: McpResources;\n" +
          "  /** 3 prompts. */\n" +
          "  const $prompts: McpPrompts;\n" +
          "}\n",
      );
      const notes = types.slice(types.indexOf("declare namespace notes {"));
      assert.equal(notes.includes("$resources"), false);
      assert.equal(notes.includes("$prompts"), false);
      assert.ok(types.endsWith(MCP_RESOURCE_INTERFACES));
      assert.equal(types.split("interface McpResources {").length, 2);
      assert.equal(types.split("interface McpPrompts {").length, 2);
      for (const uri of ["demo://", "fixture://", "architecture.md"]) {
        assert.equal(types.includes(uri), false, `types() shows ${uri}`);
      }
      // Methods are not tools: search and tools() list only real tools.
      assert.deepEqual(
        broker.tools().filter((t) => t.namespace === "fixture").map((t) => [
          t.name,
          t.originalName,
        ]),
        [["$resources__2", "$resources"], ["$prompts__2", "$prompts"], [
          "echo",
          "echo",
        ]],
      );
    },
  );

  await t.step(
    "server-everything: list, templates, text and blob resources",
    async () => {
      const result = value(
        await broker.execute(`
        const list = await everything.$resources.list();
        const templates = await everything.$resources.templates();
        const doc = await everything.$resources.read(
          "demo://resource/static/document/architecture.md",
        );
        const blob = await everything.$resources.read("demo://resource/dynamic/blob/1");
        return { list, templates, doc: doc.split("\\n")[0], blob };
      `),
      ) as {
        list: unknown[];
        templates: unknown;
        doc: string;
        blob: { base64: string; mimeType: string };
      };
      assert.deepEqual(
        result.list.map((r) => (r as { uri: string }).uri),
        [
          "architecture.md",
          "extension.md",
          "features.md",
          "how-it-works.md",
          "instructions.md",
          "startup.md",
          "structure.md",
        ].map((name) => `demo://resource/static/document/${name}`),
      );
      assert.deepEqual(result.list[0], {
        name: "architecture.md",
        uri: "demo://resource/static/document/architecture.md",
        description: "Static document file exposed from /docs: architecture.md",
        mimeType: "text/markdown",
      });
      assert.deepEqual(result.templates, [
        {
          name: "Dynamic Text Resource",
          uriTemplate: "demo://resource/dynamic/text/{resourceId}",
          description:
            "Plaintext dynamic resource fabricated from the {resourceId} variable, which must be an integer.",
          mimeType: "text/plain",
        },
        {
          name: "Dynamic Blob Resource",
          uriTemplate: "demo://resource/dynamic/blob/{resourceId}",
          description:
            "Binary (base64) dynamic resource fabricated from the {resourceId} variable, which must be an integer.",
          mimeType: "application/octet-stream",
        },
      ]);
      assert.equal(result.doc, "# Everything Server – Architecture");
      assert.deepEqual(Object.keys(result.blob), ["base64", "mimeType"]);
      assert.equal(result.blob.mimeType, "text/plain");
      assert.match(
        atob(result.blob.base64),
        /^Resource 1: This is a base64 blob created at \S.*$/,
      );
    },
  );

  await t.step(
    "server-everything: fill a template, then read the URI",
    async () => {
      const result = value(
        await broker.execute(`
        const [text] = await everything.$resources.templates();
        const uri = await everything.$resources.fill(text.uriTemplate, { resourceId: "3" });
        return { uri, content: await everything.$resources.read(uri) };
      `),
      ) as { uri: string; content: string };
      assert.equal(result.uri, "demo://resource/dynamic/text/3");
      assert.match(
        result.content,
        /^Resource 3: This is a plaintext resource created at \S.*$/,
      );
    },
  );

  await t.step(
    "server-everything: list prompts and get one with arguments",
    async () => {
      const result = value(
        await broker.execute(`
        const prompts = await everything.$prompts.list();
        const args = await everything.$prompts.get("args-prompt", { city: "Chicago", state: "IL" });
        const simple = await everything.$prompts.get("simple-prompt");
        return { prompts, args, simple };
      `),
      ) as { prompts: unknown[]; args: unknown; simple: unknown };
      assert.deepEqual(
        result.prompts.map((p) => (p as { name: string }).name),
        [
          "simple-prompt",
          "args-prompt",
          "completable-prompt",
          "resource-prompt",
        ],
      );
      assert.deepEqual(result.prompts[1], {
        name: "args-prompt",
        title: "Arguments Prompt",
        description:
          "A prompt with two arguments, one required and one optional",
        arguments: [
          { name: "city", description: "Name of the city", required: true },
          { name: "state", required: false },
        ],
      });
      assert.deepEqual(result.args, {
        messages: [{
          role: "user",
          content: { type: "text", text: "What's weather in Chicago, IL?" },
        }],
      });
      assert.deepEqual(result.simple, {
        messages: [{
          role: "user",
          content: {
            type: "text",
            text: "This is a simple prompt without arguments.",
          },
        }],
      });
    },
  );

  await t.step(
    "a missing resource is a catchable tool_error naming the server and the URI",
    async () => {
      const caught = value(
        await broker.execute(`
        try {
          await everything.$resources.read("demo://nope");
          return "read";
        } catch (e) {
          return { name: e.name, code: e.code, tool: e.tool, message: e.message };
        }
      `),
      ) as Record<string, string>;
      assert.deepEqual({ ...caught, message: undefined }, {
        name: "Error",
        code: "tool_error",
        tool: "everything.$resources.read",
        message: undefined,
      });
      assert.match(
        caught.message!,
        /^MCP server "everything" could not read resource "demo:\/\/nope": .*Resource demo:\/\/nope not found$/,
      );

      const uncaught = failure(
        await broker.execute(`await fixture.$resources.read("fixture://gone")`),
      );
      assert.equal(uncaught.code, "tool_error");
      assert.match(
        uncaught.message as string,
        /^MCP server "fixture" could not read resource "fixture:\/\/gone": .*Resource fixture:\/\/gone not found$/,
      );
    },
  );

  await t.step("a missing or failing prompt is a tool_error", async () => {
    const result = value(
      await broker.execute(`
        const out = [];
        for (const name of ["nope", "fail"]) {
          try { await fixture.$prompts.get(name); } catch (e) { out.push([e.code, e.message]); }
        }
        return out;
      `),
    ) as [string, string][];
    assert.equal(result.length, 2);
    assert.equal(result[0]![0], "tool_error");
    assert.match(
      result[0]![1],
      /^MCP server "fixture" could not get prompt "nope": .*Prompt nope not found$/,
    );
    assert.equal(result[1]![0], "tool_error");
    assert.match(
      result[1]![1],
      /^MCP server "fixture" could not get prompt "fail": .*the prompt failed on purpose$/,
    );
  });

  await t.step(
    "the fixture's resources: JSON, text, blob, several parts, templates, pages",
    async () => {
      const result = value(
        await broker.execute(`
        const r = fixture.$resources;
        return {
          list: (await r.list()).map((x) => x.uri),
          templates: (await r.templates()).map((x) => x.uriTemplate),
          prompts: (await fixture.$prompts.list()).map((p) => p.name),
          json: await r.read("fixture://json"),
          plain: await r.read("fixture://plain"),
          untyped: await r.read("fixture://untyped"),
          blob: await r.read("fixture://blob"),
          multi: await r.read("fixture://multi"),
          echo: await r.read(await r.fill("fixture://echo/{word}", { word: "a b/c" })),
          query: await r.fill("fixture://items{?page,tags}", { page: "2", tags: ["x", "y"] }),
          greet: await fixture.$prompts.get("greet", { name: "Ada" }),
        };
      `),
      );
      assert.deepEqual(result, {
        list: RESOURCES.map((r) => r.uri),
        templates: TEMPLATES.map((t) => t.uriTemplate),
        prompts: ["greet", "plain", "fail"],
        json: { a: [1, 2] },
        plain: "42",
        untyped: { b: true },
        blob: { base64: "AAEC/w==", mimeType: "application/octet-stream" },
        multi: ["one", { base64: "iVBORw==", mimeType: "image/png" }],
        echo: "echo: a b/c",
        query: "fixture://items?page=2&tags=x,y",
        greet: {
          description: "Greets someone",
          messages: [{
            role: "user",
            content: { type: "text", text: "Say hello to Ada" },
          }],
        },
      });
    },
  );

  await t.step(
    "a tool whose name would take $resources gets the collision suffix",
    async () => {
      const result = value(
        await broker.execute(`
        return {
          resources: await fixture.$resources__2({}),
          prompts: await fixture.$prompts__2({}),
          methods: Object.keys(fixture.$resources),
          frozen: Object.isFrozen(fixture.$resources) && Object.isFrozen(fixture),
        };
      `),
      );
      assert.deepEqual(result, {
        resources: "tool $resources",
        prompts: "tool $prompts",
        methods: ["list", "templates", "read", "fill"],
        frozen: true,
      });
    },
  );

  await t.step(
    "a server without resources or prompts has neither",
    async () => {
      assert.deepEqual(
        value(
          await broker.execute(
            `[typeof notes.$resources, typeof notes.$prompts, typeof notes.get_note]`,
          ),
        ),
        ["undefined", "undefined", "function"],
      );
    },
  );

  await t.step("bad arguments are catchable validation errors", async () => {
    const result = value(
      await broker.execute(`
        const out = [];
        const attempts = [
          () => fixture.$resources.read(42),
          () => fixture.$resources.read(),
          () => fixture.$resources.fill("fixture://echo/{word}", "word"),
          () => fixture.$resources.fill(7, {}),
          () => fixture.$prompts.get(1),
          () => fixture.$prompts.get("greet", ["Ada"]),
        ];
        for (const attempt of attempts) {
          try { await attempt(); out.push("no error"); } catch (e) { out.push([e.code, e.tool, e.message]); }
        }
        return out;
      `),
    );
    assert.deepEqual(result, [
      [
        "validation_error",
        "fixture.$resources.read",
        "Invalid input for fixture.$resources.read: uri must be a string, got number",
      ],
      [
        "validation_error",
        "fixture.$resources.read",
        "Invalid input for fixture.$resources.read: uri must be a string, got undefined",
      ],
      [
        "validation_error",
        "fixture.$resources.fill",
        "Invalid input for fixture.$resources.fill: variables must be an object",
      ],
      [
        "validation_error",
        "fixture.$resources.fill",
        "Invalid input for fixture.$resources.fill: uriTemplate must be a string, got number",
      ],
      [
        "validation_error",
        "fixture.$prompts.get",
        "Invalid input for fixture.$prompts.get: name must be a string, got number",
      ],
      [
        "validation_error",
        "fixture.$prompts.get",
        "Invalid input for fixture.$prompts.get: args must be an object",
      ],
    ]);
  });

  await t.step("secrets in resource contents are redacted", async () => {
    const run = await broker.execute(
      `await fixture.$resources.read("fixture://env/FIXTURE_SECRET")`,
    );
    assert.equal(value(run), "[redacted]");
    assert.equal(JSON.stringify(run).includes(SECRET), false);
  });

  await t.step("reads count against maxToolCalls", async () => {
    const code = (n: number) => `
      for (let i = 0; i < ${n}; i++) await everything.$resources.read("demo://resource/dynamic/text/1");
      return "done";
    `;
    const within = await broker.execute(code(2), {
      limits: { maxToolCalls: 3 },
    });
    assert.equal(value(within), "done");
    assert.equal(within.stats.toolCalls, 2);
    const listsAndFills = await broker.execute(
      `await fixture.$resources.list(); await fixture.$resources.fill("x{y}", { y: "1" }); await fixture.$prompts.list(); 1`,
      { limits: { maxToolCalls: 3 } },
    );
    assert.equal(value(listsAndFills), 1);
    assert.equal(listsAndFills.stats.toolCalls, 3);
    const over = await broker.execute(code(4), {
      limits: { maxToolCalls: 3 },
    });
    assert.deepEqual(failure(over), {
      code: "limit_exceeded",
      message: "Run made more than 3 tool calls",
      limit: "maxToolCalls",
    });
    assert.equal(over.stats.toolCalls, 3);
  });

  await t.step(
    "onToolCall sees reads with their positional arguments and may deny them",
    async () => {
      calls.length = 0;
      denyReads = true;
      try {
        const result = value(
          await broker.execute(`
          try { await fixture.$resources.read("fixture://json"); return "read"; }
          catch (e) { return [e.code, e.message]; }
        `),
        );
        assert.deepEqual(result, [
          "tool_error",
          "Call to fixture.$resources.read was denied: no reading",
        ]);
        assert.deepEqual(calls, [{
          namespace: "fixture",
          tool: "$resources.read",
          originalName: "$resources.read",
          args: ["fixture://json"],
        }]);
      } finally {
        denyReads = false;
      }
    },
  );

  await t.step(
    "the audit record names each resource and prompt call",
    async () => {
      records.length = 0;
      const run = await broker.execute(`
      await fixture.$resources.read("fixture://json");
      await fixture.$prompts.get("greet", { name: "Ada" });
      try { await fixture.$resources.read("fixture://gone"); } catch {}
      return 1;
    `);
      assert.equal(value(run), 1);
      assert.equal(records.length, 1);
      assert.deepEqual(
        records[0]!.calls.map(({ tool, outcome, argsSha256 }) => ({
          tool,
          outcome,
          argsSha256,
        })),
        [
          {
            tool: "fixture.$resources.read",
            outcome: "ok",
            argsSha256: await sha256('["fixture://json"]'),
          },
          {
            tool: "fixture.$prompts.get",
            outcome: "ok",
            argsSha256: await sha256('["greet",{"name":"Ada"}]'),
          },
          {
            tool: "fixture.$resources.read",
            outcome: "tool_error",
            argsSha256: await sha256('["fixture://gone"]'),
          },
        ],
      );
    },
  );

  await t.step(
    "deno check accepts a guest program written against types() and STATE_DECLARATION",
    async () => {
      const good = await checkGuest(
        broker.types(),
        `
      const list = await everything.$resources.list();
      const uri: string = list[0]!.uri;
      const doc: unknown = await everything.$resources.read(uri);
      const templates = await fixture.$resources.templates();
      const filled: string = await fixture.$resources.fill(templates[0]!.uriTemplate, { word: "x", tags: ["a", "b"] });
      const prompt = await everything.$prompts.get("args-prompt", { city: "Chicago" });
      const role: "user" | "assistant" = prompt.messages[0]!.role;
      const names: string[] = (await fixture.$prompts.list()).map((p) => p.name);
      await state.set("last", { uri, doc, filled, role, names });
      const last: unknown = await state.get("last");
      const keys: string[] = await state.keys();
      const removed: boolean = await state.delete("last");
      const tool: unknown = await fixture.$resources__2({});
      return [last, keys, removed, tool];
    `,
      );
      assert.equal(good.code, 0, good.stderr);

      const bad = await checkGuest(
        broker.types(),
        `
      await everything.$resources.read(42);
      await notes.$resources.list();
      await state.set(1, "x");
    `,
      );
      assert.equal(bad.code, 1);
      assert.match(
        bad.stderr,
        /TS2345 \[ERROR\]: Argument of type 'number' is not assignable to parameter of type 'string'/,
      );
      assert.match(
        bad.stderr,
        /TS2339 \[ERROR\]: Property '\$resources' does not exist on type 'typeof notes'/,
      );
      assert.equal(bad.stderr.match(/TS\d+ \[ERROR\]/g)?.length, 3, bad.stderr);
    },
  );
});

/** Runs `deno check` on a guest program beside the declarations and `state`. */
async function checkGuest(
  types: string,
  program: string,
): Promise<{ code: number; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "execbox_resources_" });
  try {
    await Deno.writeTextFile(
      `${dir}/types.d.ts`,
      types + STATE_DECLARATION,
    );
    await Deno.writeTextFile(
      `${dir}/guest.ts`,
      `/// <reference path="./types.d.ts" />\nasync function main() {\n${program}\n}\nmain();\n`,
    );
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--no-config", "--quiet", "guest.ts"],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    return { code, stderr: new TextDecoder().decode(stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "McpUpstream connects to a server that publishes resources but no tools",
  fn: async () => {
    const upstream = inMemoryUpstream(() => {
      const server = new Server({ name: "resources-only", version: "1" }, {
        capabilities: { resources: {} },
      });
      server.setRequestHandler(ListResourcesRequestSchema, () => ({
        resources: [{ uri: "only://one", name: "one" }],
      }));
      server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
        resourceTemplates: [],
      }));
      return server;
    });
    try {
      await upstream.connect();
      assert.deepEqual(upstream.tools, []);
      assert.deepEqual(upstream.declarations, [
        "/** 1 resources, 0 resource templates. */",
        "const $resources: McpResources;",
      ]);
      assert.deepEqual(await callMethod(upstream, "$resources.list"), [
        { uri: "only://one", name: "one" },
      ]);
    } finally {
      await upstream.close();
    }
  },
});

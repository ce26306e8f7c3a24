/**
 * Sessions: a `state` namespace kept between runs that name the same session,
 * scoped to the caller, through the library, HTTP and MCP; its size cap,
 * expiry, counting against `maxToolCalls`, and a file store that outlives
 * the broker.
 */

import { deferred } from "../../_async.ts";
import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { z } from "zod";
import {
  type Broker,
  type BrokerOptions,
  createBroker,
  createMcpServer,
  defineTool,
  type ExecuteResult,
  type McpServerOptions,
} from "../../../mod.ts";
import { createHttpApp, type HttpApp } from "../../../broker/http/app.ts";
import { MemorySessionStore } from "../../../broker/state/session_store.ts";
import { FileSessionStore } from "../../../broker/state/session_file_store.ts";

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

function broker(options: BrokerOptions = {}): Promise<Broker> {
  return createBroker({ pool: { size: 1 }, ...options });
}

const READ_ALL = `
  const out = {};
  for (const key of await state.keys()) out[key] = await state.get(key);
  return out;
`;

Deno.test("Broker.execute() keeps state between runs of one session", async () => {
  await using b = await broker();
  const session = "chat-1";
  assert.deepEqual(
    value(
      await b.execute(
        `await state.set("count", 1); await state.set("user", { name: "Ada", tags: ["x"] }); await state.keys()`,
        { session },
      ),
    ),
    ["count", "user"],
  );
  assert.deepEqual(
    value(
      await b.execute(
        `
        const count = await state.get("count");
        await state.set("count", count + 1);
        const absent = await state.get("absent");
        return [await state.get("count"), await state.get("user"), absent === undefined, await state.keys()];
      `,
        { session },
      ),
    ),
    [2, { name: "Ada", tags: ["x"] }, true, ["count", "user"]],
  );
  assert.deepEqual(
    value(
      await b.execute(
        `[await state.delete("user"), await state.delete("user"), await state.keys()]`,
        { session },
      ),
    ),
    [true, false, ["count"]],
  );
  assert.deepEqual(value(await b.execute(READ_ALL, { session })), {
    count: 2,
  });
});

Deno.test("Broker.execute() keeps sessions apart, and one caller's sessions from another's", async () => {
  await using b = await broker();
  await b.execute(`await state.set("who", "a")`, { session: "a" });
  await b.execute(`await state.set("who", "alice")`, {
    session: "shared",
    caller: "alice",
  });
  await b.execute(`await state.set("who", "bob")`, {
    session: "shared",
    caller: "bob",
  });
  const read = (options: { session: string; caller?: string }) =>
    b.execute(
      `[await state.keys(), await state.get("who") ?? "absent"]`,
      options,
    );
  assert.deepEqual(value(await read({ session: "a" })), [["who"], "a"]);
  assert.deepEqual(value(await read({ session: "b" })), [[], "absent"]);
  assert.deepEqual(value(await read({ session: "shared", caller: "alice" })), [
    ["who"],
    "alice",
  ]);
  assert.deepEqual(value(await read({ session: "shared", caller: "bob" })), [
    ["who"],
    "bob",
  ]);
  // "library" is the default caller: a distinct scope again.
  assert.deepEqual(value(await read({ session: "shared" })), [[], "absent"]);
  assert.deepEqual(
    value(await read({ session: "shared", caller: "library" })),
    [[], "absent"],
  );
  // A caller cannot reach another scope by putting the separator in a name.
  assert.deepEqual(
    value(await read({ session: 'shared"]', caller: 'alice","' })),
    [[], "absent"],
  );
});

Deno.test("Broker.execute() gives no state global to a run without a session", async () => {
  await using b = await broker();
  assert.deepEqual(
    value(
      await b.execute(
        `[typeof state, typeof globalThis.state, "state" in globalThis]`,
      ),
    ),
    ["undefined", "undefined", false],
  );
  assert.deepEqual(
    failure(await b.execute(`await state.get("x")`)),
    { code: "runtime_error", message: "ReferenceError: state is not defined" },
  );
  assert.deepEqual(
    value(
      await b.execute(
        `[typeof state, Object.keys(state), Object.isFrozen(state)]`,
        { session: "s" },
      ),
    ),
    ["object", ["get", "set", "delete", "keys"], true],
  );
  assert.equal(b.types().includes("state"), false);
});

Deno.test("Broker.execute() rejects a session id that is empty, too long or not a string", async () => {
  await using b = await broker();
  for (
    const [session, got] of [
      ["", "0 characters"],
      ["x".repeat(257), "257 characters"],
      [42, "number"],
    ] as const
  ) {
    await assert.rejects(
      () => b.execute("1", { session: session as string }),
      {
        name: "TypeError",
        message: `Session must be a string of 1 to 256 characters, got ${got}`,
      },
    );
  }
  assert.equal(
    value(await b.execute(`typeof state`, { session: "x".repeat(256) })),
    "object",
  );
});

Deno.test("state methods reject bad keys and a missing value as catchable validation errors", async () => {
  await using b = await broker();
  const result = value(
    await b.execute(
      `
      const out = [];
      const attempts = [
        () => state.set("", 1),
        () => state.get("k".repeat(1025)),
        () => state.delete(7),
        () => state.set("k"),
      ];
      for (const attempt of attempts) {
        try { await attempt(); out.push("no error"); } catch (e) { out.push([e.code, e.tool, e.message]); }
      }
      try { await state.set("f", () => 1); } catch (e) { out.push([e.name, e.message]); }
      out.push(await state.keys());
      return out;
    `,
      { session: "s" },
    ),
  );
  assert.deepEqual(result, [
    [
      "validation_error",
      "state.set",
      "Invalid input for state.set: key must be a string of 1 to 1024 characters, got 0 characters",
    ],
    [
      "validation_error",
      "state.get",
      "Invalid input for state.get: key must be a string of 1 to 1024 characters, got 1025 characters",
    ],
    [
      "validation_error",
      "state.delete",
      "Invalid input for state.delete: key must be a string of 1 to 1024 characters, got number",
    ],
    [
      "validation_error",
      "state.set",
      "Invalid input for state.set: state.set needs a value (state.delete removes a key)",
    ],
    [
      "Error",
      "Cannot serialize a function at input[1] (in a call to state.set)",
    ],
    [],
  ]);
});

Deno.test("state operations count against maxToolCalls", async () => {
  await using b = await broker();
  const within = await b.execute(
    `await state.set("a", 1); await state.get("a"); await state.keys(); "done"`,
    { session: "s", limits: { maxToolCalls: 3 } },
  );
  assert.equal(value(within), "done");
  assert.equal(within.stats.toolCalls, 3);
  const over = await b.execute(
    `await state.set("b", 2); await state.get("b"); await state.delete("a"); await state.keys(); "done"`,
    { session: "s", limits: { maxToolCalls: 3 } },
  );
  assert.deepEqual(failure(over), {
    code: "limit_exceeded",
    message: "Run made more than 3 tool calls",
    limit: "maxToolCalls",
  });
  assert.equal(over.stats.toolCalls, 3);
  // The three operations before the limit took effect.
  assert.deepEqual(value(await b.execute(READ_ALL, { session: "s" })), {
    b: 2,
  });
});

Deno.test("state operations are not rolled back when the run later fails", async () => {
  await using b = await broker();
  const failed = await b.execute(
    `await state.set("a", 1); await state.set("b", 2); await state.delete("a"); throw new Error("after the writes")`,
    { session: "s" },
  );
  assert.deepEqual(failure(failed), {
    code: "runtime_error",
    message: "Error: after the writes",
  });
  const timedOut = await b.execute(
    `await state.set("c", 3); while (true) {}`,
    { session: "s", limits: { timeoutMs: 300 } },
  );
  assert.equal(failure(timedOut).code, "timeout");
  assert.deepEqual(value(await b.execute(READ_ALL, { session: "s" })), {
    b: 2,
    c: 3,
  });
});

Deno.test("A session past sessions.maxBytes ends the run with limit_exceeded and keeps its earlier writes", async () => {
  await using b = await broker({ sessions: { maxBytes: 64 } });
  // {"small":"x"} is 13 bytes; with "big" it would pass 64.
  const run = await b.execute(
    `
    await state.set("small", "x");
    try {
      await state.set("big", "y".repeat(60));
    } catch (e) {
      return "caught " + e.code; // not catchable: the broker ends the run
    }
    return "stored";
  `,
    { session: "s" },
  );
  assert.deepEqual(failure(run), {
    code: "limit_exceeded",
    message: "Session state would be 82 bytes, more than the limit of 64",
    limit: "sessionBytes",
  });
  assert.equal(run.stats.toolCalls, 2);
  assert.deepEqual(value(await b.execute(READ_ALL, { session: "s" })), {
    small: "x",
  });
  // Exactly the limit is accepted: {"small":"x","k":"<44 chars>"} is 64 bytes.
  const fits = await b.execute(`await state.set("k", "z".repeat(44)); 1`, {
    session: "s",
  });
  assert.equal(value(fits), 1);
  // Deleting frees room; the cap counts UTF-8 bytes (25 characters, 50 bytes).
  const utf8 = await b.execute(
    `await state.delete("k"); await state.set("e", "é".repeat(25)); 1`,
    { session: "s" },
  );
  assert.deepEqual(failure(utf8), {
    code: "limit_exceeded",
    message: "Session state would be 70 bytes, more than the limit of 64",
    limit: "sessionBytes",
  });
  assert.deepEqual(value(await b.execute(READ_ALL, { session: "s" })), {
    small: "x",
  });
});

Deno.test("A session expires sessions.ttlMs after the last run that used it", async () => {
  let now = 1_000_000;
  const store = new MemorySessionStore({ now: () => now });
  await using b = await broker({ sessions: { store, ttlMs: 1000 } });
  await b.execute(`await state.set("a", 1)`, { session: "s" });
  await b.execute(`await state.set("a", 1)`, { session: "other" });

  now += 999;
  // A run that only reads still refreshes the expiry when it starts.
  assert.deepEqual(value(await b.execute(READ_ALL, { session: "s" })), {
    a: 1,
  });
  now += 999; // 1998 ms after the write, 999 after the last run
  assert.deepEqual(value(await b.execute(READ_ALL, { session: "s" })), {
    a: 1,
  });
  assert.deepEqual(value(await b.execute(READ_ALL, { session: "other" })), {});

  now += 1000; // exactly ttlMs after the last run
  assert.deepEqual(
    value(
      await b.execute(
        `[await state.keys(), await state.get("a") ?? "absent"]`,
        {
          session: "s",
        },
      ),
    ),
    [[], "absent"],
  );
  // An expired session starts afresh.
  await b.execute(`await state.set("b", 2)`, { session: "s" });
  assert.deepEqual(value(await b.execute(READ_ALL, { session: "s" })), {
    b: 2,
  });
});

Deno.test("Concurrent runs of one session see each other's writes, and the last write wins", async () => {
  const signals = new Map<
    string,
    { promise: Promise<void>; resolve: () => void }
  >();
  const signal = (name: string) => {
    if (!signals.has(name)) signals.set(name, deferred());
    return signals.get(name)!;
  };
  await using b = await broker({
    pool: { size: 2 },
    providers: {
      sync: {
        signal: defineTool({
          input: z.object({ name: z.string() }),
          execute: ({ name }) => signal(name).resolve(),
        }),
        wait: defineTool({
          input: z.object({ name: z.string() }),
          execute: ({ name }) => signal(name).promise,
        }),
      },
    },
  });
  const first = b.execute(
    `
    await state.set("k", "first");
    await sync.signal({ name: "first wrote" });
    await sync.wait({ name: "second wrote" });
    const seen = await state.get("k");
    await state.set("k", "first again");
    await sync.signal({ name: "first wrote again" });
    return seen;
  `,
    { session: "s" },
  );
  const second = b.execute(
    `
    await sync.wait({ name: "first wrote" });
    const seen = await state.get("k");
    await state.set("k", "second");
    await sync.signal({ name: "second wrote" });
    await sync.wait({ name: "first wrote again" });
    return [seen, await state.get("k")];
  `,
    { session: "s" },
  );
  assert.equal(value(await first), "second");
  assert.deepEqual(value(await second), ["first", "first again"]);
  assert.deepEqual(value(await b.execute(READ_ALL, { session: "s" })), {
    k: "first again",
  });
});

Deno.test("FileSessionStore keeps a session across brokers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "execbox_sessions_" });
  try {
    {
      await using first = await broker({
        sessions: { store: new FileSessionStore({ dir }) },
      });
      await first.execute(
        `await state.set("cursor", { page: 2 }); await state.set("seen", ["a"])`,
        { session: "chat", caller: "alice" },
      );
    }
    await using second = await broker({
      sessions: { store: new FileSessionStore({ dir }) },
    });
    assert.deepEqual(
      value(
        await second.execute(READ_ALL, { session: "chat", caller: "alice" }),
      ),
      { cursor: { page: 2 }, seen: ["a"] },
    );
    assert.deepEqual(
      value(await second.execute(READ_ALL, { session: "chat", caller: "bob" })),
      {},
    );
    // No session id reaches a file name.
    for await (const entry of Deno.readDir(dir)) {
      assert.match(entry.name, /^[0-9a-f]{64}\.json$/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A client of a new MCP server over an in-memory transport. */
async function mcpClient(b: Broker, options?: McpServerOptions) {
  const server = createMcpServer(b, options);
  const client = new Client({ name: "test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  const execute = async (code: string, session?: string) => {
    const result = await client.callTool({
      name: "execute",
      arguments: session === undefined ? { code } : { code, session },
    });
    return result.structuredContent as unknown as ExecuteResult;
  };
  return {
    execute,
    async [Symbol.asyncDispose]() {
      await client.close();
      await server.close();
    },
  };
}

Deno.test("createMcpServer() keeps state per session argument, scoped to its caller", async () => {
  await using b = await broker();
  await using mcp = await mcpClient(b);
  await using other = await mcpClient(b, { caller: "agent-2" });
  await using library = await mcpClient(b, { caller: "library" });

  assert.deepEqual(
    value(
      await mcp.execute(`await state.set("n", 1); await state.keys()`, "s"),
    ),
    ["n"],
  );
  assert.equal(value(await mcp.execute(`await state.get("n")`, "s")), 1);
  assert.equal(value(await mcp.execute(`typeof state`)), "undefined");
  assert.deepEqual(value(await mcp.execute(`await state.keys()`, "t")), []);
  // The default caller is "mcp": a client with another caller has its own.
  assert.deepEqual(value(await other.execute(`await state.keys()`, "s")), []);
  assert.deepEqual(value(await b.execute(READ_ALL, { session: "s" })), {});
  assert.deepEqual(
    value(await b.execute(READ_ALL, { session: "s", caller: "mcp" })),
    { n: 1 },
  );
  // The same caller sees the same session through the library and MCP.
  await b.execute(`await state.set("from", "library")`, { session: "lib" });
  assert.equal(
    value(await library.execute(`await state.get("from")`, "lib")),
    "library",
  );

  const tools = await (async () => {
    const server = createMcpServer(b);
    const client = new Client({ name: "test", version: "1.0.0" });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    await client.connect(clientSide);
    try {
      return (await client.listTools()).tools;
    } finally {
      await client.close();
      await server.close();
    }
  })();
  const execute = tools.find((t) => t.name === "execute")!;
  assert.deepEqual(execute.inputSchema.required, ["code"]);
  assert.deepEqual(
    (execute.inputSchema.properties as Record<string, unknown>).session,
    {
      type: "string",
      minLength: 1,
      maxLength: 256,
      description:
        "Keeps a `state` object (get, set, delete, keys) across runs with the same session",
    },
  );
});

/** Posts a run to the app in process, as a token's holder. */
async function post(
  app: HttpApp,
  body: unknown,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await app.fetch(
    new Request("http://127.0.0.1:8080/v1/execute", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    }),
  );
  return { status: response.status, body: await response.json() };
}

const ALICE = "alice-token-1234";
const BOB = "bob-token-5678";

Deno.test("createHttpApp() scopes a session to the named token, the same on /v1/execute and /mcp", async () => {
  await using b = await broker();
  const app = createHttpApp(b, { tokens: { alice: ALICE, bob: BOB } });

  const set = await post(app, {
    code: `await state.set("owner", "alice"); await state.keys()`,
    session: "s",
  }, ALICE);
  assert.equal(set.status, 200);
  assert.deepEqual(set.body.result, ["owner"]);
  const again = await post(
    app,
    { code: `await state.get("owner")`, session: "s" },
    ALICE,
  );
  assert.equal(again.body.result, "alice");
  const bob = await post(
    app,
    { code: `await state.keys()`, session: "s" },
    BOB,
  );
  assert.deepEqual([bob.status, bob.body.result], [200, []]);
  const none = await post(app, { code: `typeof state` }, ALICE);
  assert.equal(none.body.result, "undefined");
  // The token's name is the caller: the library sees it under that name only.
  assert.deepEqual(value(await b.execute(READ_ALL, { session: "s" })), {});
  assert.deepEqual(
    value(await b.execute(READ_ALL, { session: "s", caller: "alice" })),
    { owner: "alice" },
  );

  const bad = await post(app, { code: "1", session: 42 }, ALICE);
  assert.deepEqual(bad, {
    status: 400,
    body: {
      error: {
        code: "invalid_body",
        message:
          '"session" must be a string of 1 to 256 characters, got a number',
      },
    },
  });
  const empty = await post(app, { code: "1", session: "" }, ALICE);
  assert.equal(empty.status, 400);

  for (const [token, expected] of [[ALICE, "alice"], [BOB, undefined]]) {
    const client = new Client({ name: "test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(
      new URL("http://127.0.0.1:8080/mcp"),
      {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
        fetch: async (url, init) => await app.fetch(new Request(url, init)),
      },
    );
    await client.connect(transport);
    try {
      const result = await client.callTool({
        name: "execute",
        arguments: { code: `await state.get("owner")`, session: "s" },
      });
      const run = result.structuredContent as unknown as ExecuteResult;
      assert.equal(value(run), expected);
    } finally {
      await client.close();
    }
  }
});

Deno.test('createHttpApp() with one token scopes sessions to the caller "default"', async () => {
  await using b = await broker();
  const app = createHttpApp(b, { token: ALICE });
  await post(app, { code: `await state.set("a", 1)`, session: "s" }, ALICE);
  assert.deepEqual(
    value(await b.execute(READ_ALL, { session: "s", caller: "default" })),
    { a: 1 },
  );

  const open = createHttpApp(b);
  await post(open, { code: `await state.set("b", 2)`, session: "s" });
  assert.deepEqual(
    value(await b.execute(READ_ALL, { session: "s", caller: "anonymous" })),
    { b: 2 },
  );
});

Deno.test({
  name:
    "Broker.execute() reports a session store that fails as an internal_error result",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "execbox_sessions_" });
    try {
      const file = `${dir}/not-a-directory`;
      await Deno.writeTextFile(file, "");
      const outcomes: string[] = [];
      await using b = await broker({
        sessions: { store: new FileSessionStore({ dir: file }) },
        onRun: (record) => outcomes.push(record.outcome),
      });
      const run = await b.execute(`await state.set("a", 1)`, { session: "s" });
      assert.deepEqual(failure(run), {
        code: "internal_error",
        message: "Session store failed: Cannot read session state: ENOTDIR",
      });
      assert.deepEqual(outcomes, ["internal_error"]);
      assert.equal(value(await b.execute("2")), 2);
      assert.equal(b.status().running, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

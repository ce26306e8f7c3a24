import assert from "node:assert/strict";
import { z } from "zod";
import {
  type Broker,
  createBroker,
  defineTool,
  ExecboxError,
  type ExecuteResult,
  type ToolCall,
} from "../../../mod.ts";
import {
  everythingServer,
  filesystemServer,
  groupMembers,
  memoryServer,
  slowServer,
  type SpawnLog,
  spawnLog,
  waitForFile,
} from "../../_mcp_servers.ts";
import {
  startSseUpstream,
  startStreamableHttpUpstream,
} from "./_http_upstreams.ts";

/** The value of a run, after checking that it succeeded. */
function value(run: ExecuteResult): unknown {
  assert.equal(run.ok, true, JSON.stringify(run));
  return run.ok ? run.result : undefined;
}

/** The error of a run, after checking that it failed. */
function failure(run: ExecuteResult): { code: string; message: string } {
  assert.equal(run.ok, false, JSON.stringify(run));
  return run.ok ? { code: "", message: "" } : { ...run.error };
}

/** Closes the broker, then checks that no upstream process is left. */
async function closeAndCheck(broker: Broker, host: SpawnLog): Promise<void> {
  await broker.close();
  const groups = host.spawns.filter((s) => s.options.processGroup);
  assert.ok(groups.length > 0);
  for (const { pid, options } of groups) {
    const left = groupMembers(pid).map((member) => {
      try {
        return Deno.readTextFileSync(`/proc/${member}/stat`).slice(0, 80);
      } catch {
        return `${member} (gone meanwhile)`;
      }
    });
    assert.deepEqual(left, [], `process group of ${options.args.join(" ")}`);
  }
}

const SECRET = `tok-${crypto.randomUUID()}`;

Deno.test("Broker offers real stdio MCP servers as guest namespaces", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "execbox-mcp-" });
  const files = `${dir}/files`;
  await Deno.mkdir(files);
  await Deno.writeTextFile(`${files}/notes.txt`, "hello\n");
  const host = spawnLog();
  const calls: ToolCall[] = [];
  let denyWrites = false;
  const broker = await createBroker({
    host,
    pool: { size: 1 },
    secrets: [SECRET],
    providers: {
      notes: {
        "add-note": defineTool({
          description: "Adds a note",
          input: z.object({ text: z.string() }),
          execute: ({ text }) => `noted: ${text}`,
        }),
      },
    },
    mcpServers: {
      everything: everythingServer({ API_TOKEN: SECRET }),
      memory: memoryServer(`${dir}/memory.jsonl`),
      filesystem: filesystemServer(files),
      filtered: {
        ...everythingServer(),
        allowTools: ["echo", "get-*"],
        denyTools: ["get-env", "get-tiny-?mage", "get-resource-*"],
      },
    },
    onToolCall: (call) => {
      calls.push(call);
      if (denyWrites && call.tool === "create_entities") {
        return { deny: "no writes" };
      }
    },
  });
  try {
    await t.step(
      "results are unwrapped: text, JSON and structuredContent",
      async () => {
        const run = await broker.execute(`
        const echo = await everything.echo({ message: "hi" });
        const sum = await everything.get_sum({ a: 2, b: 3 });
        const weather = await everything.get_structured_content({ location: "Chicago" });
        const created = await memory.create_entities({
          entities: [{ name: "Ada", entityType: "person", observations: ["wrote programs"] }],
        });
        const graph = await memory.read_graph({});
        const note = await notes.add_note({ text: "x" });
        return { echo, sum, weather, created, graph, note };
      `);
        const ada = {
          name: "Ada",
          entityType: "person",
          observations: ["wrote programs"],
        };
        const result = value(run) as Record<string, unknown>;
        assert.deepEqual({ ...result, weather: undefined }, {
          echo: "Echo: hi",
          sum: "The sum of 2 and 3 is 5.",
          weather: undefined,
          created: { entities: [ada] },
          graph: { entities: [ada], relations: [] },
          note: "noted: x",
        });
        const weather = result.weather as Record<string, unknown>;
        assert.deepEqual(Object.keys(weather), [
          "temperature",
          "conditions",
          "humidity",
        ]);
        assert.equal(typeof weather.temperature, "number");
        assert.equal(typeof weather.conditions, "string");
      },
    );

    await t.step(
      "types() declares every namespace from the MCP schemas",
      () => {
        const types = broker.types();
        for (
          const namespace of [
            "notes",
            "everything",
            "memory",
            "filesystem",
            "filtered",
          ]
        ) {
          assert.ok(
            types.includes(`declare namespace ${namespace} {`),
            namespace,
          );
        }
        assert.ok(
          types.includes(
            "  function echo(input: { /** Message to echo */ message: string }): Promise<unknown>;",
          ),
        );
        assert.ok(
          types.includes(
            "  function get_sum(input: { /** First number */ a: number; /** Second number */ b: number }): Promise<unknown>;",
          ),
        );
        // outputSchema gives the result type.
        assert.match(
          types,
          /function get_structured_content\(input: \{ \/\*\* Choose city \*\/ location: "New York" \| "Chicago" \| "Los Angeles" \}\): Promise<\{ \/\*\* Temperature in celsius \*\/ temperature: number; /,
        );
        assert.match(
          types,
          /function read_graph\(input\?: \{\}\): Promise<\{ entities: \{ .* \}\[\]; relations: \{ .* \}\[\] \}>;/,
        );
      },
    );

    await t.step("searchTools() finds MCP tools", () => {
      assert.deepEqual(
        broker.searchTools("echo", { detail: "name" }).map((m) => m.path),
        ["everything.echo", "filtered.echo"],
      );
      const [match] = broker.searchTools("sum", { limit: 1 });
      assert.equal(match?.path, "everything.get_sum");
      assert.equal(
        match?.declaration,
        // Called by an earlier step: its text result taught the type.
        "/** Returns the sum of two numbers\n * Return type inferred from results. */\n" +
          "function get_sum(input: { /** First number */ a: number; /** Second number */ b: number }): Promise<string>;",
      );
    });

    await t.step(
      "filesystem reads inside its directory and refuses outside",
      async () => {
        const run = await broker.execute(`
        const listing = await filesystem.list_directory({ path: ${
          JSON.stringify(files)
        } });
        const file = await filesystem.read_text_file({ path: ${
          JSON.stringify(`${files}/notes.txt`)
        } });
        let outside;
        try {
          await filesystem.read_text_file({ path: "/etc/passwd" });
        } catch (e) {
          outside = [e.code, e.tool, e.message];
        }
        return { listing, file, outside };
      `);
        const result = value(run) as { outside: string[] };
        assert.deepEqual(result, {
          listing: { content: "[FILE] notes.txt" },
          file: { content: "hello\n" },
          outside: [
            "tool_error",
            "filesystem.read_text_file",
            result.outside[2],
          ],
        });
        assert.match(
          result.outside[2]!,
          /^Access denied - path outside allowed directories: \/etc\/passwd not in /,
        );
        const uncaught = await broker.execute(
          `await filesystem.read_text_file({ path: "/etc/passwd" })`,
        );
        const error = failure(uncaught);
        assert.equal(error.code, "tool_error");
        assert.equal(error.message, result.outside[2]);
      },
    );

    await t.step("onToolCall sees MCP and host calls", async () => {
      calls.length = 0;
      value(
        await broker.execute(`
          await everything.get_sum({ a: 1, b: 2 });
          await notes.add_note({ text: "y" });
          await memory.read_graph({});
        `),
      );
      assert.deepEqual(calls, [
        {
          namespace: "everything",
          tool: "get_sum",
          originalName: "get-sum",
          args: { a: 1, b: 2 },
        },
        {
          namespace: "notes",
          tool: "add_note",
          originalName: "add-note",
          args: { text: "y" },
        },
        {
          namespace: "memory",
          tool: "read_graph",
          originalName: "read_graph",
          args: {},
        },
      ]);
    });

    await t.step(
      "onToolCall denies a call with a catchable tool_error",
      async () => {
        denyWrites = true;
        const write =
          `memory.create_entities({ entities: [{ name: "Bob", entityType: "person", observations: [] }] })`;
        const caught = await broker.execute(`
        let error;
        try { await ${write}; } catch (e) { error = [e.code, e.tool, e.message]; }
        const graph = await memory.read_graph({});
        return { error, names: graph.entities.map((e) => e.name) };
      `);
        assert.deepEqual(value(caught), {
          error: [
            "tool_error",
            "memory.create_entities",
            "Call to memory.create_entities was denied: no writes",
          ],
          names: ["Ada"],
        });
        assert.deepEqual(failure(await broker.execute(`await ${write}`)), {
          code: "tool_error",
          message: "Call to memory.create_entities was denied: no writes",
        });
        denyWrites = false;
      },
    );

    await t.step(
      "allowTools and denyTools hide tools from the list and the guest",
      async () => {
        assert.deepEqual(
          broker.tools().filter((tool) => tool.namespace === "filtered").map((
            tool,
          ) => tool.originalName),
          [
            "echo",
            "get-annotated-message",
            "get-structured-content",
            "get-sum",
          ],
        );
        const run = await broker.execute(`
        const names = Object.keys(filtered).filter((n) => !n.startsWith("$"));
        const sum = await filtered.get_sum({ a: 1, b: 1 });
        let hidden;
        try { await filtered.get_env({}); } catch (e) { hidden = [e.name, e.message]; }
        return { names, sum, hidden };
      `);
        assert.deepEqual(value(run), {
          names: [
            "echo",
            "get_annotated_message",
            "get_structured_content",
            "get_sum",
          ],
          sum: "The sum of 1 and 1 is 2.",
          hidden: ["TypeError", "filtered.get_env is not a function"],
        });
      },
    );

    await t.step(
      "a secret in the upstream's environment never reaches the guest",
      async () => {
        const run = await broker.execute(`await everything.get_env({})`);
        const env = value(run) as Record<string, string>;
        assert.equal(env.API_TOKEN, "[redacted]");
        assert.ok(!JSON.stringify(run).includes(SECRET));
        // The broker passes on only the SDK's safe environment plus `env`.
        assert.equal(
          env.NODE_EXTRA_CA_CERTS,
          Deno.env.get("NODE_EXTRA_CA_CERTS"),
        );
        assert.equal("MEMORY_FILE_PATH" in env, false);
      },
    );
  } finally {
    await closeAndCheck(broker, host);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createBroker() rejects with mcp_unavailable when an MCP server cannot start", async (t) => {
  await t.step("a missing executable", async () => {
    await assert.rejects(
      createBroker({
        pool: { size: 0 },
        mcpServers: { broken: { command: "/nonexistent/server" } },
      }),
      (error: unknown) => {
        assert.ok(error instanceof ExecboxError);
        assert.equal(error.code, "mcp_unavailable");
        assert.equal(
          error.message,
          'MCP server "broken" failed to start: MCP error -32000: Connection closed; stderr: setsid: failed to execute /nonexistent/server: No such file or directory',
        );
        return true;
      },
    );
  });

  await t.step("a server that exits with a message on stderr", async () => {
    const host = spawnLog();
    await assert.rejects(
      createBroker({
        host,
        pool: { size: 0 },
        mcpServers: {
          "needs-key": {
            command: "sh",
            args: ["-c", "echo 'fatal: API_KEY is not set' >&2; exit 3"],
          },
        },
      }),
      (error: unknown) => {
        assert.ok(error instanceof ExecboxError);
        assert.equal(error.code, "mcp_unavailable");
        assert.equal(
          error.message,
          'MCP server "needs-key" failed to start: MCP error -32000: Connection closed; stderr: fatal: API_KEY is not set',
        );
        return true;
      },
    );
  });

  await t.step(
    "optional: the broker starts with an empty namespace",
    async () => {
      await using broker = await createBroker({
        pool: { size: 1 },
        mcpServers: {
          broken: { command: "/nonexistent/server", optional: true },
        },
      });
      assert.deepEqual(
        broker.tools().filter((tool) => tool.namespace === "broken"),
        [],
      );
      assert.deepEqual(
        value(await broker.execute("[typeof broken, Object.keys(broken)]")),
        ["object", []],
      );
    },
  );
});

Deno.test("Broker handles a stdio upstream that blocks, dies, samples and talks", async (t) => {
  const markers = await Deno.makeTempDir({ prefix: "execbox-markers-" });
  await Deno.mkdir(`${markers}/impatient`);
  const host = spawnLog();
  const broker = await createBroker({
    host,
    pool: { size: 1 },
    mcpServers: {
      slow: slowServer(markers),
      impatient: { ...slowServer(`${markers}/impatient`), timeout: 300 },
    },
  });
  // The spawns of `slow` (`impatient` leaves its markers elsewhere).
  const serverPids = () =>
    host.spawns.filter((s) => s.options.env.MARKER_DIR === markers).map((s) =>
      s.pid
    );
  try {
    await t.step(
      "the tool runs in the process the broker spawned",
      async () => {
        assert.deepEqual(
          value(await broker.execute("(await slow.pid({})).pid")),
          serverPids()[0],
        );
      },
    );

    await t.step(
      "a server killed during a call fails the run, and the next run reconnects",
      async () => {
        const [pid] = serverPids();
        const run = broker.execute(`await slow.slow({ tag: "kill" })`);
        await waitForFile(`${markers}/kill.started`);
        Deno.kill(-pid!, "SIGKILL");
        assert.deepEqual(failure(await run), {
          code: "tool_error",
          message: 'MCP server "slow" disconnected during a call to slow',
        });
        const next = value(await broker.execute("(await slow.pid({})).pid"));
        assert.equal(serverPids().length, 2);
        assert.equal(next, serverPids()[1]);
        assert.notEqual(next, pid);
      },
    );

    await t.step("cancelling a run cancels its upstream request", async () => {
      const controller = new AbortController();
      const run = broker.execute(`await slow.slow({ tag: "signal" })`, {
        signal: controller.signal,
      });
      await waitForFile(`${markers}/signal.started`);
      controller.abort();
      assert.deepEqual(failure(await run), {
        code: "cancelled",
        message: "Run was cancelled",
      });
      await waitForFile(`${markers}/signal.aborted`);
    });

    await t.step("a run's timeout cancels its upstream request", async () => {
      const run = await broker.execute(`await slow.slow({ tag: "timeout" })`, {
        limits: { timeoutMs: 2500 },
      });
      assert.deepEqual(failure(run), {
        code: "timeout",
        message: "Run exceeded the time limit of 2500 ms",
      });
      await waitForFile(`${markers}/timeout.started`, 0);
      await waitForFile(`${markers}/timeout.aborted`);
    });

    await t.step(
      "a call past the server's timeout fails and is cancelled upstream",
      async () => {
        const run = await broker.execute(`
        try { await impatient.slow({ tag: "late" }); } catch (e) { return [e.code, e.message]; }
      `);
        assert.deepEqual(value(run), [
          "tool_error",
          'MCP server "impatient" did not answer slow within 300 ms',
        ]);
        await waitForFile(`${markers}/impatient/late.aborted`);
      },
    );

    await t.step(
      "server-initiated sampling is refused, not left hanging",
      async () => {
        const run = await broker.execute(
          `try { await slow.sample({}); } catch (e) { return [e.code, e.message]; }`,
        );
        assert.deepEqual(value(run), [
          "tool_error",
          "sampling failed: MCP error -32601: Method not found",
        ]);
      },
    );

    await t.step(
      "log and progress notifications become the run's logs",
      async () => {
        const run = await broker.execute(
          `console.log("before"); const r = await slow.chatty({}); console.log("after"); r`,
        );
        assert.equal(value(run), "done");
        assert.deepEqual(run.logs, [
          { level: "log", message: "before" },
          { level: "warn", message: "[slow] disk is full" },
          { level: "info", message: '[slow] {"step":1}' },
          { level: "info", message: "[slow] chatty progress 1/2: step 1" },
          { level: "info", message: "[slow] chatty progress 2/2: step 2" },
          { level: "log", message: "after" },
        ]);
      },
    );
  } finally {
    await closeAndCheck(broker, host);
    await Deno.remove(markers, { recursive: true });
  }
});

Deno.test("Broker.close() ends every process in a stdio upstream's process group", async () => {
  const markers = await Deno.makeTempDir({ prefix: "execbox-markers-" });
  const host = spawnLog();
  const { command, args, env } = slowServer(markers);
  // Like `npx`, the server's command leaves a second process behind it.
  const broker = await createBroker({
    host,
    pool: { size: 0 },
    mcpServers: {
      wrapped: {
        command: "sh",
        args: ["-c", 'sleep 1000 & exec "$0" "$@"', command, ...args!],
        env: env!,
      },
    },
  });
  try {
    const [spawned] = host.spawns.filter((s) => s.options.command === "sh");
    assert.equal(
      value(await broker.execute("(await wrapped.pid({})).pid")),
      spawned!.pid,
    );
    assert.equal(groupMembers(spawned!.pid).length, 2);
  } finally {
    await closeAndCheck(broker, host);
    await Deno.remove(markers, { recursive: true });
  }
});

Deno.test("Broker reaches MCP servers over Streamable HTTP and SSE and hides their headers", async (t) => {
  await using streamable = startStreamableHttpUpstream();
  await using sse = await startSseUpstream();
  const authorization = `Bearer ${SECRET}`;
  const headers = { Authorization: authorization };
  const broker = await createBroker({
    pool: { size: 1 },
    mcpServers: {
      streamable: { url: `${streamable.origin}/mcp`, headers },
      fallback: { url: `${sse.origin}/sse`, headers },
      legacy: { type: "sse", url: `${sse.origin}/sse`, headers },
    },
  });
  try {
    await t.step("every transport works and sends the headers", async () => {
      const run = await broker.execute(`[
        await streamable.add({ a: 1, b: 2 }),
        await fallback.add({ a: 3, b: 4 }),
        await legacy.add({ a: 5, b: 6 }),
      ]`);
      assert.deepEqual(value(run), [3, 7, 11]);
      assert.ok(streamable.seen.length > 0);
      for (const request of [...streamable.seen, ...sse.seen]) {
        assert.equal(request.authorization, authorization);
      }
      assert.ok(streamable.seen.every((r) => r.path === "/mcp"));
      // The fallback tried Streamable HTTP at the URL first; `legacy` did not.
      assert.deepEqual(
        sse.seen.filter((r) => r.path === "/sse").map((r) => r.method).sort(),
        ["GET", "GET", "POST"],
      );
      assert.ok(sse.seen.some((r) => r.path === "/messages"));
    });

    await t.step(
      "a header value never reaches the guest, its errors or logs",
      async () => {
        const run = await broker.execute(`
        const out = [];
        for (const ns of [streamable, fallback, legacy]) {
          try { await ns.whoami({}); } catch (e) { out.push(e.message); }
        }
        out
      `);
        const expected = 'Rejected credentials "[redacted]"';
        assert.deepEqual(value(run), [expected, expected, expected]);
        assert.deepEqual(
          run.logs.filter((l) => l.level === "info"),
          ["streamable", "fallback", "legacy"].map((ns) => ({
            level: "info",
            message: `[${ns}] checking [redacted]`,
          })),
        );
        assert.ok(!JSON.stringify(run).includes(SECRET));
        const uncaught = await broker.execute("await legacy.whoami({})");
        assert.deepEqual(failure(uncaught), {
          code: "tool_error",
          message: expected,
        });
      },
    );
  } finally {
    await broker.close();
  }
});

Deno.test({
  name:
    "Broker hides the credential of an Authorization header, also without its scheme",
  async fn() {
    await using upstream = startStreamableHttpUpstream();
    await using broker = await createBroker({
      pool: { size: 1 },
      mcpServers: {
        api: {
          url: `${upstream.origin}/mcp`,
          headers: { Authorization: `Bearer ${SECRET}` },
        },
      },
    });
    const run = await broker.execute("await api.check_token({})");
    assert.deepEqual(failure(run), {
      code: "tool_error",
      message: "Unknown token [redacted]",
    });
  },
});

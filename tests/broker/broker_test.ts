import { deferred } from "../_async.ts";
import assert from "node:assert/strict";
import { z } from "zod";
import { createBroker, defineTool, ExecboxError } from "../../mod.ts";

const received: unknown[] = [];
const providers = {
  tools: {
    "search-docs": defineTool({
      description: "Searches the docs",
      input: z.object({
        query: z.string(),
        limit: z.number().int().optional(),
      }),
      output: z.array(z.object({ title: z.string() })),
      execute: ({ query, limit }) => {
        received.push({ query, limit });
        return Array.from(
          { length: limit ?? 2 },
          (_, i) => ({ title: `${query} ${i}` }),
        );
      },
    }),
    fail: defineTool({
      description: "Always fails",
      execute: () => {
        throw new Error("boom at /secret/host/path.ts");
      },
    }),
    nothing: defineTool({ execute: () => undefined }),
    bad_output: defineTool({
      output: z.object({ n: z.number() }),
      execute: () => ({ n: "not a number" }) as unknown as { n: number },
    }),
    json_schema: defineTool({
      input: {
        type: "object",
        properties: { n: { type: "integer" } },
        required: ["n"],
      },
      execute: (input) => (input as { n: number }).n * 2,
    }),
  },
};

Deno.test("Broker.execute() runs code and returns results, logs and stats", async (t) => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });

  await t.step("the last expression statement is the result", async () => {
    const r = await broker.execute("const x = 5; x * 2");
    assert.equal(r.ok, true);
    assert.equal(r.ok && r.result, 10);
  });

  await t.step("an explicit return is the result", async () => {
    const r = await broker.execute("if (true) return 'early';\n'late'");
    assert.deepEqual(r.ok && r.result, "early");
  });

  await t.step("undefined leaves result absent, also in JSON", async () => {
    const r = await broker.execute("let x = 1;");
    assert.equal(r.ok, true);
    assert.equal("result" in r, false);
    assert.equal(JSON.parse(JSON.stringify(r)).result, undefined);
  });

  await t.step("toJSON is honoured", async () => {
    const r = await broker.execute(
      "({ at: new Date(0), n: NaN, u: undefined })",
    );
    assert.deepEqual(r.ok && r.result, {
      at: "1970-01-01T00:00:00.000Z",
      n: null,
    });
  });

  await t.step("TypeScript types are stripped", async () => {
    const r = await broker.execute(
      "interface P { x: number }\nconst p: P = { x: 2 } satisfies P;\nenum E { A = 3 }\np.x * E.A",
    );
    assert.equal(r.ok && r.result, 6);
  });

  await t.step("a markdown fence is stripped", async () => {
    const r = await broker.execute("```ts\nconst a: number = 4;\na + 1\n```");
    assert.equal(r.ok && r.result, 5);
  });

  await t.step("console output is kept in order with its level", async () => {
    const r = await broker.execute(
      "console.log('a', { b: 1 }); console.warn('c'); console.error(new Error('d').message); 0",
    );
    assert.deepEqual(r.logs, [
      { level: "log", message: "a { b: 1 }" },
      { level: "warn", message: "c" },
      { level: "error", message: "d" },
    ]);
  });

  await t.step("stats count tool calls", async () => {
    const r = await broker.execute(
      "await tools.search_docs({ query: 'a' }); await tools.search_docs({ query: 'b' }); 1",
    );
    assert.equal(r.stats.toolCalls, 2);
    assert.equal(typeof r.stats.durationMs, "number");
    assert.equal(typeof r.stats.coldStart, "boolean");
  });
});

Deno.test("Broker.execute() calls host tools with checked input and output", async (t) => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });

  await t.step(
    "a zod tool gets its parsed input and returns JSON",
    async () => {
      received.length = 0;
      const r = await broker.execute(
        "const hits = await tools.search_docs({ query: 'deno', limit: 3 }); hits.map((h) => h.title)",
      );
      assert.deepEqual(r.ok && r.result, ["deno 0", "deno 1", "deno 2"]);
      assert.deepEqual(received, [{ query: "deno", limit: 3 }]);
    },
  );

  await t.step("a JSON Schema tool is validated too", async () => {
    const ok = await broker.execute("await tools.json_schema({ n: 21 })");
    assert.equal(ok.ok && ok.result, 42);
    const bad = await broker.execute("await tools.json_schema({ n: 1.5 })");
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.error.code, "validation_error");
    assert.match(
      !bad.ok ? bad.error.message : "",
      /^Invalid input for tools\.json_schema: input\.n: /,
    );
  });

  await t.step(
    "bad input is an uncaught validation_error naming the tool and field",
    async () => {
      received.length = 0;
      const r = await broker.execute("await tools.search_docs({ query: 42 })");
      assert.deepEqual(r.ok ? undefined : r.error, {
        code: "validation_error",
        message:
          "Invalid input for tools.search_docs: input.query: Invalid input: expected string, received number",
      });
      assert.deepEqual(received, []);
    },
  );

  await t.step(
    "a host error is catchable with message, code and tool",
    async () => {
      const r = await broker.execute(
        "try { await tools.fail() } catch (e) { return [e instanceof Error, e.message, e.code, e.tool, String(e.stack).includes('broker')] }",
      );
      assert.deepEqual(r.ok && r.result, [
        true,
        "boom at /secret/host/path.ts",
        "tool_error",
        "tools.fail",
        false,
      ]);
    },
  );

  await t.step(
    "an uncaught host error ends the run with tool_error",
    async () => {
      const r = await broker.execute("await tools.fail(); 1");
      assert.deepEqual(r.ok ? undefined : r.error, {
        code: "tool_error",
        message: "boom at /secret/host/path.ts",
      });
    },
  );

  await t.step("an output that breaks its schema is a tool_error", async () => {
    const r = await broker.execute("await tools.bad_output()");
    assert.equal(!r.ok && r.error.code, "tool_error");
    assert.match(
      !r.ok ? r.error.message : "",
      /^Tool returned a value that does not match its output schema: output\.n: /,
    );
  });

  await t.step("a tool returning undefined gives undefined", async () => {
    const r = await broker.execute("typeof (await tools.nothing())");
    assert.equal(r.ok && r.result, "undefined");
  });

  await t.step(
    "the namespace is frozen and holds only the declared tools",
    async () => {
      const r = await broker.execute(
        "[Object.isFrozen(tools), Object.keys(tools).sort(), typeof tools.search_docs]",
      );
      assert.deepEqual(r.ok && r.result, [
        true,
        ["bad_output", "fail", "json_schema", "nothing", "search_docs"],
        "function",
      ]);
    },
  );
});

Deno.test("Broker.execute() reports syntax errors with the user's line and column", async () => {
  await using broker = await createBroker({ pool: { size: 0 } });
  const before = broker.status().pool.spawned;
  const r = await broker.execute("const a = 1;\nconst b = ;\n");
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.error.code, "syntax_error");
  assert.equal(!r.ok && r.error.line, 2);
  assert.equal(!r.ok && r.error.column, 11);
  // A syntax error is found before any subprocess is used.
  assert.equal(broker.status().pool.spawned, before);
  const imp = await broker.execute('import fs from "node:fs";\nfs');
  assert.equal(!imp.ok && imp.error.code, "syntax_error");
  assert.match(
    !imp.ok ? imp.error.message : "",
    /Import declarations are not supported/,
  );
});

Deno.test("Broker.execute() takes maxCodeBytes per run, before admission", async () => {
  await using broker = await createBroker({
    pool: { size: 0 },
    limits: { maxCodeBytes: 1_100_000 },
  });
  const r = await broker.execute(`"${"x".repeat(1_100_000)}".length`, {
    limits: { maxCodeBytes: 1000 },
  });
  assert.deepEqual(r.ok ? undefined : r.error, {
    code: "limit_exceeded",
    message: "Code is more than the limit of 1000 bytes (1100009 characters)",
    limit: "codeBytes",
  });
  // Refused without a subprocess or a preparation thread.
  assert.equal(broker.status().pool.spawned, 0);
  const big = await broker.execute(`"${"x".repeat(1_099_990)}".length`);
  assert.equal(big.ok && big.result, 1_099_990);
});

Deno.test("Broker.execute() takes per-run limits over the broker's", async () => {
  await using broker = await createBroker({
    pool: { size: 0 },
    limits: { timeoutMs: 30_000 },
  });
  const r = await broker.execute("while (true) {}", {
    limits: { timeoutMs: 300 },
  });
  assert.deepEqual(r.ok ? undefined : r.error, {
    code: "timeout",
    message: "Run exceeded the time limit of 300 ms",
  });
  await assert.rejects(
    () => broker.execute("1", { limits: { timeoutMs: -1 } }),
    {
      name: "RangeError",
      message:
        'Limit "timeoutMs" in execute() options must be a whole number of at least 1, got -1',
    },
  );
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => broker.execute("1", { limits: { timeout: 5 } as any }),
    {
      name: "TypeError",
      message: 'Unknown limit "timeout" in execute() options',
    },
  );
});

Deno.test("Broker.execute() ends a run with cancelled when its signal aborts", async () => {
  const started = deferred();
  const aborted = deferred<string>();
  await using broker = await createBroker({
    pool: { size: 0 },
    providers: {
      host: {
        wait: defineTool({
          execute: (_input, { signal }) => {
            started.resolve();
            return new Promise((_, reject) =>
              signal.addEventListener("abort", () => {
                aborted.resolve("aborted");
                reject(new Error("stopped"));
              })
            );
          },
        }),
      },
    },
  });
  const controller = new AbortController();
  const run = broker.execute("await host.wait()", {
    signal: controller.signal,
  });
  await started.promise;
  controller.abort();
  const r = await run;
  assert.deepEqual(r.ok ? undefined : r.error, {
    code: "cancelled",
    message: "Run was cancelled",
  });
  assert.equal(await aborted.promise, "aborted");
  const already = await broker.execute("1", { signal: AbortSignal.abort() });
  assert.equal(!already.ok && already.error.code, "cancelled");
});

Deno.test("Broker.execute() queues runs beyond maxConcurrency and fails fast when the queue is full", async () => {
  const gate = deferred();
  const entered = deferred();
  await using broker = await createBroker({
    pool: { size: 0 },
    maxConcurrency: 1,
    maxQueue: 1,
    providers: {
      host: {
        gate: defineTool({
          execute: async () => {
            entered.resolve();
            await gate.promise;
            return "opened";
          },
        }),
      },
    },
  });
  const first = broker.execute("await host.gate()");
  await entered.promise;
  const second = broker.execute("2");
  assert.deepEqual(broker.status().running, 1);
  assert.deepEqual(broker.status().queued, 1);
  const third = await broker.execute("3");
  assert.deepEqual(third.ok ? undefined : third.error, {
    code: "limit_exceeded",
    message:
      "Run queue is full: 1 runs executing and 1 waiting (maxConcurrency 1, maxQueue 1)",
    limit: "queue",
  });
  gate.resolve();
  assert.equal(
    (await first).ok && (await first as { result: unknown }).result,
    "opened",
  );
  const r2 = await second;
  assert.equal(r2.ok && r2.result, 2);
  assert.deepEqual(broker.status().running, 0);
});

Deno.test("Broker.execute() lets a queued run be cancelled", async () => {
  const gate = deferred();
  const entered = deferred();
  await using broker = await createBroker({
    pool: { size: 0 },
    maxConcurrency: 1,
    providers: {
      host: {
        gate: defineTool({
          execute: async () => {
            entered.resolve();
            await gate.promise;
          },
        }),
      },
    },
  });
  const first = broker.execute("await host.gate()");
  await entered.promise;
  const controller = new AbortController();
  const queued = broker.execute("2", { signal: controller.signal });
  assert.equal(broker.status().queued, 1);
  controller.abort();
  const r = await queued;
  assert.equal(!r.ok && r.error.code, "cancelled");
  assert.equal(broker.status().queued, 0);
  gate.resolve();
  assert.equal((await first).ok, true);
});

Deno.test("Broker.close() cancels running runs and refuses new ones", async () => {
  const entered = deferred();
  const broker = await createBroker({
    pool: { size: 1 },
    providers: {
      host: {
        hang: defineTool({
          execute: (_input, { signal }) => {
            entered.resolve();
            return new Promise((_, reject) =>
              signal.addEventListener("abort", () => reject(signal.reason))
            );
          },
        }),
      },
    },
  });
  const run = broker.execute("await host.hang()");
  await entered.promise;
  await broker.close();
  const r = await run;
  assert.deepEqual(r.ok ? undefined : r.error, {
    code: "cancelled",
    message: "The broker was closed",
  });
  await assert.rejects(
    () => broker.execute("1"),
    (e) => e instanceof ExecboxError && e.code === "broker_closed",
  );
});

Deno.test("createBroker() rejects bad provider names and options with a clear error", async () => {
  const tool = defineTool({ execute: () => 1 });
  await assert.rejects(
    () => createBroker({ providers: { "my-tools": { a: tool } } }),
    {
      name: "TypeError",
      message:
        'Provider name "my-tools" is not a valid identifier (try "my_tools")',
    },
  );
  await assert.rejects(
    () => createBroker({ providers: { console: { a: tool } } }),
    {
      name: "TypeError",
      message: /^Provider name "console" is a global of the guest/,
    },
  );
  await assert.rejects(
    () => createBroker({ providers: { JSON: { a: tool } } }),
    {
      name: "TypeError",
      message: /^Provider name "JSON" is a global of the guest/,
    },
  );
  await assert.rejects(
    () => createBroker({ limits: { memoryMb: 4 } }),
    {
      name: "RangeError",
      message:
        'Limit "memoryMb" in broker options must be a whole number of at least 16, got 4',
    },
  );
  await assert.rejects(
    () => createBroker({ maxConcurrency: 0 }),
    {
      name: "RangeError",
      message: "maxConcurrency must be a whole number of at least 1, got 0",
    },
  );
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => createBroker({ providers: { t: { a: {} as any } } }),
    { name: "TypeError", message: 'Tool "a" has no execute function' },
  );
});

Deno.test("createBroker() rejects a Deno binary that cannot start", async () => {
  await assert.rejects(
    () => createBroker({ denoPath: "/nonexistent/deno", pool: { size: 1 } }),
    (e) =>
      e instanceof ExecboxError && e.code === "runtime_start" &&
      e.message.startsWith(
        'Cannot start the runtime with Deno at "/nonexistent/deno"',
      ),
  );
});

Deno.test("Broker.types() and Broker.searchTools() describe the guest namespace", async () => {
  await using broker = await createBroker({ providers, pool: { size: 0 } });
  const types = broker.types();
  assert.match(types, /^declare namespace tools \{/);
  assert.match(
    types,
    /\/\*\* Searches the docs \*\/\n {2}function search_docs\(input: \{ query: string; limit\?: number \}\): Promise<\{ title: string \}\[\]>;/,
  );
  const matches = broker.searchTools("docs", { limit: 5, detail: "summary" });
  assert.deepEqual(matches.map((m) => m.path), ["tools.search_docs"]);
  assert.equal(matches[0]?.description, "Searches the docs");
  assert.equal(matches[0]?.declaration, undefined);
  assert.equal(broker.tools().length, 5);
});

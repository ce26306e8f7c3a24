/**
 * Two `execbox serve` replicas (real subprocesses on loopback) sharing one
 * real `redis-server`, with a client that alternates between them.
 */

import assert from "node:assert/strict";
import { redisSkipReason, startRedis, type TestRedis } from "../_redis.ts";
import { repo, serve, type Served, withNotesConfig } from "./_cli.ts";

const ignore = redisSkipReason !== undefined;
const PRIVACY_KEY = "a privacy key of 16+ chars";
const MAX_BYTES = 4096;

interface Run {
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
}

async function execute(
  served: Served,
  code: string,
  session?: string,
): Promise<Run> {
  const response = await fetch(`${served.url}/v1/execute`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code, ...(session ? { session } : {}) }),
  });
  assert.equal(response.status, 200);
  return await response.json();
}

async function readyz(served: Served): Promise<[number, unknown]> {
  const response = await fetch(`${served.url}/readyz`);
  return [response.status, await response.json()];
}

async function storeUp(served: Served, up: boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (true) {
    const [, body] = await readyz(served);
    if ((body as { store?: { up: boolean } }).store?.up === up) return;
    assert.ok(Date.now() < deadline, `store never became up=${up}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stop(served: Served): Promise<void> {
  served.child.kill("SIGTERM");
  assert.equal((await served.exited).code, 0, served.stderr());
}

function withReplicaConfig(
  redis: TestRedis,
  fn: (config: string, env: Record<string, string>) => Promise<void>,
): Promise<void> {
  return withNotesConfig(
    (config) => fn(config, { REDIS_URL: redis.url, PRIVACY_KEY }),
    {
      store: { redis: "${REDIS_URL}", prefix: "replicas:" },
      sessions: { maxBytes: MAX_BYTES },
      privacy: { tokenize: ["email"], key: "${PRIVACY_KEY}" },
    },
  );
}

Deno.test({
  name:
    "execbox serve replicas sharing one Redis share sessions, PII tokens, skills and learned types, respect the cap, and survive a Redis restart",
  ignore,
  fn: async () => {
    await using redis = await startRedis();
    await withReplicaConfig(redis, async (config, env) => {
      const a = await serve(["--config", config], env);
      const b = await serve(["--config", config], env);
      const replicas = [a, b];
      try {
        // Session state: a counter incremented on alternate replicas.
        for (let i = 0; i < 6; i++) {
          const run = await execute(
            replicas[i % 2]!,
            'const n = (await state.get("n")) ?? 0; await state.set("n", n + 1); return n + 1',
            "chat",
          );
          assert.deepEqual(run.result, i + 1, JSON.stringify(run));
        }

        // PII tokens: one session's mapping, whichever replica tokenizes.
        const first = await execute(a, 'return "ann@example.com"', "pii");
        assert.deepEqual(first.result, "[EMAIL_1]");
        const second = await execute(
          b,
          'return ["bob@example.com", "ann@example.com"]',
          "pii",
        );
        assert.deepEqual(second.result, ["[EMAIL_2]", "[EMAIL_1]"]);

        // Skills: saved through one replica, run through the other.
        const saved = await execute(
          a,
          'await skills.save({ name: "double", description: "Doubles a number", code: "return args * 2" })',
        );
        assert.equal(saved.ok, true, JSON.stringify(saved));
        const used = await execute(b, "return await skills.double(21)");
        assert.equal(used.result, 42, JSON.stringify(used));

        // Concurrent writers on both replicas never exceed the session cap.
        const value = "x".repeat(500);
        const writes = await Promise.all(
          Array.from({ length: 16 }, (_, i) =>
            execute(
              replicas[i % 2]!,
              `await state.set("k${i}", ${JSON.stringify(value)}); return ${i}`,
              "cap",
            )),
        );
        const read = await execute(
          a,
          "const out = {}; for (const k of await state.keys()) out[k] = await state.get(k); return out",
          "cap",
        );
        const stored = read.result as Record<string, string>;
        const bytes = new TextEncoder().encode(JSON.stringify(stored)).length;
        assert.ok(bytes <= MAX_BYTES, `${bytes} > ${MAX_BYTES}`);
        const succeeded = writes.filter((w) => w.ok).length;
        assert.equal(Object.keys(stored).length, succeeded);
        assert.ok(succeeded > 0 && succeeded < 16);
        for (const w of writes.filter((w) => !w.ok)) {
          assert.equal(w.error?.code, "limit_exceeded", JSON.stringify(w));
        }

        // Learned types: learned through one replica, a replica started
        // afterwards reads them from Redis.
        const learn = await execute(a, "(await notes.list_notes()).length");
        assert.equal(learn.ok, true, JSON.stringify(learn));
        const c = await serve(["--config", config], env);
        try {
          const types = await (await fetch(`${c.url}/v1/types`)).text();
          assert.match(
            types,
            /function list_notes\(input\?: \{\}\): Promise<string\[\]>;/,
          );
          const seen = await execute(c, 'return await state.get("n")', "chat");
          assert.equal(seen.result, 6);
        } finally {
          await stop(c);
        }

        // Redis stops: state fails naming the store, stateless runs work,
        // the replica stays ready and reports the store down.
        await redis.stop();
        await storeUp(a, false);
        await storeUp(b, false);
        const down = await execute(b, 'return await state.get("n")', "chat");
        assert.equal(down.ok, false);
        assert.equal(down.error?.code, "internal_error");
        assert.equal(
          down.error?.message,
          'Session store failed: Store "redis" is unavailable',
        );
        const lost = await execute(
          a,
          'await skills.save({ name: "triple", description: "Triples", code: "return args * 3" })',
        );
        assert.equal(lost.ok, false);
        assert.match(lost.error!.message, /Store "redis" is unavailable/);
        // A skill this replica has still runs.
        const cached = await execute(a, "return await skills.double(4)");
        assert.equal(cached.result, 8, JSON.stringify(cached));
        const stateless = await execute(a, "return 6 * 7");
        assert.equal(stateless.result, 42);
        assert.deepEqual(await readyz(a), [200, {
          ok: true,
          store: { name: "redis", up: false },
        }]);
        const metrics = await (await fetch(`${a.url}/metrics`)).text();
        assert.match(metrics, /^execbox_store_up\{store="redis"\} 0$/m);

        // Redis is back (empty: no persistence here): both reconnect.
        await redis.start();
        await storeUp(a, true);
        await storeUp(b, true);
        const set = await execute(a, 'await state.set("back", true)', "after");
        assert.equal(set.ok, true, JSON.stringify(set));
        const got = await execute(b, 'return await state.get("back")', "after");
        assert.equal(got.result, true);
        const up = await (await fetch(`${b.url}/metrics`)).text();
        assert.match(up, /^execbox_store_up\{store="redis"\} 1$/m);
      } finally {
        await stop(a);
        await stop(b);
      }
    });
  },
});

Deno.test({
  name:
    "execbox serve fails with a clear error when Redis is unreachable, and starts degraded when optional",
  ignore,
  fn: async () => {
    await using redis = await startRedis();
    await redis.stop();
    await withReplicaConfig(redis, async (config, env) => {
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          `${repo}cli/main.ts`,
          "serve",
          "--port",
          "0",
          "--config",
          config,
        ],
        cwd: repo,
        stdin: "null",
        env: { NO_COLOR: "1", ...env },
      }).output();
      assert.equal(output.code, 1);
      assert.match(
        new TextDecoder().decode(output.stderr),
        new RegExp(
          `^error: Cannot connect to the store at redis://127\\.0\\.0\\.1:${redis.port}: `,
        ),
      );
    });
    await withNotesConfig(async (config) => {
      const served = await serve(["--config", config], {
        REDIS_URL: redis.url,
      });
      try {
        assert.deepEqual(await readyz(served), [200, {
          ok: true,
          store: { name: "redis", up: false },
        }]);
        const run = await execute(served, "return 1");
        assert.equal(run.result, 1);
        await redis.start();
        await storeUp(served, true);
        const state = await execute(
          served,
          'await state.set("a", 1); return await state.get("a")',
          "s",
        );
        assert.equal(state.result, 1);
      } finally {
        await stop(served);
      }
    }, { store: { redis: "${REDIS_URL}", optional: true } });
  },
});

Deno.test({
  name:
    "execbox serve replicas sharing one Redis: a call waiting on one replica is listed and approved through the other",
  ignore,
  fn: async () => {
    await using redis = await startRedis();
    const dir = await Deno.makeTempDir();
    const tokens = { agent: "agent-token-1", ops: "ops-token-1" };
    try {
      const config = `${dir}/execbox.jsonc`;
      await Deno.writeTextFile(
        config,
        JSON.stringify({
          mcpServers: {
            db: {
              command: Deno.execPath(),
              args: [
                "run",
                "-A",
                "--config",
                `${repo}deno.json`,
                `${repo}tests/broker/approval/fixtures/annotated_server.ts`,
              ],
              requireApproval: ["merge_*"],
            },
          },
          store: { redis: "${REDIS_URL}" },
          http: { tokens, approvers: ["ops"] },
        }),
      );
      const env = { REDIS_URL: redis.url };
      const a = await serve(["--config", config], env);
      const b = await serve(["--config", config], env);
      const as = (who: keyof typeof tokens, body?: unknown) => ({
        method: body === undefined ? "GET" : "POST",
        headers: {
          authorization: `Bearer ${tokens[who]}`,
          "content-type": "application/json",
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      try {
        const run = fetch(
          `${a.url}/v1/execute`,
          as("agent", { code: "return await db.merge_items({})" }),
        );
        let approvals: { id: string; tool: string; caller: string }[] = [];
        const deadline = Date.now() + 20_000;
        while (approvals.length === 0) {
          assert.ok(Date.now() < deadline, "no call waited for approval");
          const listed = await fetch(`${b.url}/v1/approvals`, as("ops"));
          assert.equal(listed.status, 200);
          approvals = (await listed.json()).approvals;
          if (approvals.length === 0) {
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        assert.equal(approvals[0]!.tool, "db.merge_items");
        assert.equal(approvals[0]!.caller, "agent");
        const self = await fetch(
          `${b.url}/v1/approvals/${approvals[0]!.id}`,
          as("agent", { approved: true }),
        );
        assert.equal(self.status, 403);
        await self.body?.cancel();
        const decided = await fetch(
          `${b.url}/v1/approvals/${approvals[0]!.id}`,
          as("ops", { approved: true }),
        );
        assert.deepEqual(await decided.json(), {
          id: approvals[0]!.id,
          approved: true,
        });
        const result = await (await run).json();
        assert.equal(result.ok, true, JSON.stringify(result));
        assert.equal(result.result, "merged");
      } finally {
        await stop(a);
        await stop(b);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

import assert from "node:assert/strict";
import { createBroker } from "../../../mod.ts";
import { ExecboxError } from "../../../broker/errors.ts";
import { KvSessionStore } from "../../../broker/store/kv_session_store.ts";
import { RedisKeyValueStore } from "../../../broker/store/redis_key_value_store.ts";
import { redisSkipReason, startRedis, waitFor } from "../../_redis.ts";

const ignore = redisSkipReason !== undefined;
const UTF8 = new TextEncoder();

Deno.test({
  name:
    "KvSessionStore on Redis: two replicas writing one session at once never exceed maxBytes",
  ignore,
  fn: async () => {
    await using redis = await startRedis();
    const kvA = new RedisKeyValueStore({ url: redis.url });
    const kvB = new RedisKeyValueStore({ url: redis.url });
    try {
      await kvA.connect();
      await kvB.connect();
      const replicas = [new KvSessionStore(kvA), new KvSessionStore(kvB)];
      // Each entry is ~110 bytes; 60 writers would need ~6.6 kB.
      const limits = { maxBytes: 2048, ttlMs: 60_000 };
      const value = "x".repeat(100);
      const outcomes = await Promise.allSettled(
        Array.from(
          { length: 60 },
          (_, i) => replicas[i % 2]!.set("s", `k${i}`, value, limits),
        ),
      );
      const keys = await replicas[0]!.keys("s");
      const entries: Record<string, unknown> = {};
      for (const key of keys) entries[key] = await replicas[1]!.get("s", key);
      const bytes = UTF8.encode(JSON.stringify(entries)).length;
      assert.ok(bytes <= limits.maxBytes, `${bytes} > ${limits.maxBytes}`);
      const written = outcomes.filter((o) => o.status === "fulfilled").length;
      // Every write that succeeded is there: none was lost to a race.
      assert.equal(keys.length, written);
      assert.ok(written > 0 && written < 60);
      for (const outcome of outcomes) {
        if (outcome.status === "rejected") {
          assert.ok(outcome.reason instanceof ExecboxError);
          assert.equal(outcome.reason.code, "limit_exceeded");
        }
      }
    } finally {
      await kvA.close();
      await kvB.close();
    }
  },
});

Deno.test({
  name:
    "KvSessionStore on Redis gives a session Redis's expiry, kept by a delete",
  ignore,
  fn: async () => {
    await using redis = await startRedis();
    const kv = new RedisKeyValueStore({ url: redis.url, prefix: "p:" });
    try {
      await kv.connect();
      const sessions = new KvSessionStore(kv);
      await sessions.set("s", "a", 1, { maxBytes: 100, ttlMs: 300 });
      await sessions.set("s", "b", 2, { maxBytes: 100, ttlMs: 300 });
      assert.equal(await sessions.delete("s", "a"), true);
      assert.deepEqual(await sessions.keys("s"), ["b"]);
      assert.deepEqual(await kv.list(""), ["session:s"]);
      // Redis removes it by itself: wait for that, at most 10 s.
      const deadline = Date.now() + 10_000;
      while ((await sessions.keys("s")).length > 0) {
        assert.ok(Date.now() < deadline, "the session never expired");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await kv.close();
    }
  },
});

Deno.test({
  name:
    "Broker with a Redis store: session runs fail internal_error naming the store while it is down, stateless runs keep working",
  ignore,
  fn: async () => {
    await using redis = await startRedis();
    const store = new RedisKeyValueStore({ url: redis.url });
    await using broker = await createBroker({ pool: { size: 1 }, store });
    const first = await broker.execute(
      'await state.set("n", 1); return await state.get("n")',
      { session: "s" },
    );
    assert.deepEqual(first, { ...first, ok: true, result: 1 });
    assert.deepEqual(broker.status().store, { name: "redis", up: true });

    await redis.stop();
    await waitFor(() => broker.status().store?.up === false);
    const down = await broker.execute('return await state.get("n")', {
      session: "s",
    });
    assert.equal(down.ok, false);
    assert.equal(!down.ok && down.error.code, "internal_error");
    assert.equal(
      !down.ok && down.error.message,
      'Session store failed: Store "redis" is unavailable',
    );
    const stateless = await broker.execute("return 1 + 1");
    assert.deepEqual(stateless, { ...stateless, ok: true, result: 2 });

    await redis.start();
    await waitFor(() => broker.status().store?.up === true);
    const back = await broker.execute(
      'await state.set("n", 2); return await state.get("n")',
      { session: "s" },
    );
    assert.deepEqual(back, { ...back, ok: true, result: 2 });
  },
});

Deno.test({
  name: "createBroker() fails when the Redis store is unreachable",
  ignore,
  fn: async () => {
    await using redis = await startRedis();
    await redis.stop();
    const store = new RedisKeyValueStore({ url: redis.url });
    const error = await createBroker({ pool: { size: 0 }, store }).then(
      (b) => b.close(),
      (e) => e,
    );
    assert.ok(error instanceof ExecboxError);
    assert.equal(error.code, "internal_error");
    assert.equal(
      error.message.startsWith(
        `Cannot connect to the store at redis://127.0.0.1:${redis.port}: `,
      ),
      true,
    );
  },
});

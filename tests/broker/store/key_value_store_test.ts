import assert from "node:assert/strict";
import { ExecboxError } from "../../../broker/errors.ts";
import { FileKeyValueStore } from "../../../broker/store/file_key_value_store.ts";
import { MemoryKeyValueStore } from "../../../broker/store/memory_key_value_store.ts";
import { RedisKeyValueStore } from "../../../broker/store/redis_key_value_store.ts";
import {
  redisSkipReason,
  startRedis,
  type TestRedis,
  waitFor,
} from "../../_redis.ts";
import { storeContract } from "./_contract.ts";

let now = 1_000_000;
const clock = () => now;
const advance = (ms: number) => {
  now += ms;
  return Promise.resolve();
};

storeContract("MemoryKeyValueStore", {
  open: () => {
    const store = new MemoryKeyValueStore({ now: clock });
    return Promise.resolve({
      a: store,
      b: store,
      [Symbol.asyncDispose]: () => store.close(),
    });
  },
  advance,
});

storeContract("FileKeyValueStore", {
  open: async () => {
    const dir = await Deno.makeTempDir();
    // One instance: the file store is for one process.
    const store = new FileKeyValueStore({ dir, now: clock });
    return {
      a: store,
      b: store,
      [Symbol.asyncDispose]: async () => {
        await store.close();
        await Deno.remove(dir, { recursive: true });
      },
    };
  },
  advance,
});

storeContract("RedisKeyValueStore", {
  ignore: redisSkipReason !== undefined,
  open: async () => {
    const redis = await startRedis();
    const a = new RedisKeyValueStore({ url: redis.url, prefix: "t1:" });
    const b = new RedisKeyValueStore({ url: redis.url, prefix: "t1:" });
    await a.connect();
    await b.connect();
    return {
      a,
      b,
      [Symbol.asyncDispose]: async () => {
        await a.close();
        await b.close();
        await redis.close();
      },
    };
  },
  // Redis keeps its own clock: let the time pass.
  advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});

async function withRedis(fn: (redis: TestRedis) => Promise<void>) {
  await using redis = await startRedis();
  await fn(redis);
}

const ignore = redisSkipReason !== undefined;

Deno.test({
  name: "RedisKeyValueStore keeps deployments with different prefixes apart",
  ignore,
  fn: () =>
    withRedis(async (redis) => {
      const one = new RedisKeyValueStore({ url: redis.url, prefix: "one:" });
      const two = new RedisKeyValueStore({ url: redis.url, prefix: "two:" });
      try {
        await one.connect();
        await two.connect();
        await one.set("k", "1");
        assert.equal(await two.get("k"), undefined);
        assert.deepEqual(await two.list(""), []);
        assert.deepEqual(await one.list(""), ["k"]);
      } finally {
        await one.close();
        await two.close();
      }
    }),
});

Deno.test({
  name:
    "RedisKeyValueStore.connect() fails clearly on an unreachable Redis, without the password",
  ignore,
  fn: () =>
    withRedis(async (redis) => {
      await redis.stop();
      const store = new RedisKeyValueStore({
        url: `redis://user:hunter2@127.0.0.1:${redis.port}`,
      });
      try {
        const error = await store.connect().then(() => undefined, (e) => e);
        assert.ok(error instanceof ExecboxError);
        assert.equal(error.code, "internal_error");
        assert.match(
          error.message,
          new RegExp(
            `^Cannot connect to the store at redis://127\\.0\\.0\\.1:${redis.port}: `,
          ),
        );
        assert.ok(!error.message.includes("hunter2"));
        assert.equal(store.status().up, false);
      } finally {
        await store.close();
      }
    }),
});

Deno.test({
  name:
    "RedisKeyValueStore.connect() starts degraded when optional, and reconnects by itself",
  ignore,
  fn: () =>
    withRedis(async (redis) => {
      await redis.stop();
      const store = new RedisKeyValueStore({ url: redis.url, optional: true });
      try {
        await store.connect();
        assert.equal(store.status().up, false);
        await assert.rejects(store.get("k"), {
          name: "ExecboxError",
          code: "internal_error",
          message: 'Store "redis" is unavailable',
        });
        await redis.start();
        await waitFor(() => store.status().up);
        await store.set("k", "v");
        assert.equal(await store.get("k"), "v");
      } finally {
        await store.close();
      }
    }),
});

Deno.test({
  name:
    "RedisKeyValueStore fails every command while Redis is down, then reconnects",
  ignore,
  fn: () =>
    withRedis(async (redis) => {
      const store = new RedisKeyValueStore({ url: redis.url });
      try {
        await store.connect();
        await store.set("k", "v");
        await redis.stop();
        await waitFor(() => !store.status().up);
        for (
          const call of [
            () => store.get("k"),
            () => store.set("k", "w"),
            () => store.delete("k"),
            () => store.list(""),
            () => store.compareAndSet("k", undefined, "w"),
          ]
        ) {
          await assert.rejects(call(), {
            code: "internal_error",
            message: 'Store "redis" is unavailable',
          });
        }
        await redis.start();
        await waitFor(() => store.status().up);
        // A fresh server: nothing written while down arrives late.
        assert.equal(await store.get("k"), undefined);
        await store.set("k", "again");
        assert.equal(await store.get("k"), "again");
      } finally {
        await store.close();
      }
    }),
});

Deno.test("RedisKeyValueStore rejects a URL that is not redis://", () => {
  assert.throws(() => new RedisKeyValueStore({ url: "http://x" }), {
    name: "TypeError",
    message: 'Store URL must start with redis:// or rediss://, got "http:"',
  });
});

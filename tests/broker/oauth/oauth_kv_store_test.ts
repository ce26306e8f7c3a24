import assert from "node:assert/strict";
import { KvOAuthStore } from "../../../broker/oauth/oauth_kv_store.ts";
import { MemoryOAuthStore } from "../../../broker/oauth/oauth_store.ts";
import { refreshOnceFetch } from "../../../broker/oauth/refresh_once.ts";
import { MemoryKeyValueStore } from "../../../broker/store/memory_key_value_store.ts";
import { RedisKeyValueStore } from "../../../broker/store/redis_key_value_store.ts";
import { redisSkipReason, startRedis } from "../../_redis.ts";

const KEY = "a store key of 16+ chars";
const RECORD = {
  tokens: {
    access_token: "access-secret-1",
    token_type: "Bearer",
    refresh_token: "refresh-secret-1",
  },
};

Deno.test("KvOAuthStore seals records: the raw value holds no token, and another key or server reads nothing", async () => {
  const kv = new MemoryKeyValueStore();
  const store = new KvOAuthStore(kv, { key: KEY });
  await store.set("github", RECORD);
  assert.deepEqual(await store.get("github"), RECORD);
  const raw = (await kv.get("oauth:github"))!;
  assert.ok(!raw.includes("secret"), raw);
  assert.equal(
    await new KvOAuthStore(kv, { key: "another key of 16+ chars" }).get(
      "github",
    ),
    undefined,
  );
  // Moved to another server's key: the additional data no longer matches.
  await kv.set("oauth:gitlab", raw);
  assert.equal(await store.get("gitlab"), undefined);
  await store.delete("github");
  assert.equal(await store.get("github"), undefined);
});

Deno.test("KvOAuthStore refuses a short key", () => {
  assert.throws(
    () => new KvOAuthStore(new MemoryKeyValueStore(), { key: "short" }),
    {
      name: "RangeError",
      message: "The OAuth store key must be at least 16 characters, got 5",
    },
  );
});

/** A token endpoint on loopback that counts refreshes and rotates tokens. */
function tokenEndpoint() {
  let refreshes = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const body = new URLSearchParams(await request.text());
      if (body.get("grant_type") !== "refresh_token") {
        return new Response("bad", { status: 400 });
      }
      refreshes++;
      // Slow enough for every replica to post before the first answer.
      await new Promise((resolve) => setTimeout(resolve, 200));
      return Response.json({
        access_token: `access-${refreshes}`,
        token_type: "Bearer",
        refresh_token: `rotated-${refreshes}`,
      });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/token`,
    refreshes: () => refreshes,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

function refreshFrom(store: object, url: string) {
  const fetchFn = refreshOnceFetch(fetch, {
    store,
    key: "github",
    url: "https://mcp.example/",
  });
  return async () => {
    const response = await fetchFn(url, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: "refresh-secret-1",
      }),
    });
    return await response.json();
  };
}

Deno.test({
  name:
    "KvOAuthStore on Redis: replicas posting one refresh token at once refresh once and share the answer",
  ignore: redisSkipReason !== undefined,
  fn: async () => {
    await using redis = await startRedis();
    await using endpoint = tokenEndpoint();
    const kvs = [0, 1, 2].map(() => new RedisKeyValueStore({ url: redis.url }));
    try {
      for (const kv of kvs) await kv.connect();
      const replicas = kvs.map((kv) =>
        refreshFrom(new KvOAuthStore(kv, { key: KEY }), endpoint.url)
      );
      const answers = await Promise.all(replicas.map((r) => r()));
      assert.equal(endpoint.refreshes(), 1);
      for (const answer of answers) {
        assert.deepEqual(answer, {
          access_token: "access-1",
          token_type: "Bearer",
          refresh_token: "rotated-1",
        });
      }
      // The shared answer is sealed: no token in Redis in the clear.
      for (const key of await kvs[0]!.list("")) {
        assert.ok(!key.includes("refresh-secret"), key);
        const value = (await kvs[0]!.get(key)) ?? "";
        assert.ok(!value.includes("access-1"), key);
      }
    } finally {
      for (const kv of kvs) await kv.close();
    }
  },
});

Deno.test("refreshOnceFetch with per-replica stores refreshes once per replica (what the shared store prevents)", async () => {
  await using endpoint = tokenEndpoint();
  const replicas = [0, 1].map(() =>
    refreshFrom(new MemoryOAuthStore(), endpoint.url)
  );
  await Promise.all(replicas.map((r) => r()));
  assert.equal(endpoint.refreshes(), 2);
});

Deno.test("KvOAuthStore.shareRefresh() refreshes once when a replica takes the lock just after the holder stored its answer and let go", async () => {
  const kv = new MemoryKeyValueStore();
  let holderDone!: () => void;
  const holderFinished = new Promise<void>((resolve) => (holderDone = resolve));
  // The late replica reads "no answer yet", and only then does the holder
  // store its answer and let go of the lock.
  let delayed = false;
  const late = new Proxy(kv, {
    get(target, name) {
      if (name === "get") {
        return async (key: string) => {
          const value = await target.get(key);
          if (!delayed && key.endsWith(":answer")) {
            delayed = true;
            await holderFinished;
          }
          return value;
        };
      }
      const member = Reflect.get(target, name);
      return typeof member === "function" ? member.bind(target) : member;
    },
  });
  let refreshes = 0;
  const refresh = async () => {
    refreshes++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return {
      status: 200,
      statusText: "OK",
      headers: [["content-type", "application/json"]] as [string, string][],
      body: new TextEncoder().encode(`{"access_token":"a-${refreshes}"}`)
        .buffer as ArrayBuffer,
    };
  };
  const holder = new KvOAuthStore(kv, { key: KEY });
  const other = new KvOAuthStore(late, { key: KEY });
  const first = holder.shareRefresh("github", "refresh-secret-1", refresh)
    .finally(() => holderDone());
  const second = other.shareRefresh("github", "refresh-secret-1", refresh);
  await Promise.all([first, second]);
  assert.equal(refreshes, 1);
});

import assert from "node:assert/strict";
import type { ApprovalRequest } from "../../../broker/approval/approval.ts";
import { ApprovalQueue } from "../../../broker/approval/approval_queue.ts";
import { MemoryKeyValueStore } from "../../../broker/store/memory_key_value_store.ts";
import { RedisKeyValueStore } from "../../../broker/store/redis_key_value_store.ts";
import { redisSkipReason, startRedis } from "../../_redis.ts";
import type { KeyValueStore } from "../../../broker/store/key_value_store.ts";

function request(id: string, caller = "alice"): ApprovalRequest {
  return {
    id,
    runId: `run-${id}`,
    caller,
    tool: "db.merge_items",
    arguments: { note: "x" },
    codeSha256: "0".repeat(64),
    time: new Date(0).toISOString(),
  };
}

async function twoReplicas(
  a: KeyValueStore,
  b: KeyValueStore,
): Promise<void> {
  const holder = new ApprovalQueue({ store: a, pollMs: 10 });
  const other = new ApprovalQueue({ store: b, pollMs: 10 });
  const controller = new AbortController();
  const waiting = holder.handler(request("r1"), { signal: controller.signal });
  // Published: the other replica lists it.
  let listed: ApprovalRequest[] = [];
  while (listed.length === 0) {
    listed = await other.listAnywhere();
  }
  assert.deepEqual(listed.map((r) => r.id), ["r1"]);
  assert.equal(
    await other.decideAnywhere("r1", { approved: true }, { by: "alice" }),
    "self_approval",
  );
  assert.equal(
    await other.decideAnywhere("nope", { approved: true }, { by: "bob" }),
    "not_found",
  );
  assert.equal(
    await other.decideAnywhere("r1", { approved: false, reason: "no" }, {
      by: "bob",
    }),
    "decided",
  );
  // The first decision wins.
  assert.equal(
    await other.decideAnywhere("r1", { approved: true }, { by: "bob" }),
    "not_found",
  );
  assert.deepEqual(await waiting, { approved: false, reason: "no" });
  assert.equal(holder.size, 0);
  // Unpublished once decided.
  let left = await other.listAnywhere();
  while (left.length > 0) left = await other.listAnywhere();
  assert.deepEqual(left, []);
}

Deno.test("ApprovalQueue with a shared store: a call held by one replica is listed and decided through another", async () => {
  const store = new MemoryKeyValueStore();
  await twoReplicas(store, store);
});

Deno.test("ApprovalQueue without a store decides only its own calls", async () => {
  const holder = new ApprovalQueue();
  const other = new ApprovalQueue();
  const controller = new AbortController();
  const waiting = holder.handler(request("r2"), { signal: controller.signal });
  assert.deepEqual(await other.listAnywhere(), []);
  assert.equal(
    await other.decideAnywhere("r2", { approved: true }, { by: "bob" }),
    "not_found",
  );
  controller.abort();
  assert.deepEqual(await waiting, {
    approved: false,
    reason: "no longer waiting",
  });
});

Deno.test({
  name:
    "ApprovalQueue on Redis: a call held by one replica is decided through another",
  ignore: redisSkipReason !== undefined,
  fn: async () => {
    await using redis = await startRedis();
    const a = new RedisKeyValueStore({ url: redis.url });
    const b = new RedisKeyValueStore({ url: redis.url });
    try {
      await a.connect();
      await b.connect();
      await twoReplicas(a, b);
    } finally {
      await a.close();
      await b.close();
    }
  },
});

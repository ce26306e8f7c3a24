import assert from "node:assert/strict";
import { KvSkillStore } from "../../../broker/store/kv_skill_store.ts";
import { MemoryKeyValueStore } from "../../../broker/store/memory_key_value_store.ts";
import type { SavedSkill } from "../../../broker/skills/skill.ts";

function skill(name: string, savedAt: string): SavedSkill {
  return {
    name,
    description: `Skill ${name}`,
    code: "return 1",
    js: '(async function () {"use strict";return 1\n})',
    savedAt,
  };
}

Deno.test("KvSkillStore keeps each caller's skills apart, in save order", async () => {
  const kv = new MemoryKeyValueStore();
  const one = new KvSkillStore(kv);
  const two = new KvSkillStore(kv);
  // Saved from two replicas at once: neither is lost.
  await Promise.all([
    one.save('a":b', skill("z", "2026-01-01T00:00:00.000Z")),
    two.save('a":b', skill("a", "2026-01-02T00:00:00.000Z")),
  ]);
  await one.save("a", skill("only", "2026-01-01T00:00:00.000Z"));
  assert.deepEqual(
    (await two.loadCaller('a":b')).map((s) => s.name),
    ["z", "a"],
  );
  assert.deepEqual(Object.keys(await two.load()).sort(), ["a", 'a":b']);
  assert.equal(await two.delete("a", "only"), true);
  assert.equal(await two.delete("a", "only"), false);
  assert.deepEqual(await one.loadCaller("a"), []);
});

Deno.test("KvSkillStore ignores a damaged value", async () => {
  const kv = new MemoryKeyValueStore();
  await kv.set('skills:"a"', "{not json");
  await kv.set('skills:"b"', '[{"name":"y"}]');
  const store = new KvSkillStore(kv);
  assert.deepEqual(await store.loadCaller("a"), []);
  assert.deepEqual(await store.loadCaller("b"), []);
  assert.deepEqual(await store.load(), {});
});

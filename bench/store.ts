/**
 * What the shared store costs a session run: the guest-timed round trip of
 * `state.set` + `state.get` with sessions in memory (the default) against the
 * same calls with sessions in Redis (a real `redis-server` on loopback), in
 * the same process, alternating, so the machine's load affects both. Needs
 * `redis-server` on PATH. Run on its own:
 * `deno run -A bench/store.ts [--calls N] [--runs N]`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { createBroker, RedisKeyValueStore } from "../mod.ts";
import { startRedis } from "../tests/_redis.ts";
import { median } from "./_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { calls: { type: "string" }, runs: { type: "string" } },
});
const calls = Number(values.calls ?? 200);
const runs = Number(values.runs ?? 7);

const code = `
  const t0 = performance.now();
  for (let i = 0; i < ${calls}; i++) {
    await state.set("k" + (i % 10), { i, text: "x".repeat(100) });
    await state.get("k" + (i % 10));
  }
  return (performance.now() - t0) / ${calls};
`;

await using redis = await startRedis();
await using memory = await createBroker({ pool: { size: 1 } });
await using shared = await createBroker({
  pool: { size: 1 },
  store: new RedisKeyValueStore({ url: redis.url }),
});
const samples = { memory: [] as number[], redis: [] as number[] };
for (let i = 0; i < runs + 1; i++) {
  for (
    const [name, broker] of [["memory", memory], ["redis", shared]] as const
  ) {
    const r = await broker.execute(code, {
      session: `bench-${i}`,
      limits: { timeoutMs: 120_000, maxToolCalls: calls * 2 + 10 },
    });
    if (!r.ok) throw new Error(`${name}: ${r.error.message}`);
    if (i > 0) samples[name].push(r.result as number); // the first warms up
  }
}
const m = median(samples.memory);
const r = median(samples.redis);
await Deno.stdout.write(new TextEncoder().encode(
  `state.set + state.get per iteration, median of ${runs} runs of ${calls}: ` +
    `memory ${m.toFixed(3)} ms, Redis ${r.toFixed(3)} ms (+${
      (r - m).toFixed(3)
    } ms)\n`,
));

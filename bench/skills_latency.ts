/**
 * What saved skills cost a run: the latency of `execute("1 + 1")` for a
 * caller with no skills (the baseline, measured in the same process,
 * interleaved) and for a caller at the caps (50 skills, ~256 KiB of code sent
 * with every run), and of calling one of those skills. Each pair of runs waits
 * for the pool to refill, as `latency.ts` does. Prints medians of several
 * rounds.
 *
 *   deno run -A bench/skills_latency.ts [rounds]
 *
 * @module
 */

import { createBroker, SKILL_CAPS } from "../mod.ts";
import { median, quantile } from "./_stats.ts";

const rounds = Number(Deno.args[0] ?? 5);
const runsPerRound = 20;
const pause = () => new Promise((resolve) => setTimeout(resolve, 40));

await using broker = await createBroker({ pool: { size: 2 } });
// At the caps: 50 skills that together use the caller's 256 KiB.
const perSkill = Math.floor(
  SKILL_CAPS.maxCallerBytes / SKILL_CAPS.maxSkillsPerCaller,
) - 40;
const filler = "x".repeat(perSkill);
const saved = await broker.execute(
  `for (let i = 0; i < ${SKILL_CAPS.maxSkillsPerCaller}; i++) {
    await skills.save({ name: "s" + i, description: "d", code: "const pad = '${filler}'; return args + 1" });
  }
  (await skills.list()).length`,
  { caller: "full", limits: { maxToolCalls: 100, timeoutMs: 60_000 } },
);
if (!saved.ok || saved.result !== SKILL_CAPS.maxSkillsPerCaller) {
  throw new Error(`Saving failed: ${JSON.stringify(saved)}`);
}

const cases = {
  "no skills (baseline)": { code: "1 + 1", caller: "empty", expect: 2 },
  "50 skills, not called": { code: "1 + 1", caller: "full", expect: 2 },
  "50 skills, one called": {
    code: "await skills.s7(1)",
    caller: "full",
    expect: 2,
  },
};
const p50s: Record<string, number[]> = {};
const p99s: Record<string, number[]> = {};
for (let round = 0; round < rounds; round++) {
  const times: Record<string, number[]> = {};
  for (let i = 0; i < runsPerRound + 3; i++) {
    for (const [name, { code, caller, expect }] of Object.entries(cases)) {
      await pause();
      const started = performance.now();
      const run = await broker.execute(code, { caller });
      const elapsed = performance.now() - started;
      if (!run.ok || run.result !== expect) {
        throw new Error(`${name}: ${JSON.stringify(run)}`);
      }
      if (i >= 3) (times[name] ??= []).push(elapsed);
    }
  }
  for (const [name, samples] of Object.entries(times)) {
    (p50s[name] ??= []).push(quantile(samples, 0.5));
    (p99s[name] ??= []).push(quantile(samples, 0.99));
  }
}
const encoder = new TextEncoder();
for (const name of Object.keys(cases)) {
  Deno.stdout.writeSync(encoder.encode(
    `${name.padEnd(24)} p50 ${median(p50s[name]!).toFixed(1)} ms  p99 ${
      median(p99s[name]!).toFixed(1)
    } ms  (median of ${rounds} rounds of ${runsPerRound})\n`,
  ));
}

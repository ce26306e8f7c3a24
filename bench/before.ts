/**
 * (9) What a run costs, before and after: the same latency and throughput
 * measurements run from a checkout of an earlier commit (a `git worktree`
 * this section creates and removes) and from this one, interleaved in the
 * same run so that both see the same machine.
 *
 * @module
 */

import type { Spec } from "./_child.ts";
import { fmt, fmtSpread, type Spread, spread } from "./_stats.ts";
import type { LatencySample } from "./latency.ts";
import type { ThroughputSample } from "./throughput.ts";

/**
 * The commit compared against: `main` before the work on cheaper runs
 * (issue 15).
 */
export const BEFORE_REF = "d6168d9";

/** Runs one spec in a fresh process from the checkout at `root`. */
export type ChildRunner = <T>(spec: Spec, root: string) => Promise<T>;

/** How much to measure. */
export interface BeforeSizes {
  reps: number;
  warmRuns: number;
  coldRuns: number;
  durationMs: number;
}

const _ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

async function _git(args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["-C", _ROOT, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(
      `git ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return text;
}

interface _Side {
  warm: LatencySample[];
  cold: LatencySample[];
  c4: ThroughputSample[];
}

/**
 * Measures both checkouts and renders the section.
 *
 * @param run Starts a measurement process in a checkout.
 * @param z How much to measure.
 * @param status Reports progress.
 * @returns The section's Markdown.
 */
export async function beforeAndAfter(
  run: ChildRunner,
  z: BeforeSizes,
  status: (text: string) => void,
): Promise<string> {
  status("before\n");
  const commit = await _git(["rev-parse", "--short", BEFORE_REF]);
  const dir = await Deno.makeTempDir({ prefix: "execbox-bench-before-" });
  await _git(["worktree", "add", "--detach", dir, BEFORE_REF]);
  const sides: Record<"before" | "after", _Side> = {
    before: { warm: [], cold: [], c4: [] },
    after: { warm: [], cold: [], c4: [] },
  };
  try {
    for (let rep = 0; rep < z.reps; rep++) {
      for (const [name, root] of [["before", dir], ["after", _ROOT]] as const) {
        const side = sides[name];
        const system = "execbox";
        side.warm.push(
          await run<LatencySample>(
            { kind: "latency", system, warm: true, runs: z.warmRuns },
            root,
          ),
        );
        side.cold.push(
          await run<LatencySample>(
            { kind: "latency", system, warm: false, runs: z.coldRuns },
            root,
          ),
        );
        side.c4.push(
          await run<ThroughputSample>({
            kind: "throughput",
            system,
            via: "library",
            concurrency: 4,
            durationMs: z.durationMs,
          }, root),
        );
        status(`  ${name} rep ${rep + 1}/${z.reps}\n`);
      }
    }
  } finally {
    await _git(["worktree", "remove", "--force", dir]).catch(() => {});
  }
  const rows: string[][] = [];
  const row = (
    label: string,
    pick: (s: _Side) => Spread,
    unit: string,
    target: string,
    met: (before: number, after: number) => boolean,
  ) => {
    const before = pick(sides.before);
    const after = pick(sides.after);
    const change = (after.median / before.median - 1) * 100;
    rows.push([
      label,
      fmtSpread(before, unit),
      fmtSpread(after, unit),
      `${change > 0 ? "+" : ""}${fmt(change)}%`,
      target,
      met(before.median, after.median) ? "yes" : "**no**",
    ]);
  };
  const of = <T>(samples: T[], pick: (s: T) => number | undefined) =>
    spread(samples.map((s) => pick(s) ?? NaN));
  row(
    "subprocess CPU per run (c = 4)",
    (s) => of(s.c4, (x) => x.cpuPerRun?.subprocesses),
    "ms",
    "−15% or better",
    (b, a) => a <= b * 0.85,
  );
  row(
    "broker CPU per run (c = 4)",
    (s) => of(s.c4, (x) => x.cpuPerRun?.broker),
    "ms",
    "halved",
    (b, a) => a <= b * 0.5,
  );
  row(
    "runs/s (c = 4, library)",
    (s) => of(s.c4, (x) => x.perSecond),
    "",
    "+20% or better",
    (b, a) => a >= b * 1.2,
  );
  row(
    "warm `1 + 1` p50",
    (s) => of(s.warm, (x) => x.p50),
    "ms",
    "no worse",
    (b, a) => a <= b * 1.05,
  );
  row(
    "cold `1 + 1` p50",
    (s) => of(s.cold, (x) => x.p50),
    "ms",
    "−15% or better",
    (b, a) => a <= b * 0.85,
  );
  return `## 9. What a run costs, before and after

The measurements of sections 1 and 4 for execbox, run from a checkout of
\`${commit}\` (\`main\` before the work on cheaper runs; a \`git worktree\` made
for this run) and from this checkout, alternating, ${z.reps} times each. "No
worse" allows 5% of noise.

${
    [
      "| measure | before | after | change | target | met |",
      "| --- | --- | --- | --- | --- | --- |",
      ...rows.map((r) => `| ${r.join(" | ")} |`),
    ].join("\n")
  }`;
}

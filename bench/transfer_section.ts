/**
 * (10) The data path, before and after (issue 17): the library as it was at
 * {@linkcode TRANSFER_BEFORE_REF}, after the second pass on the data path at
 * {@linkcode TRANSFER_SECOND_PASS_REF} (each unpacked with `git archive` into a
 * temporary directory) and as it is in this checkout, measured interleaved in
 * the same run, with the in-process baselines (`JSON.stringify` + `JSON.parse`,
 * QuickJS, `new Function`) measured in the same run too.
 *
 * @module
 */

import type { Spec } from "./_child.ts";
import { fmt, fmtSpread, type Spread, spread } from "./_stats.ts";
import type { TransferSample, TransferSpec } from "./transfer.ts";
import { TRANSFER_CODE } from "./transfer.ts";

/** `main` before the work on the data path. */
export const TRANSFER_BEFORE_REF = "2c9e709";

/** `main` after the second pass on the data path, before the third (pieces). */
export const TRANSFER_SECOND_PASS_REF = "ea73be7";

/** Runs one spec in a fresh process of this checkout. */
export type TransferRunner = <T>(spec: Spec) => Promise<T>;

/** How much to measure. */
export interface TransferSizes {
  reps: number;
  /** Rows of the timed workloads (100,000: 11 MB of JSON). */
  rows: number;
  /** Rows of the 100 MB tool result. */
  bigRows: number;
  /** Rows of the 10 MB result the guest returns. */
  guestRows: number;
  /** Timed runs per repetition. */
  runs: number;
}

const _ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

async function _unpack(ref: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "execbox-bench-transfer-" });
  const archive = new Deno.Command("git", {
    args: ["-C", _ROOT, "archive", ref],
    stdout: "piped",
  }).spawn();
  const tar = new Deno.Command("tar", {
    args: ["-x", "-C", dir],
    stdin: "piped",
  }).spawn();
  await archive.stdout.pipeTo(tar.stdin);
  const [a, t] = await Promise.all([archive.status, tar.status]);
  if (!a.success || !t.success) throw new Error(`Cannot unpack ${ref}`);
  return dir;
}

/**
 * Measures both sides and renders the section.
 *
 * @param run Starts a measurement process.
 * @param z How much to measure.
 * @param status Reports progress.
 * @returns The section's Markdown.
 */
export async function transferSection(
  run: TransferRunner,
  z: TransferSizes,
  status: (text: string) => void,
): Promise<string> {
  status("transfer\n");
  const dir = await _unpack(TRANSFER_BEFORE_REF);
  const secondDir = await _unpack(TRANSFER_SECOND_PASS_REF);
  const before = `file://${dir}/mod.ts`;
  const second = `file://${secondDir}/mod.ts`;
  // Each side: its key, and the library (undefined: this checkout).
  const sides: [
    string,
    Omit<TransferSpec, "kind" | "system" | "workload" | "rows" | "runs">,
  ][] = [
    ["before", { lib: before }],
    ["second", { lib: second, caps: true }],
    ["after", {}],
  ];
  const samples = new Map<string, TransferSample[]>();
  const add = async (key: string, spec: Omit<TransferSpec, "kind">) => {
    const sample = await run<TransferSample>({ kind: "transfer", ...spec });
    samples.set(key, [...(samples.get(key) ?? []), sample]);
  };
  try {
    for (let rep = 0; rep < z.reps; rep++) {
      const timed = { rows: z.rows, runs: z.runs };
      await add("floor", { system: "function", workload: "floor", ...timed });
      for (const workload of ["nop", "str", "rows", "filter"] as const) {
        for (const [name, side] of sides) {
          await add(`${workload} ${name}`, {
            system: "execbox",
            workload,
            ...timed,
            ...side,
          });
        }
      }
      await add("quickjs", { system: "quickjs", workload: "filter", ...timed });
      await add("function", {
        system: "function",
        workload: "filter",
        ...timed,
      });
      for (const [name, side] of sides) {
        await add(`big ${name}`, {
          system: "execbox",
          workload: "big",
          rows: z.bigRows,
          runs: 1,
          ...side,
        });
        await add(`guest ${name}`, {
          system: "execbox",
          workload: "guestResult",
          rows: z.guestRows,
          runs: 1,
          ...side,
        });
      }
      status(`  rep ${rep + 1}/${z.reps}\n`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.remove(secondDir, { recursive: true }).catch(() => {});
  }
  const of = (key: string, pick: (s: TransferSample) => number): Spread =>
    spread((samples.get(key) ?? []).map(pick));
  const ms = (key: string) => of(key, (s) => s.ms);
  const growth = (key: string) =>
    of(key, (s) => (s.brokerPeakBytes - s.brokerBaseBytes) / s.jsonBytes);
  const failures = [...samples.values()].flat().reduce(
    (n, s) => n + s.failures,
    0,
  );
  const floor = ms("floor");
  const quick = ms("quickjs");
  const rows: string[][] = [];
  const cpu = (key: string) => of(key, (s) => s.cpuMs ?? NaN);
  const row = (
    label: string,
    key: string,
    unit: string,
    pick: (key: string) => Spread,
    target: string,
    met: (after: number) => boolean,
  ) => {
    const b = pick(`${key} before`);
    const f = pick(`${key} second`);
    const a = pick(`${key} after`);
    const timed = unit === "ms";
    rows.push([
      label,
      fmtSpread(b, unit),
      fmtSpread(f, unit),
      fmtSpread(a, unit),
      timed ? fmtSpread(cpu(`${key} before`), "ms") : "",
      timed ? fmtSpread(cpu(`${key} second`), "ms") : "",
      timed ? fmtSpread(cpu(`${key} after`), "ms") : "",
      target,
      target === ""
        ? ""
        : Number.isFinite(a.median)
        ? (met(a.median) ? "yes" : "**no**")
        : "",
    ]);
  };
  row(
    `\`${TRANSFER_CODE.nop}\` (no data: the cost of a run itself)`,
    "nop",
    "ms",
    ms,
    "",
    () => true,
  );
  row(
    `\`${TRANSFER_CODE.str}\` (the tool returns the JSON text as a string)`,
    "str",
    "ms",
    ms,
    "≤ 40 ms",
    (a) => a <= 40,
  );
  row(
    `\`${TRANSFER_CODE.rows}\``,
    "rows",
    "ms",
    ms,
    `≤ 1.5 × floor = ${fmt(1.5 * floor.median)} ms`,
    (a) => a <= 1.5 * floor.median,
  );
  row(
    `\`${TRANSFER_CODE.filter}\``,
    "filter",
    "ms",
    ms,
    `≤ 0.3 × QuickJS = ${fmt(0.3 * quick.median)} ms`,
    (a) => a <= 0.3 * quick.median,
  );
  row(
    "100 MB tool result filtered: broker resident growth ÷ payload",
    "big",
    "×",
    growth,
    "≤ 3×",
    (a) => a <= 3,
  );
  row(
    "10 MB result returned by the guest: broker resident growth ÷ payload",
    "guest",
    "×",
    growth,
    "≤ 3×",
    (a) => a <= 3,
  );
  const jsonBytes = samples.get("rows after")?.[0]?.jsonBytes ?? 0;
  const bigBytes = samples.get("big after")?.[0]?.jsonBytes ?? 0;
  const guestBytes = samples.get("guest after")?.[0]?.jsonBytes ?? 0;
  const floorRow = (label: string, pick: (s: TransferSample) => number) =>
    fmtSpread(of("floor", pick), "ms") + ` ${label}`;
  return `## 10. The data path, before and after (issue 17)

${
    z.rows.toLocaleString("en-US")
  } rows of \`{ id, name, tag, payload: "x".repeat(60) }\`
(${
    fmt(jsonBytes / 1e6)
  } MB of JSON) from a host tool \`t\`, warm pool, ${z.runs}
timed runs per repetition, each repetition in a fresh process. "Before" is the
library at \`${TRANSFER_BEFORE_REF}\` and "second pass" the library at
\`${TRANSFER_SECOND_PASS_REF}\` (after the second pass on the data path), each
loaded from a \`git archive\` of that commit, measured interleaved with "after"
(this checkout) in this run. The memory rows run once
per repetition: ${fmt(bigBytes / 1e6)} MB from the tool (with \`memoryMb\`,
\`maxToolResultBytes\` and \`maxResultBytes\` raised), and ${
    fmt(guestBytes / 1e6)
  } MB built and returned by the guest; the growth is the broker
process's high-water mark minus its resident memory before the first run,
divided by the payload's JSON size, so it includes the parsed result the caller
holds. "CPU" is the CPU time per run of the benchmark process (the broker)
and its exited children (the run's subprocess and the start of the next one
the pool keeps), less disturbed than wall time by other load on the machine.${
    failures === 0 ? "" : ` **${failures} runs failed.**`
  }

${
    _table([
      "workload",
      "before",
      "second pass",
      "after",
      "CPU before",
      "CPU second pass",
      "CPU after",
      "target",
      "met",
    ], rows)
  }

Baselines in the same run: the floor, one \`JSON.stringify\` of the rows plus one
\`JSON.parse\` of their text in one process, is ${fmtSpread(floor, "ms")} (${
    floorRow("stringify", (s) => s.stringifyMs ?? NaN)
  }, ${floorRow("parse", (s) => s.parseMs ?? NaN)}); the filter takes ${
    fmtSpread(quick, "ms")
  } in QuickJS (in process, JSON
text across its boundary) and ${
    fmtSpread(ms("function"), "ms")
  } with \`new Function\` (no boundary).`;
}

function _table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

/**
 * (3) Moving data and computing: a host tool returns about 10 MB of JSON and
 * the guest filters it down to a few rows; and a pure compute loop, where a
 * JIT and an interpreter differ most. Time per run, and peak resident memory
 * of the broker (this process) and of the run's subprocess.
 *
 * @module
 */

import { cpuTimeMs, residentMemory, sleep } from "./_sandbox.ts";
import { median } from "./_stats.ts";
import { createSandbox, type SystemName } from "./systems.ts";

/** One data or compute measurement, run in a fresh process. */
export interface DataSpec {
  kind: "data";
  system: SystemName;
  workload: "filter" | "compute";
  /** Rows the tool returns (filter) or loop iterations (compute). */
  size: number;
  /** Timed runs; the median is kept. */
  runs: number;
}

/** What one repetition measured. */
export interface DataSample {
  /** Milliseconds per run (median). */
  ms: number;
  /** CPU time of this process (the broker) per timed run, in milliseconds. */
  brokerCpuMs: number;
  /** Bytes of JSON the tool returns (filter). */
  jsonBytes: number;
  /** This process's resident memory before the first run. */
  brokerBaseBytes: number;
  /** This process's high-water mark at the end. */
  brokerPeakBytes: number;
  /** The highest high-water mark of a run's subprocess, if there is one. */
  subprocessPeakBytes: number | undefined;
  /** What the guest returned (to check every system agrees). */
  result: unknown;
  failures: number;
}

/** Heap cap for these runs: 10 MB of JSON needs more than the default. */
export const DATA_MEMORY_MB = 512;

const _REGIONS = [
  "north",
  "south",
  "east",
  "west",
  "central",
  "coast",
  "hills",
  "islands",
];
const _WORDS = [
  "alpha",
  "bravo",
  "delta",
  "gamma",
  "kilo",
  "lima",
  "oscar",
  "sierra",
  "tango",
  "zulu",
];

/** A seeded PRNG (mulberry32), so every system gets the same rows. */
function _random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` customer rows, about 160 bytes of JSON each. */
export function makeRows(count: number): Record<string, unknown>[] {
  const random = _random(42);
  const rows = [];
  for (let id = 1; id <= count; id++) {
    rows.push({
      id,
      name: `customer-${id.toString(36)}`,
      region: _REGIONS[Math.floor(random() * _REGIONS.length)],
      amount: Math.round(random() * 1_000_000) / 100,
      score: Math.round(random() * 1_000_000) / 1_000_000,
      tags: [
        _WORDS[Math.floor(random() * 10)],
        _WORDS[Math.floor(random() * 10)],
      ],
      created: new Date(1_700_000_000_000 + Math.floor(random() * 3e10))
        .toISOString(),
    });
  }
  return rows;
}

/** The guest code of the filter workload. */
export const FILTER_CODE = `const rows = await data.rows({});
return rows
  .filter((r) => r.region === "north" && r.score > 0.9995)
  .map((r) => ({ id: r.id, amount: r.amount }));`;

/** The guest code of the compute workload. */
export function computeCode(iterations: number): string {
  return `let x = 0;
for (let i = 0; i < ${iterations}; i++) x = (x * 31 + i) % 1000003;
return x;`;
}

/** Measures one repetition. */
export async function measureData(spec: DataSpec): Promise<DataSample> {
  const rows = spec.workload === "filter" ? makeRows(spec.size) : [];
  const jsonBytes = rows.length === 0 ? 0 : JSON.stringify(rows).length;
  const sandbox = await createSandbox(spec.system, {
    tools: { data: { rows: () => rows } },
    warm: true,
    poolSize: 1,
    concurrency: 1,
    memoryMb: DATA_MEMORY_MB,
    timeoutMs: 300_000,
    measureMemory: true,
  });
  const code = spec.workload === "filter"
    ? FILTER_CODE
    : computeCode(spec.size);
  const times: number[] = [];
  let cpu = 0;
  let subprocessPeak: number | undefined;
  let result: unknown;
  let failures = 0;
  const brokerBaseBytes = residentMemory("self")?.rss ?? 0;
  const inProcess = spec.system === "quickjs" || spec.system === "function";
  try {
    for (let i = 0; i < spec.runs + 1; i++) {
      await sandbox.settle();
      await sleep(10);
      const cpuBefore = cpuTimeMs();
      const started = performance.now();
      const run = await sandbox.execute(code);
      const elapsed = performance.now() - started;
      if (i > 0) cpu += cpuTimeMs() - cpuBefore;
      if (!run.ok) {
        failures++;
        result = run.error;
        continue;
      }
      result = run.result;
      if (i > 0) times.push(elapsed); // the first run warms up
      const peak = inProcess ? undefined : await sandbox.lastPeakBytes();
      if (peak !== undefined) {
        subprocessPeak = Math.max(subprocessPeak ?? 0, peak);
      }
    }
  } finally {
    await sandbox.close();
  }
  return {
    ms: median(times),
    brokerCpuMs: cpu / Math.max(1, times.length),
    jsonBytes,
    brokerBaseBytes,
    brokerPeakBytes: residentMemory("self")?.hwm ?? 0,
    subprocessPeakBytes: subprocessPeak,
    result,
    failures,
  };
}

/**
 * (5) Memory: the broker's resident memory when idle (and that of the pool's
 * ready subprocesses), and the peak resident memory of the process that
 * serves one `1 + 1` run. The broker under load is measured by
 * throughput.ts.
 *
 * @module
 */

import { residentMemory, sleep } from "./_sandbox.ts";
import { median } from "./_stats.ts";
import { codeFor, createSandbox, type SystemName } from "./systems.ts";

/** One memory measurement, run in a fresh process. */
export interface MemorySpec {
  kind: "memory";
  system: SystemName;
  /** Runs whose peak is read; the median is kept. */
  runs: number;
}

/** What one repetition measured, in bytes. */
export interface MemorySample {
  /** This process (the broker) when idle with a full pool. */
  brokerIdleBytes: number;
  /** The pool's ready subprocesses, each (median). */
  poolProcessBytes: number | undefined;
  /** How many ready subprocesses there were. */
  poolProcesses: number;
  /** Peak resident memory of one run's process (median over runs). */
  runPeakBytes: number | undefined;
}

/** Resident memory of this process's children (Linux `/proc`). */
function _children(): number[] {
  const sizes: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) !== Deno.pid) continue;
    } catch {
      continue;
    }
    const memory = residentMemory(Number(entry.name));
    if (memory !== undefined) sizes.push(memory.rss);
  }
  return sizes;
}

/** Measures one repetition. */
export async function measureMemory(spec: MemorySpec): Promise<MemorySample> {
  const sandbox = await createSandbox(spec.system, {
    tools: {},
    warm: true,
    poolSize: 2,
    concurrency: 4,
    memoryMb: 128,
    timeoutMs: 10_000,
    measureMemory: true,
  });
  try {
    await sandbox.settle();
    await sleep(1000);
    const brokerIdleBytes = residentMemory("self")?.rss ?? 0;
    const pool = _children();
    const peaks: number[] = [];
    const inProcess = spec.system === "quickjs" || spec.system === "function";
    for (let i = 0; i < spec.runs; i++) {
      await sandbox.settle();
      await sleep(10);
      await sandbox.execute(codeFor(spec.system, "1 + 1"));
      const peak = inProcess ? undefined : await sandbox.lastPeakBytes();
      if (peak !== undefined) peaks.push(peak);
    }
    return {
      brokerIdleBytes,
      poolProcessBytes: pool.length === 0 ? undefined : median(pool),
      poolProcesses: pool.length,
      runPeakBytes: peaks.length === 0 ? undefined : median(peaks),
    };
  } finally {
    await sandbox.close();
  }
}

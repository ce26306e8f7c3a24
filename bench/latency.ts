/**
 * (1) Latency of `execute("1 + 1")`: warm (a ready process from the pool) and
 * cold (none: the run starts its own), p50 and p99.
 *
 * Each run waits until the system's pool is full, plus a short pause so the
 * previous run's process is gone, so that "warm" means warm and runs do not
 * overlap with pool refills: that is the latency a caller sees when requests
 * arrive slower than the pool refills (see throughput.ts for the other case).
 *
 * @module
 */

import { sleep } from "./_sandbox.ts";
import { quantile } from "./_stats.ts";
import { codeFor, createSandbox, type SystemName } from "./systems.ts";

/** One latency measurement, run in a fresh process. */
export interface LatencySpec {
  kind: "latency";
  system: SystemName;
  /** Whether the system keeps a pool of ready processes. */
  warm: boolean;
  /** Timed runs. */
  runs: number;
}

/** What one repetition measured, in milliseconds. */
export interface LatencySample {
  p50: number;
  p99: number;
  failures: number;
}

const _WARMUP_RUNS = 5;
const _PAUSE_MS = 25;

/** Measures one repetition. */
export async function measureLatency(
  spec: LatencySpec,
): Promise<LatencySample> {
  const sandbox = await createSandbox(spec.system, {
    tools: {},
    warm: spec.warm,
    poolSize: 2,
    concurrency: 4,
    memoryMb: 128,
    timeoutMs: 10_000,
  });
  const code = codeFor(spec.system, "1 + 1");
  const times: number[] = [];
  let failures = 0;
  try {
    for (let i = 0; i < _WARMUP_RUNS + spec.runs; i++) {
      await sandbox.settle();
      await sleep(_PAUSE_MS);
      const started = performance.now();
      const run = await sandbox.execute(code);
      const elapsed = performance.now() - started;
      if (!run.ok || run.result !== 2) failures++;
      if (i >= _WARMUP_RUNS) times.push(elapsed);
    }
  } finally {
    await sandbox.close();
  }
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), failures };
}

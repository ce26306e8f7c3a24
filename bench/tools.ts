/**
 * (2) Host tool calls from guest code: the round trip of one call when calls
 * are made one after another, and calls per second when a run starts many at
 * once. The guest times its own loop, so process start and result transfer
 * are left out.
 *
 * @module
 */

import { sleep } from "./_sandbox.ts";
import { median } from "./_stats.ts";
import { createSandbox, type SystemName } from "./systems.ts";

/** One tool-call measurement, run in a fresh process. */
export interface ToolsSpec {
  kind: "tools";
  system: SystemName;
  /** Calls in the sequential loop. */
  sequential: number;
  /** Calls started at once. */
  concurrent: number;
  /** Runs of each kind; the median is kept. */
  runs: number;
}

/** What one repetition measured. */
export interface ToolsSample {
  /** Milliseconds per sequential call. */
  roundTripMs: number;
  /** Calls completed per second when `concurrent` are started at once. */
  callsPerSecond: number;
  failures: number;
}

const _clock = "(globalThis.performance ?? Date)";

function _sequentialCode(n: number): string {
  return `const t0 = ${_clock}.now();
for (let i = 0; i < ${n}; i++) await t.echo({ i });
return ${_clock}.now() - t0;`;
}

function _concurrentCode(n: number): string {
  return `const t0 = ${_clock}.now();
await Promise.all(Array.from({ length: ${n} }, (_, i) => t.echo({ i })));
return ${_clock}.now() - t0;`;
}

/** Measures one repetition. */
export async function measureTools(spec: ToolsSpec): Promise<ToolsSample> {
  const sandbox = await createSandbox(spec.system, {
    tools: { t: { echo: (args) => args } },
    warm: true,
    poolSize: 2,
    concurrency: 4,
    memoryMb: 256,
    timeoutMs: 120_000,
  });
  const sequential: number[] = [];
  const concurrent: number[] = [];
  let failures = 0;
  try {
    for (let i = 0; i < spec.runs + 1; i++) {
      for (
        const [code, into] of [
          [_sequentialCode(spec.sequential), sequential],
          [_concurrentCode(spec.concurrent), concurrent],
        ] as const
      ) {
        await sandbox.settle();
        await sleep(10);
        const run = await sandbox.execute(code);
        if (!run.ok || typeof run.result !== "number") {
          failures++;
          continue;
        }
        if (i > 0) into.push(run.result); // the first round warms up
      }
    }
  } finally {
    await sandbox.close();
  }
  return {
    roundTripMs: median(sequential) / spec.sequential,
    callsPerSecond: spec.concurrent / (median(concurrent) / 1000),
    failures,
  };
}

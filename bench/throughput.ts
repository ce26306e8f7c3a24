/**
 * (4) Sustained executions per second of `1 + 1` at concurrency 1, 2, 4 and
 * 8: that many callers, each starting its next run as soon as the last one
 * ends, for a fixed time. Through the library and through the HTTP service
 * (`POST /v1/execute` on loopback, the server in its own process), each
 * measurement in a fresh process. Also the broker's peak resident memory
 * while under this load.
 *
 * @module
 */

import {
  childrenCpuTimeMs,
  cpuTimeMs,
  residentMemory,
  type Sandbox,
  sleep,
} from "./_sandbox.ts";
import { codeFor, createSandbox, type SystemName } from "./systems.ts";

/** One throughput measurement, run in a fresh process. */
export interface ThroughputSpec {
  kind: "throughput";
  system: SystemName;
  via: "library" | "http";
  concurrency: number;
  /** How long the load runs, after a warm-up. */
  durationMs: number;
}

/** What one repetition measured. */
export interface ThroughputSample {
  perSecond: number;
  completed: number;
  failures: number;
  /** Highest resident memory of the broker's process during the load. */
  brokerPeakRssBytes: number;
  /**
   * CPU time per completed run (library runs only), in ms: of the broker's
   * process, and of the subprocesses that ended meanwhile.
   */
  cpuPerRun?: { broker: number; subprocesses: number };
}

const _WARMUP_MS = 500;

/** A sandbox that calls the HTTP service in a child process. */
async function _httpSandbox(concurrency: number): Promise<
  Sandbox & { pid: number }
> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_http_server.ts", import.meta.url).pathname,
      String(concurrency),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("The HTTP server exited before listening");
    text += value;
  }
  reader.releaseLock();
  const url = `http://127.0.0.1:${text.trim()}/v1/execute`;
  return {
    pid: child.pid,
    async execute(code) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code }),
      });
      const body = await response.json();
      return body.ok === true
        ? { ok: true, result: body.result }
        : { ok: false, error: JSON.stringify(body.error) };
    },
    lastPeakBytes: () => Promise.resolve(undefined),
    settle: () => sleep(300),
    async close() {
      await child.stdin.close();
      await child.status;
      await child.stdout.cancel().catch(() => {});
    },
  };
}

/** Measures one repetition. */
export async function measureThroughput(
  spec: ThroughputSpec,
): Promise<ThroughputSample> {
  const http = spec.via === "http"
    ? await _httpSandbox(spec.concurrency)
    : undefined;
  const sandbox = http ?? await createSandbox(spec.system, {
    tools: {},
    warm: true,
    poolSize: spec.concurrency,
    concurrency: spec.concurrency,
    memoryMb: 128,
    timeoutMs: 30_000,
  });
  const brokerPid = http?.pid ?? "self";
  const code = codeFor(spec.system, "1 + 1");
  let completed = 0;
  let failures = 0;
  let peakRss = 0;
  try {
    await sandbox.settle();
    const load = async (untilMs: number, count: boolean) => {
      await Promise.all(Array.from({ length: spec.concurrency }, async () => {
        while (performance.now() < untilMs) {
          const run = await sandbox.execute(code);
          if (!count) continue;
          if (run.ok && run.result === 2) completed++;
          else failures++;
        }
      }));
    };
    await load(performance.now() + _WARMUP_MS, false);
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, residentMemory(brokerPid)?.rss ?? 0);
    }, 50);
    const cpuBefore = [cpuTimeMs(), childrenCpuTimeMs()];
    const started = performance.now();
    await load(started + spec.durationMs, true);
    const elapsed = performance.now() - started;
    const cpuAfter = [cpuTimeMs(), childrenCpuTimeMs()];
    clearInterval(sampler);
    const sample: ThroughputSample = {
      perSecond: completed / (elapsed / 1000),
      completed,
      failures,
      brokerPeakRssBytes: peakRss,
    };
    if (http === undefined && completed > 0) {
      sample.cpuPerRun = {
        broker: (cpuAfter[0]! - cpuBefore[0]!) / completed,
        subprocesses: (cpuAfter[1]! - cpuBefore[1]!) / completed,
      };
    }
    return sample;
  } finally {
    await sandbox.close();
  }
}

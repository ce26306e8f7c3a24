/**
 * The systems the benchmarks compare, behind one {@linkcode Sandbox} shape:
 * execbox itself and the four baselines.
 *
 * @module
 */

import {
  type Broker,
  createBroker,
  defineTool,
  denoHost,
  type Host,
  type Providers,
} from "../mod.ts";
import type { Sandbox, SandboxOptions } from "./_sandbox.ts";
import { residentMemory, sleep } from "./_sandbox.ts";
import {
  createNaiveSandbox,
  createRawDirectSandbox,
  createRawSandbox,
} from "./baselines/deno_process.ts";
import { createFunctionSandbox } from "./baselines/function.ts";
import { createQuickJsSandbox } from "./baselines/quickjs.ts";

/** Names of the systems under test. */
export type SystemName =
  | "execbox"
  | "raw"
  | "raw-direct"
  | "naive"
  | "quickjs"
  | "function";

/** How each system is named in the report. */
export const SYSTEM_LABELS: Record<SystemName, string> = {
  execbox: "execbox",
  raw: "raw ceiling (deno run + Worker, no broker)",
  "raw-direct": "raw ceiling, Worker on the pipes (no main-thread relay)",
  naive: "naive (one deno run per execution)",
  quickjs: "QuickJS (quickjs-emscripten, fresh runtime)",
  function: "new Function (no boundary; floor)",
};

/**
 * The broker's options for a benchmark: its limits raised so that they
 * never decide a benchmark's outcome (except `memoryMb`, which is the heap
 * cap the run asks for).
 */
function _brokerOptions(options: SandboxOptions, host: Host) {
  const providers: Providers = {};
  for (const [ns, members] of Object.entries(options.tools)) {
    providers[ns] = {};
    for (const [name, fn] of Object.entries(members)) {
      providers[ns]![name] = defineTool({
        description: `Benchmark tool ${ns}.${name}`,
        execute: (args: Record<string, unknown>) => fn(args),
      });
    }
  }
  return {
    providers,
    host,
    pool: { size: options.warm ? options.poolSize : 0 },
    maxConcurrency: options.concurrency,
    maxQueue: 1024,
    limits: {
      timeoutMs: options.timeoutMs,
      memoryMb: options.memoryMb,
      maxToolCalls: 1_000_000,
      maxResultBytes: 16 * 1024 * 1024,
    },
  };
}

/**
 * A host that notes the high-water mark of each runtime subprocess just
 * before the broker kills it (the broker's own `peakMemoryBytes` is sampled
 * every 5 ms, so a 1 ms run may have no sample).
 */
function _peakRecordingHost(): Host & { lastPeak(): number | undefined } {
  let last: number | undefined;
  return {
    ...denoHost,
    lastPeak: () => last,
    spawn(options) {
      const process = denoHost.spawn(options);
      return {
        pid: process.pid,
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
        status: process.status,
        kill(signal) {
          const memory = residentMemory(process.pid);
          if (memory !== undefined) last = memory.hwm;
          process.kill(signal);
        },
      };
    },
  };
}

/** execbox through its library API. */
export async function createExecboxSandbox(
  options: SandboxOptions,
): Promise<Sandbox & { broker: Broker }> {
  const host = _peakRecordingHost();
  const broker = await createBroker(_brokerOptions(options, host));
  const size = options.warm ? options.poolSize : 0;
  let lastSampled = 0;
  return {
    broker,
    async execute(code) {
      const run = await broker.execute(code);
      lastSampled = run.stats.peakMemoryBytes;
      return run.ok
        ? { ok: true, result: run.result }
        : { ok: false, error: `${run.error.code}: ${run.error.message}` };
    },
    async lastPeakBytes() {
      await sleep(20); // the pool kills the process right after the run
      const peak = Math.max(host.lastPeak() ?? 0, lastSampled);
      return peak === 0 ? undefined : peak;
    },
    async settle() {
      while (true) {
        const { idle, starting } = broker.status().pool;
        if (idle >= size && starting === 0) return;
        await sleep(2);
      }
    },
    close: () => broker.close(),
  };
}

/** Creates a system under test. */
export async function createSandbox(
  name: SystemName,
  options: SandboxOptions,
): Promise<Sandbox> {
  switch (name) {
    case "execbox":
      return await createExecboxSandbox(options);
    case "raw":
      return createRawSandbox(options);
    case "raw-direct":
      return createRawDirectSandbox(options);
    case "naive":
      return createNaiveSandbox(options);
    case "quickjs":
      return await createQuickJsSandbox(options);
    case "function":
      return createFunctionSandbox(options);
  }
}

/**
 * The code of a workload for a system: execbox takes `1 + 1` as the issue
 * states it (its last expression is the result); the baselines have no such
 * transform and get `return 1 + 1`.
 */
export function codeFor(name: SystemName, expression: string): string {
  return name === "execbox" ? expression : `return ${expression}`;
}

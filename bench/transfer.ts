/**
 * (10) The data path: how fast a big tool result reaches guest code, and how
 * much the broker's resident memory grows while a big value crosses the
 * boundary in either direction (issue 17).
 *
 * The rows are `{ id, name, tag, payload: "x".repeat(60) }`, about 110 bytes
 * of JSON each. A `lib` in the spec imports the library from another checkout
 * (the "before" side), so both sides run in the same benchmark run.
 *
 * @module
 */

import {
  childrenCpuTimeMs,
  cpuTimeMs,
  residentMemory,
  sleep,
} from "./_sandbox.ts";
import { median } from "./_stats.ts";
import { createSandbox, type SystemName } from "./systems.ts";

/** The workloads of this section. */
export type TransferWorkload =
  | "nop"
  | "str"
  | "rows"
  | "filter"
  | "floor"
  | "big"
  | "guestResult";

/** One transfer measurement, run in a fresh process. */
export interface TransferSpec {
  kind: "transfer";
  system: SystemName;
  workload: TransferWorkload;
  /** Rows the tool returns (or the guest returns, for `guestResult`). */
  rows: number;
  /** Timed runs; the median is kept. */
  runs: number;
  /** URL of the `mod.ts` to import execbox from (default: this checkout). */
  lib?: string;
  /** Whether `lib` has the tool result caps, which a 100 MB result must raise. */
  caps?: boolean;
}

/** What one repetition measured. */
export interface TransferSample {
  /** Milliseconds per run (median); for `floor`, stringify + parse. */
  ms: number;
  /** For `floor`: `JSON.stringify` alone, and `JSON.parse` alone. */
  stringifyMs?: number;
  parseMs?: number;
  /** Bytes of the JSON that crosses. */
  jsonBytes: number;
  /**
   * CPU time per timed run of this process and its exited children (the
   * runtime subprocesses, and the next one the pool starts): less disturbed
   * by other load on the machine than wall time.
   */
  cpuMs?: number;
  /** The broker's resident memory before the first run. */
  brokerBaseBytes: number;
  /** The broker's high-water mark at the end. */
  brokerPeakBytes: number;
  /** What the guest returned (a count, to check every system agrees). */
  result: unknown;
  failures: number;
}

/** `count` rows of the shape. */
export function makeTransferRows(
  count: number,
): { id: number; name: string; tag: number; payload: string }[] {
  const rows = [];
  const payload = "x".repeat(60);
  for (let id = 1; id <= count; id++) {
    rows.push({ id, name: `row-${id}`, tag: id % 10, payload });
  }
  return rows;
}

/** The guest code of each timed workload. */
export const TRANSFER_CODE: Record<string, string> = {
  nop: "return 1;",
  str: "return (await t.str({})).length;",
  rows: "return (await t.rows({})).length;",
  filter: "return (await t.rows({})).filter((r) => r.tag === 3).length;",
  big: "return (await t.rows({})).filter((r) => r.tag === 3).length;",
};

/** Guest code that builds `rows` rows itself and returns them. */
export function guestResultCode(rows: number): string {
  return `const p = "x".repeat(60);
const out = [];
for (let id = 1; id <= ${rows}; id++) out.push({ id, name: "row-" + id, tag: id % 10, payload: p });
return out;`;
}

const _MIB = 1024 * 1024;

function _floor(rows: unknown[], runs: number): TransferSample {
  const stringify: number[] = [];
  const parse: number[] = [];
  let jsonBytes = 0;
  for (let i = 0; i < runs + 1; i++) {
    const a = performance.now();
    const json = JSON.stringify(rows);
    const b = performance.now();
    JSON.parse(json);
    const c = performance.now();
    jsonBytes = json.length;
    if (i === 0) continue;
    stringify.push(b - a);
    parse.push(c - b);
  }
  const s = median(stringify);
  const p = median(parse);
  return {
    ms: s + p,
    stringifyMs: s,
    parseMs: p,
    jsonBytes,
    brokerBaseBytes: 0,
    brokerPeakBytes: 0,
    result: rows.length,
    failures: 0,
  };
}

interface _Runner {
  execute(
    code: string,
  ): Promise<{ ok: boolean; result?: unknown; error?: string }>;
  settle(): Promise<void>;
  close(): Promise<void>;
}

// execbox built here rather than through systems.ts, so that `lib` can name
// another checkout, and with the limits a 100 MB value needs.
async function _execbox(
  spec: TransferSpec,
  tools: Record<string, () => unknown>,
  memoryMb: number,
): Promise<_Runner> {
  const lib = await import(
    spec.lib ?? new URL("../mod.ts", import.meta.url).href
  );
  const providers: Record<string, Record<string, unknown>> = { t: {} };
  for (const [name, fn] of Object.entries(tools)) {
    providers.t![name] = lib.defineTool({
      description: `Benchmark tool t.${name}`,
      execute: () => fn(),
    });
  }
  const limits: Record<string, number> = {
    timeoutMs: 300_000,
    memoryMb,
    maxResultBytes: 256 * _MIB,
  };
  // Only a library that has the caps takes them.
  if (spec.lib === undefined || spec.caps === true) {
    limits.maxToolResultBytes = 256 * _MIB;
    limits.maxRunToolResultBytes = 1024 * _MIB;
  }
  const broker = await lib.createBroker({
    providers,
    pool: { size: 1 },
    maxConcurrency: 1,
    limits,
  });
  return {
    async execute(code: string) {
      const run = await broker.execute(code);
      return run.ok
        ? { ok: true, result: run.result }
        : { ok: false, error: `${run.error.code}: ${run.error.message}` };
    },
    async settle() {
      while (true) {
        const { idle, starting } = broker.status().pool;
        if (idle >= 1 && starting === 0) return;
        await sleep(2);
      }
    },
    close: () => broker.close(),
  };
}

/** Measures one repetition. */
export async function measureTransfer(
  spec: TransferSpec,
): Promise<TransferSample> {
  const guestResult = spec.workload === "guestResult";
  const rows = guestResult ? [] : makeTransferRows(spec.rows);
  if (spec.workload === "floor") return _floor(rows, spec.runs);
  const json = spec.workload === "str" ? JSON.stringify(rows) : "";
  let jsonBytes = guestResult ? 0 : JSON.stringify(rows).length;
  const big = spec.workload === "big" || guestResult;
  const approxBytes = jsonBytes === 0 ? spec.rows * 110 : jsonBytes;
  const memoryMb = big
    ? Math.max(512, Math.ceil(approxBytes / _MIB) * 12)
    : 512;
  const tools = { str: () => json, rows: () => rows };
  const runner: _Runner = spec.system === "execbox"
    ? await _execbox(spec, tools, memoryMb)
    : await createSandbox(spec.system, {
      tools: { t: { str: () => json, rows: () => rows } },
      warm: true,
      poolSize: 1,
      concurrency: 1,
      memoryMb,
      timeoutMs: 300_000,
    });
  const code = guestResult
    ? guestResultCode(spec.rows)
    : TRANSFER_CODE[spec.workload]!;
  const times: number[] = [];
  let result: unknown;
  let returned: unknown;
  let failures = 0;
  let cpu = 0;
  const brokerBaseBytes = residentMemory("self")?.rss ?? 0;
  try {
    // Memory workloads: one run, no warm-up, so the high-water mark is that run's.
    const total = big ? 1 : spec.runs + 1;
    for (let i = 0; i < total; i++) {
      await runner.settle();
      await sleep(10);
      const cpuBefore = cpuTimeMs() + childrenCpuTimeMs();
      const started = performance.now();
      const run = await runner.execute(code);
      const elapsed = performance.now() - started;
      // The run's subprocess is reaped a moment after the run.
      await sleep(30);
      if (big || i > 0) cpu += cpuTimeMs() + childrenCpuTimeMs() - cpuBefore;
      if (!run.ok) {
        failures++;
        result = run.error;
        continue;
      }
      returned = run.result;
      result = guestResult && Array.isArray(run.result)
        ? run.result.length
        : run.result;
      if (big || i > 0) times.push(elapsed);
    }
  } finally {
    await runner.close();
  }
  const brokerPeakBytes = residentMemory("self")?.hwm ?? 0;
  if (guestResult) jsonBytes = JSON.stringify(returned ?? null).length;
  return {
    ms: times.length === 0 ? NaN : median(times),
    cpuMs: cpu / Math.max(1, times.length),
    jsonBytes,
    brokerBaseBytes,
    brokerPeakBytes,
    result,
    failures,
  };
}

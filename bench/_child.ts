/**
 * Runs one measurement in a fresh process and prints its result as one JSON
 * line on stdout. bench/main.ts starts one of these per repetition.
 *
 * Usage: deno run -A bench/_child.ts '<spec as JSON>'
 *
 * @module
 */

import { type DataSpec, measureData } from "./data.ts";
import { type LagSpec, measureLag } from "./lag.ts";
import { type LatencySpec, measureLatency } from "./latency.ts";
import { measureMemory, type MemorySpec } from "./memory.ts";
import { measureTransfer, type TransferSpec } from "./transfer.ts";
import { measureThroughput, type ThroughputSpec } from "./throughput.ts";
import { measureTools, type ToolsSpec } from "./tools.ts";

/** Any measurement's spec. */
export type Spec =
  | LatencySpec
  | ToolsSpec
  | DataSpec
  | ThroughputSpec
  | MemorySpec
  | LagSpec
  | TransferSpec;

/** Runs the measurement a spec names. */
export function measure(spec: Spec): Promise<unknown> {
  switch (spec.kind) {
    case "latency":
      return measureLatency(spec);
    case "tools":
      return measureTools(spec);
    case "data":
      return measureData(spec);
    case "throughput":
      return measureThroughput(spec);
    case "memory":
      return measureMemory(spec);
    case "lag":
      return measureLag(spec);
    case "transfer":
      return measureTransfer(spec);
  }
}

if (import.meta.main) {
  globalThis.addEventListener("unhandledrejection", (event) => {
    const reason = event.reason;
    Deno.stderr.writeSync(
      new TextEncoder().encode(
        `unhandled rejection: ${
          reason instanceof Error ? reason.stack : String(reason)
        }\n`,
      ),
    );
  });
  const result = await measure(JSON.parse(Deno.args[0]!) as Spec);
  Deno.stdout.writeSync(
    new TextEncoder().encode(`${JSON.stringify(result)}\n`),
  );
  // Stray handles (a QuickJS promise, a pipe) must not keep the process up.
  Deno.exit(0);
}

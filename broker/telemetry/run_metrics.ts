/**
 * The metrics of runs and tool calls, from the global meter provider (a no-op
 * until the host application installs an OpenTelemetry SDK).
 *
 * @module
 */

import {
  type Counter,
  type Histogram,
  type MeterProvider,
  metrics,
} from "@opentelemetry/api";
import denoJson from "../../deno.json" with { type: "json" };
import { INSTRUMENTATION_SCOPE } from "./start_child_span.ts";

/** The instruments of execbox. */
export interface RunMetrics {
  /** `execbox.runs`: runs ended, by `execbox.outcome` and `error.type`. */
  runs: Counter;
  /** `execbox.run.duration`: seconds from `execute()` to its result. */
  runDuration: Histogram;
  /** `execbox.tool_calls`: tool calls ended, by tool and outcome. */
  toolCalls: Counter;
  /** `execbox.tool_call.duration`: seconds a tool call took. */
  toolCallDuration: Histogram;
}

let _provider: MeterProvider | undefined;
let _metrics: RunMetrics | undefined;

/**
 * The instruments, made again when the global meter provider changes (the API
 * has no proxy meter: a meter taken before the SDK is installed stays a
 * no-op).
 *
 * @returns The instruments.
 *
 * @example Count a run
 * ```ts
 * import { runMetrics } from "./run_metrics.ts";
 * runMetrics().runs.add(1, { "execbox.outcome": "ok" });
 * ```
 */
export function runMetrics(): RunMetrics {
  const provider = metrics.getMeterProvider();
  if (_metrics !== undefined && provider === _provider) return _metrics;
  const meter = provider.getMeter(INSTRUMENTATION_SCOPE, denoJson.version);
  _provider = provider;
  _metrics = {
    runs: meter.createCounter("execbox.runs", {
      description: "Runs ended, by outcome and error code",
      unit: "{run}",
    }),
    runDuration: meter.createHistogram("execbox.run.duration", {
      description: "Time from execute() to its result",
      unit: "s",
    }),
    toolCalls: meter.createCounter("execbox.tool_calls", {
      description: "Tool calls ended, by tool and outcome",
      unit: "{call}",
    }),
    toolCallDuration: meter.createHistogram("execbox.tool_call.duration", {
      description: "Time a tool call took",
      unit: "s",
    }),
  };
  return _metrics;
}

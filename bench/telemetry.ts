/**
 * OpenTelemetry cost (issue 14, part 4): warm runs that make 10 host tool
 * calls, with no SDK installed (the API's no-op, what every broker pays) and
 * with the SDK's tracer and meter providers recording every span and metric
 * (spans kept in memory, as a batching exporter would before it sends),
 * alternated in one process so both see the same load; plus the telemetry of
 * one such run alone (12 spans and their metrics, no subprocess).
 *
 * Usage: `deno run -A bench/telemetry.ts [--reps N]`, or the `telemetry`
 * section of `bench/main.ts`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { metrics, trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { z } from "zod";
import { createBroker, defineTool } from "../mod.ts";
import { RunTelemetry } from "../broker/telemetry/run_telemetry.ts";
import { fmtSpread, spread } from "./_stats.ts";

const _RUNS_PER_REP = 20;
const _CODE =
  "let n = 0; for (let i = 0; i < 10; i++) n += await t.inc({ n: i }); n";

class _Reader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** Installs the SDK and returns how to remove it. */
function _installSdk(): () => void {
  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    }),
  );
  metrics.setGlobalMeterProvider(
    new MeterProvider({ readers: [new _Reader()] }),
  );
  return () => {
    trace.disable();
    metrics.disable();
    exporter.reset();
  };
}

/** The telemetry of one run of 10 tool calls, alone, in microseconds. */
function _telemetryOnly(reps: number): number[] {
  const samples: number[] = [];
  const result = {
    ok: true as const,
    logs: [],
    stats: {
      durationMs: 1,
      toolCalls: 10,
      coldStart: false,
      peakMemoryBytes: 0,
    },
  };
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    for (let i = 0; i < 1000; i++) {
      const run = new RunTelemetry({ runId: "r", caller: "c" });
      for (let c = 0; c < 10; c++) run.toolCall("t", "inc").end("ok");
      run.end(result);
    }
    // Milliseconds for 1000 runs: microseconds for one.
    samples.push(performance.now() - start);
  }
  return samples;
}

/**
 * Measures and returns the report section (Markdown).
 *
 * @param reps Repetitions per figure.
 */
export async function telemetrySection(reps: number): Promise<string> {
  await using broker = await createBroker({
    pool: { size: 2 },
    providers: {
      t: {
        inc: defineTool({
          input: z.object({ n: z.number() }),
          execute: ({ n }) => n + 1,
        }),
      },
    },
  });
  for (let i = 0; i < 5; i++) await broker.execute(_CODE); // warm up
  const none: number[] = [];
  const sdk: number[] = [];
  for (let r = 0; r < reps; r++) {
    // Each case goes first in every other repetition.
    for (const installed of r % 2 === 0 ? [false, true] : [true, false]) {
      const remove = installed ? _installSdk() : () => {};
      const times: number[] = [];
      for (let i = 0; i < _RUNS_PER_REP; i++) {
        const start = performance.now();
        const result = await broker.execute(_CODE);
        times.push(performance.now() - start);
        if (!result.ok) throw new Error(`Run failed: ${result.error.message}`);
      }
      remove();
      (installed ? sdk : none).push(spread(times).median);
    }
  }
  const noneOnly = _telemetryOnly(reps);
  const removeSdk = _installSdk();
  const sdkOnly = _telemetryOnly(reps);
  removeSdk();
  return [
    "## OpenTelemetry",
    "",
    `Milliseconds per warm run making 10 host tool calls (median of ${_RUNS_PER_REP} runs per repetition; ` +
    `median [lowest–highest] of ${reps} repetitions, the two cases alternated in one process), ` +
    "and microseconds of the telemetry of one such run alone (1 run span, 10 tool-call spans, their metrics).",
    "",
    "| case | whole run | telemetry alone |",
    "| --- | --- | --- |",
    `| no SDK installed (baseline: the API's no-op) | ${
      fmtSpread(spread(none), "ms")
    } | ${fmtSpread(spread(noneOnly), "µs")} |`,
    `| SDK tracer + meter recording everything | ${
      fmtSpread(spread(sdk), "ms")
    } | ${fmtSpread(spread(sdkOnly), "µs")} |`,
  ].join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { reps: { type: "string" } },
  });
  Deno.stdout.writeSync(
    new TextEncoder().encode(
      (await telemetrySection(Number(values.reps ?? 7))) + "\n",
    ),
  );
}

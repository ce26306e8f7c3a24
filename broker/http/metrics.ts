/**
 * The counters behind `GET /metrics` of the HTTP app, in the Prometheus text
 * exposition format (version 0.0.4).
 *
 * @module
 */

import type { BrokerStatus } from "../options.ts";
import type { ErrorCode } from "../errors.ts";
import type { ExecuteResult } from "../result.ts";

/** The `Content-Type` of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE =
  "text/plain; version=0.0.4; charset=utf-8";

// A record rather than a list, so that a new ErrorCode fails type-checking
// here instead of going uncounted until its first run.
const _ERROR_CODES: Record<ErrorCode, null> = {
  syntax_error: null,
  runtime_error: null,
  tool_error: null,
  validation_error: null,
  serialization_error: null,
  timeout: null,
  memory_limit: null,
  cancelled: null,
  limit_exceeded: null,
  internal_error: null,
};

/** Every `outcome` label value, so each series exists from the first scrape. */
const _OUTCOMES: readonly string[] = [
  "ok",
  ...Object.keys(_ERROR_CODES),
  "queue_full",
  "caller_queue_full",
];

/** Upper bounds of the run-duration histogram's buckets, in seconds. */
const _BUCKETS: readonly number[] = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
];

/**
 * Whether a run was refused because the broker's queue was full
 * (`limit_exceeded` with `limit: "queue"`).
 *
 * @param run The outcome of `Broker.execute`.
 * @returns `true` for a refused run.
 */
export function isQueueFull(run: ExecuteResult): boolean {
  return !run.ok && run.error.code === "limit_exceeded" &&
    run.error.limit === "queue";
}

/**
 * Whether a run was refused because its caller had its whole share of runs
 * executing and waiting (`limit_exceeded` with `limit: "callerQueue"`).
 *
 * @param run The outcome of `Broker.execute`.
 * @returns `true` for a refused run.
 */
export function isCallerQueueFull(run: ExecuteResult): boolean {
  return !run.ok && run.error.code === "limit_exceeded" &&
    run.error.limit === "callerQueue";
}

/**
 * The outcome label of a run: `"ok"`, its error code, or `"queue_full"` /
 * `"caller_queue_full"` for a run the broker refused.
 *
 * @param run The outcome of `Broker.execute`.
 * @returns The label value.
 */
export function runOutcome(run: ExecuteResult): string {
  if (run.ok) return "ok";
  if (isQueueFull(run)) return "queue_full";
  return isCallerQueueFull(run) ? "caller_queue_full" : run.error.code;
}

/** Run counters of one HTTP app, rendered with the broker's live status. */
export class HttpMetrics {
  readonly #runs = new Map<string, number>(
    _OUTCOMES.map((outcome) => [outcome, 0]),
  );
  readonly #buckets: number[] = _BUCKETS.map(() => 0);
  #durationCount = 0;
  #durationSum = 0;

  /**
   * Counts one finished run. Refused runs are counted but not timed.
   *
   * @param run The outcome of `Broker.execute`.
   */
  record(run: ExecuteResult): void {
    const outcome = runOutcome(run);
    this.#runs.set(outcome, (this.#runs.get(outcome) ?? 0) + 1);
    if (outcome === "queue_full" || outcome === "caller_queue_full") return;
    const seconds = run.stats.durationMs / 1000;
    this.#durationCount++;
    this.#durationSum += seconds;
    _BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) this.#buckets[i]!++;
    });
  }

  /**
   * The exposition text.
   *
   * @param status The broker's status now, for the gauges.
   * @returns Metric families separated by newlines, ending with one.
   */
  render(status: BrokerStatus): string {
    const lines: string[] = [];
    const family = (
      name: string,
      type: "counter" | "gauge" | "histogram",
      help: string,
      samples: string[],
    ) =>
      lines.push(
        `# HELP ${name} ${help}`,
        `# TYPE ${name} ${type}`,
        ...samples,
      );

    family(
      "execbox_runs_total",
      "counter",
      "Runs started through this HTTP app, by outcome (ok, an error code, queue_full or caller_queue_full).",
      [...this.#runs].map(([outcome, count]) =>
        `execbox_runs_total{outcome="${outcome}"} ${count}`
      ),
    );
    family(
      "execbox_run_duration_seconds",
      "histogram",
      "Wall-clock time of runs started through this HTTP app, refused runs excluded.",
      [
        ..._BUCKETS.map((bound, i) =>
          `execbox_run_duration_seconds_bucket{le="${bound}"} ${
            this.#buckets[i]
          }`
        ),
        `execbox_run_duration_seconds_bucket{le="+Inf"} ${this.#durationCount}`,
        `execbox_run_duration_seconds_sum ${this.#durationSum}`,
        `execbox_run_duration_seconds_count ${this.#durationCount}`,
      ],
    );
    family("execbox_runs_running", "gauge", "Runs executing now.", [
      `execbox_runs_running ${status.running}`,
    ]);
    family("execbox_runs_queued", "gauge", "Runs waiting for a slot now.", [
      `execbox_runs_queued ${status.queued}`,
    ]);
    family(
      "execbox_pool_idle",
      "gauge",
      "Warm runtime subprocesses ready now.",
      [`execbox_pool_idle ${status.pool.idle}`],
    );
    family(
      "execbox_pool_starting",
      "gauge",
      "Runtime subprocesses being started for the pool now.",
      [`execbox_pool_starting ${status.pool.starting}`],
    );
    family(
      "execbox_pool_spawned_total",
      "counter",
      "Runtime subprocesses started since the broker was created.",
      [`execbox_pool_spawned_total ${status.pool.spawned}`],
    );
    if (status.isolate !== undefined) {
      const isolate = status.isolate;
      family(
        "execbox_isolate_processes",
        "gauge",
        "Isolate mode: runtime processes callers own now.",
        [`execbox_isolate_processes ${isolate.owned}`],
      );
      family(
        "execbox_isolate_ready",
        "gauge",
        "Isolate mode: owned processes with a ready Worker now.",
        [`execbox_isolate_ready ${isolate.ready}`],
      );
      family(
        "execbox_isolate_callers",
        "gauge",
        "Isolate mode: callers that own a runtime process now.",
        [`execbox_isolate_callers ${isolate.callers}`],
      );
      family(
        "execbox_isolate_retired_total",
        "counter",
        "Isolate mode: runtime processes replaced or killed since the broker was created.",
        [`execbox_isolate_retired_total ${isolate.retired}`],
      );
    }
    family(
      "execbox_upstream_connected",
      "gauge",
      "Whether each upstream MCP server is connected (1) or not (0).",
      status.upstreams.map((u) =>
        `execbox_upstream_connected{server=${JSON.stringify(u.name)}} ${
          u.connected ? 1 : 0
        }`
      ),
    );
    if (status.store !== undefined) {
      family(
        "execbox_store_up",
        "gauge",
        "Whether the shared store answers (1) or not (0).",
        [
          `execbox_store_up{store=${JSON.stringify(status.store.name)}} ${
            status.store.up ? 1 : 0
          }`,
        ],
      );
    }
    return `${lines.join("\n")}\n`;
  }
}

/**
 * A run's telemetry: its `execbox.execute` span, a child span per tool call,
 * and the metrics of both. Attributes carry identifiers, outcomes, error codes
 * and durations; never code, arguments, results, logs or error messages (a
 * guest's error message may quote any of them).
 *
 * @module
 */

import {
  type Attributes,
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type { ExecuteResult } from "../result.ts";
import { runMetrics } from "./run_metrics.ts";
import { execboxTracer } from "./start_child_span.ts";
import { parentContext, type TraceContext } from "./trace_context.ts";

/** What starts a run's telemetry. */
export interface RunTelemetryOptions {
  /** The run's id (as in its audit record). */
  runId: string;
  /** Who asked (`ExecuteOptions.caller`, `"library"` without one). */
  caller: string;
  /**
   * The client's trace, continued by the run's span.
   * @default {undefined (the active context)}
   */
  traceContext?: TraceContext | undefined;
}

/** What a feature knows of a tool call besides its tool. */
export interface ToolCallExtra {
  /**
   * The saved skill the call runs, recorded as `execbox.skill`.
   * @default {undefined (none)}
   */
  skill?: string;
}

/** A tool call's span; end it once with the call's outcome. */
export interface ToolCallTelemetry {
  /** The span's context, to parent spans of the call (an upstream request). */
  readonly context: Context;
  /**
   * Ends the span and counts the call.
   *
   * @param outcome `"ok"`, or why it failed (`"tool_error"`, `"denied"`,
   * `"validation_error"`, `"cancelled"`): an error status unless `"ok"`.
   */
  end(outcome: string): void;
}

/**
 * One run's telemetry. The broker starts it when `execute()` is called and
 * ends it with the result; the run calls {@linkcode RunTelemetry.toolCall}
 * for each tool call.
 */
export class RunTelemetry {
  /** The run span's context: the parent of its tool calls and fetches. */
  readonly context: Context;
  readonly #span: Span;
  readonly #started = performance.now();
  #ended = false;

  /**
   * Starts the run's span.
   *
   * @param options The run's id, caller and the client's trace.
   */
  constructor(options: RunTelemetryOptions) {
    const parent = parentContext(options.traceContext);
    this.#span = execboxTracer().startSpan("execbox.execute", {
      kind: SpanKind.INTERNAL,
      attributes: {
        "execbox.run_id": options.runId,
        "execbox.caller": options.caller,
      },
    }, parent);
    this.context = trace.setSpan(parent, this.#span);
  }

  /**
   * Starts a tool call's span under the run.
   *
   * @param namespace The tool's guest namespace.
   * @param name The tool's guest name.
   * @param extra What else is known of the call.
   * @returns The call's span, to end with its outcome.
   */
  toolCall(
    namespace: string,
    name: string,
    extra?: ToolCallExtra,
  ): ToolCallTelemetry {
    const attributes: Attributes = {
      "execbox.tool.namespace": namespace,
      "execbox.tool.name": name,
    };
    if (extra?.skill !== undefined) attributes["execbox.skill"] = extra.skill;
    return this.#call("execbox.tool_call", SpanKind.INTERNAL, attributes);
  }

  /**
   * Starts the `execbox.fetch` span of a guest `fetch` under the run. It
   * records no URL, header or body: the guest writes them. Its metrics count
   * it as the tool `fetch.fetch`.
   *
   * @param extra What else is known of the call.
   * @returns The request's span, to end with its outcome.
   */
  fetchCall(extra?: ToolCallExtra): ToolCallTelemetry {
    const attributes: Attributes = {
      "execbox.tool.namespace": "fetch",
      "execbox.tool.name": "fetch",
    };
    if (extra?.skill !== undefined) attributes["execbox.skill"] = extra.skill;
    return this.#call("execbox.fetch", SpanKind.CLIENT, attributes);
  }

  #call(
    spanName: string,
    kind: SpanKind,
    attributes: Attributes,
  ): ToolCallTelemetry {
    const span = execboxTracer().startSpan(spanName, {
      kind,
      attributes,
    }, this.context);
    const started = performance.now();
    let ended = false;
    return {
      context: trace.setSpan(this.context, span),
      end(outcome: string) {
        if (ended) return;
        ended = true;
        const durationMs = performance.now() - started;
        span.setAttributes({
          "execbox.outcome": outcome,
          "execbox.duration_ms": durationMs,
        });
        if (outcome !== "ok") {
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
        }
        span.end();
        const counted = { ...attributes, "execbox.outcome": outcome };
        const metrics = runMetrics();
        metrics.toolCalls.add(1, counted);
        metrics.toolCallDuration.record(durationMs / 1000, counted);
      },
    };
  }

  /**
   * Ends the run's span with its outcome and counts the run.
   *
   * @param result The run's result.
   */
  end(result: ExecuteResult): void {
    if (this.#ended) return;
    this.#ended = true;
    const durationMs = performance.now() - this.#started;
    const counted: Attributes = {
      "execbox.outcome": result.ok ? "ok" : "error",
    };
    if (!result.ok) {
      counted["error.type"] = result.error.code;
      counted["execbox.error.code"] = result.error.code;
    }
    this.#span.setAttributes({
      ...counted,
      "execbox.duration_ms": durationMs,
      "execbox.tool_calls": result.stats.toolCalls,
      "execbox.cold_start": result.stats.coldStart,
    });
    if (!result.ok) {
      // The code only: the message may quote the guest's data.
      this.#span.setStatus({
        code: SpanStatusCode.ERROR,
        message: result.error.code,
      });
    }
    this.#span.end();
    const metrics = runMetrics();
    metrics.runs.add(1, counted);
    metrics.runDuration.record(durationMs / 1000, counted);
  }

  /**
   * Ends the run's span when `execute()` throws (a closed broker, a bad
   * argument).
   *
   * @param error What it threw.
   */
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    const type = error instanceof Error ? error.name : "unknown";
    this.#span.setAttributes({
      "execbox.outcome": "error",
      "error.type": type,
    });
    this.#span.setStatus({ code: SpanStatusCode.ERROR, message: type });
    this.#span.end();
  }
}

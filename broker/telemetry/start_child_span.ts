/**
 * The tracer of execbox and the helper every feature starts its spans with,
 * as children of a run's or a tool call's context.
 *
 * @module
 */

import {
  type Attributes,
  type Context,
  context as otelContext,
  type Span,
  SpanKind,
  trace,
  type Tracer,
} from "@opentelemetry/api";
import denoJson from "../../deno.json" with { type: "json" };

/** The instrumentation scope of every span and metric of execbox. */
export const INSTRUMENTATION_SCOPE = "@execbox/core";

/** How {@linkcode startChildSpan} starts a span. */
export interface ChildSpanOptions {
  /**
   * The span's kind: `SpanKind.CLIENT` for a request that leaves the broker.
   * @default {SpanKind.INTERNAL}
   */
  kind?: SpanKind;
  /**
   * Attributes known at the start. Never code, arguments, results, URLs with
   * credentials or header values: spans leave the broker.
   * @default {{}}
   */
  attributes?: Attributes;
}

/**
 * The tracer execbox starts its spans with, from the global tracer provider
 * (a no-op until the host application installs an OpenTelemetry SDK).
 *
 * @returns The tracer.
 *
 * @example Get it
 * ```ts
 * import { execboxTracer } from "./start_child_span.ts";
 * execboxTracer().startSpan("x").end();
 * ```
 */
export function execboxTracer(): Tracer {
  return trace.getTracer(INSTRUMENTATION_SCOPE, denoJson.version);
}

/**
 * Starts a span as a child of `parent` (a run's `RunTelemetry.context` or a
 * tool call's), for a feature that adds its own spans under a run; the caller
 * ends it, with `span.setStatus({ code: SpanStatusCode.ERROR })` on a failure.
 *
 * @param parent The parent context; the active context when `undefined`.
 * @param name The span's name, such as `"execbox.fetch"`.
 * @param options Its kind and attributes.
 * @returns The started span.
 *
 * @example A client span under a run
 * ```ts
 * import { SpanKind } from "@opentelemetry/api";
 * import { startChildSpan } from "./start_child_span.ts";
 * const span = startChildSpan(undefined, "execbox.fetch", {
 *   kind: SpanKind.CLIENT,
 *   attributes: { "http.request.method": "GET" },
 * });
 * span.end();
 * ```
 */
export function startChildSpan(
  parent: Context | undefined,
  name: string,
  options: ChildSpanOptions = {},
): Span {
  return execboxTracer().startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      ...(options.attributes === undefined
        ? {}
        : { attributes: options.attributes }),
    },
    parent ?? otelContext.active(),
  );
}

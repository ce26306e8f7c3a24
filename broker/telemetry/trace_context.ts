/**
 * W3C trace context from a client: the `traceparent` header of an HTTP
 * request or the `traceparent` key of an MCP request's `_meta`, read without
 * trusting it, and turned into the parent of a run's span.
 *
 * @module
 */

import {
  type Context,
  context,
  createTraceState,
  isSpanContextValid,
  type SpanContext,
  trace,
  TraceFlags,
} from "@opentelemetry/api";

/** Longest `traceparent` or `tracestate` read; longer ones are ignored. */
const _MAX_CHARS = 512;
const _TRACEPARENT =
  /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * The W3C trace context a client sent with a run
 * (`ExecuteOptions.traceContext`): its run's span continues that trace.
 */
export interface TraceContext {
  /** The `traceparent` value: `00-<trace id>-<parent span id>-<flags>`. */
  traceparent: string;
  /**
   * The `tracestate` value, kept on the run's span context.
   * @default {undefined (none)}
   */
  tracestate?: string;
}

/**
 * The trace context of an HTTP request's `traceparent` and `tracestate`
 * headers.
 *
 * @param headers The request's headers.
 * @returns The trace context, or `undefined` without a `traceparent` header.
 *
 * @example Read it from a request
 * ```ts
 * import { traceContextFromHeaders } from "./trace_context.ts";
 * const headers = new Headers({
 *   traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
 * });
 * traceContextFromHeaders(headers)?.traceparent;
 * ```
 */
export function traceContextFromHeaders(
  headers: Headers,
): TraceContext | undefined {
  return _traceContext(headers.get("traceparent"), headers.get("tracestate"));
}

/**
 * The trace context of an MCP request's `_meta` (`traceparent` and
 * `tracestate` keys, as the MCP trace-context convention sends them).
 *
 * @param meta The request's `_meta`, of any shape.
 * @returns The trace context, or `undefined` without a string `traceparent`.
 *
 * @example Read it from `_meta`
 * ```ts
 * import { traceContextFromMeta } from "./trace_context.ts";
 * traceContextFromMeta({
 *   traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
 * });
 * ```
 */
export function traceContextFromMeta(meta: unknown): TraceContext | undefined {
  if (typeof meta !== "object" || meta === null) return undefined;
  const { traceparent, tracestate } = meta as Record<string, unknown>;
  return _traceContext(
    typeof traceparent === "string" ? traceparent : null,
    typeof tracestate === "string" ? tracestate : null,
  );
}

/**
 * The context a run's span starts in: the client's trace when it sent a valid
 * `traceparent`, else the active context (the host application's span, when
 * it has one). A malformed `traceparent` is ignored, as W3C asks.
 *
 * @param traceContext What the client sent.
 * @returns The parent context.
 *
 * @example Parent a span on a client's trace
 * ```ts
 * import { parentContext } from "./trace_context.ts";
 * parentContext({
 *   traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
 * });
 * ```
 */
export function parentContext(traceContext?: TraceContext): Context {
  const active = context.active();
  // Checked here too: a JavaScript caller may pass anything.
  if (typeof traceContext?.traceparent !== "string") return active;
  const remote = parseTraceparent(
    traceContext.traceparent,
    typeof traceContext.tracestate === "string"
      ? traceContext.tracestate
      : undefined,
  );
  if (remote === undefined) return active;
  // The host's own server span already continues this trace: keep it, so the
  // run is its child rather than its sibling.
  const current = trace.getSpanContext(active);
  if (current !== undefined && current.traceId === remote.traceId) {
    return active;
  }
  return trace.setSpanContext(active, remote);
}

/**
 * Parses a W3C `traceparent` (and `tracestate`) into a remote span context.
 *
 * @param traceparent The header's value.
 * @param tracestate The `tracestate` header's value.
 * @returns The span context, or `undefined` when it is not valid.
 *
 * @example Parse a header
 * ```ts
 * import { parseTraceparent } from "./trace_context.ts";
 * parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
 *   ?.traceId;
 * ```
 */
export function parseTraceparent(
  traceparent: string,
  tracestate?: string,
): SpanContext | undefined {
  if (traceparent.length > _MAX_CHARS) return undefined;
  const match = _TRACEPARENT.exec(traceparent.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  // Version ff is forbidden; version 00 has exactly four fields.
  if (version === "ff" || (version === "00" && rest !== undefined)) {
    return undefined;
  }
  const spanContext: SpanContext = {
    traceId: traceId!,
    spanId: spanId!,
    traceFlags: parseInt(flags!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  if (!isSpanContextValid(spanContext)) return undefined;
  if (tracestate !== undefined && tracestate.length <= _MAX_CHARS) {
    spanContext.traceState = createTraceState(tracestate);
  }
  return spanContext;
}

/**
 * The `traceparent` that carries a span's context to the next service.
 *
 * @param spanContext The span's context.
 * @returns The header's value, or `undefined` for an invalid context.
 *
 * @example Format one
 * ```ts
 * import { formatTraceparent } from "./trace_context.ts";
 * formatTraceparent({
 *   traceId: "0af7651916cd43dd8448eb211c80319c",
 *   spanId: "b7ad6b7169203331",
 *   traceFlags: 1,
 * });
 * ```
 */
export function formatTraceparent(
  spanContext: SpanContext,
): string | undefined {
  if (!isSpanContextValid(spanContext)) return undefined;
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, "0");
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

function _traceContext(
  traceparent: string | null,
  tracestate: string | null,
): TraceContext | undefined {
  if (traceparent === null) return undefined;
  return tracestate === null ? { traceparent } : { traceparent, tracestate };
}

/** The part of an MCP request handler's `extra` that carries trace context. */
export interface McpRequestTrace {
  /** The request's `_meta`. */
  _meta?: unknown;
  /** The HTTP request that carried it (Streamable HTTP). */
  requestInfo?: { headers?: Record<string, string | string[] | undefined> };
}

/**
 * The trace context of an MCP request: the `traceparent` of its `_meta`, else
 * the `traceparent` header of the HTTP request that carried it.
 *
 * @param extra The request handler's `extra`.
 * @returns The trace context, or `undefined` when the client sent none.
 *
 * @example From `_meta`
 * ```ts
 * import { traceContextFromMcpRequest } from "./trace_context.ts";
 * traceContextFromMcpRequest({
 *   _meta: {
 *     traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
 *   },
 * });
 * ```
 */
export function traceContextFromMcpRequest(
  extra: McpRequestTrace,
): TraceContext | undefined {
  const fromMeta = traceContextFromMeta(extra._meta);
  if (fromMeta !== undefined) return fromMeta;
  const headers = extra.requestInfo?.headers;
  if (headers === undefined) return undefined;
  const one = (value: string | string[] | undefined) =>
    typeof value === "string" ? value : null;
  return _traceContext(one(headers.traceparent), one(headers.tracestate));
}

/**
 * `{ traceContext }` for `execute()` options, or nothing without one.
 *
 * @param traceContext What the client sent.
 * @returns Options to spread into `ExecuteOptions`.
 *
 * @example Spread it
 * ```ts
 * import { traceOption } from "./trace_context.ts";
 * const options = { caller: "x", ...traceOption(undefined) };
 * ```
 */
export function traceOption(
  traceContext: TraceContext | undefined,
): { traceContext?: TraceContext } {
  return traceContext === undefined ? {} : { traceContext };
}

/**
 * The `execbox.mcp.request` span of a request to an upstream MCP server, and
 * the `traceparent` it sends along in the request's `_meta`.
 *
 * @module
 */

import { type Context, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { startChildSpan } from "./start_child_span.ts";
import { formatTraceparent } from "./trace_context.ts";

/** What a request to an upstream is. */
export interface McpRequestSpanOptions {
  /** The server's key in `mcpServers`. */
  server: string;
  /** The MCP method, such as `"tools/call"`. */
  method: string;
  /**
   * The upstream tool's name, for `tools/call`.
   * @default {undefined (none)}
   */
  tool?: string;
}

/** A started upstream request span. */
export interface McpRequestSpan {
  /** `_meta` for the request: the span's `traceparent`, when it has one. */
  readonly meta: { traceparent: string } | undefined;
  /**
   * Ends the span; an error status when the request failed.
   *
   * @param failed Whether the request failed.
   */
  end(failed: boolean): void;
}

/**
 * Starts the span of one request to an upstream MCP server.
 *
 * @param parent The tool call's context (`ToolContext.traceContext`).
 * @param options The server, method and tool.
 * @returns The span, with the `_meta` that continues the trace upstream.
 *
 * @example Around a request
 * ```ts
 * import { startMcpRequestSpan } from "./mcp_request_span.ts";
 * const span = startMcpRequestSpan(undefined, {
 *   server: "github",
 *   method: "tools/call",
 *   tool: "search_issues",
 * });
 * span.end(false);
 * ```
 */
export function startMcpRequestSpan(
  parent: Context | undefined,
  options: McpRequestSpanOptions,
): McpRequestSpan {
  const span = startChildSpan(parent, "execbox.mcp.request", {
    kind: SpanKind.CLIENT,
    attributes: {
      "mcp.method.name": options.method,
      "execbox.upstream": options.server,
      ...(options.tool === undefined
        ? {}
        : { "gen_ai.tool.name": options.tool }),
    },
  });
  const traceparent = formatTraceparent(span.spanContext());
  let ended = false;
  return {
    meta: traceparent === undefined ? undefined : { traceparent },
    end(failed: boolean) {
      if (ended) return;
      ended = true;
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute("execbox.outcome", failed ? "error" : "ok");
      span.end();
    },
  };
}

/**
 * execbox as an MCP server: two tools, `execute` and `search_tools`, however
 * many tools the broker holds, so what a client keeps in context stays small.
 *
 * @module
 */

// The SDK's "./*" export maps `x.js` to a missing `x.js.d.ts`, which leaves
// every import `any` under Deno (modelcontextprotocol/typescript-sdk#2701);
// the extensionless subpath names the real declarations.
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer as SdkMcpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import denoJson from "../../deno.json" with { type: "json" };
import type { Broker } from "../broker.ts";
import { ExecboxError } from "../errors.ts";
import { type Limits, mergeLimits } from "../limits.ts";
import type { ExecuteResult } from "../result.ts";
import type { ToolMatch } from "../types/search.ts";

// An alias rather than a re-export: `deno doc --lint` counts a type from an
// npm package as private, and a re-export would lint the SDK's own docs.
/**
 * The MCP SDK's server (`McpServer` from
 * `@modelcontextprotocol/sdk/server/mcp.js`), as {@linkcode createMcpServer}
 * returns it: connect it to any SDK transport.
 */
export type McpServer = SdkMcpServer;

/** Options of {@linkcode createMcpServer}. */
export interface McpServerOptions {
  /**
   * The server's name, as `initialize` reports it.
   * @default {"execbox"}
   */
  name?: string;
  /**
   * The server's version, as `initialize` reports it.
   * @default {the version in execbox's deno.json}
   */
  version?: string;
  /**
   * UTF-8 bytes of text either tool returns; text beyond them is cut and a
   * line `[execbox: output truncated at N bytes]` added, with a failed run's
   * error line kept after it. The structured result is never cut.
   * @default {20000}
   */
  maxTextBytes?: number;
  /**
   * Who the runs are for, in audit records and to scope sessions (the HTTP
   * service passes the token's name).
   * @default {"mcp"}
   */
  caller?: string;
  /**
   * Limits for every run the `execute` tool starts, over the broker's. The
   * description states the time and memory limits that result.
   * @default {{}}
   */
  limits?: Partial<Limits>;
  /**
   * How many namespaces the `execute` description lists by name; the rest
   * are counted and left to `search_tools`.
   * @default {50}
   */
  maxNamespaces?: number;
  /**
   * Text appended to the `execute` tool's description, such as what the
   * tools are for.
   * @default {""}
   */
  instructions?: string;
}

const _SEARCH_LIMIT = 20;
const _SEARCH_DETAIL = "summary";
const _encoder = new TextEncoder();

/**
 * Creates an MCP server that offers a broker's tools through code: the
 * `execute` tool runs a program with {@linkcode Broker.execute}, and
 * `search_tools` finds tools and their TypeScript declarations with
 * {@linkcode Broker.searchTools}. Each call returns a new server, so an HTTP
 * service can connect one per request; they all share the broker.
 *
 * Cancelling an `execute` call (MCP `notifications/cancelled`) cancels its run.
 *
 * @param broker The broker whose tools and runs the server offers.
 * @param options Name, version, text size, limits and extra instructions.
 * @returns A new, unconnected server.
 * @throws {RangeError} When `maxTextBytes` or `maxNamespaces` is not a
 * positive whole number, or a limit is out of range.
 * @throws {TypeError} On an unknown limit.
 *
 * @example Serve a broker over stdio
 * ```ts ignore
 * import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
 * import { createBroker } from "@execbox/core";
 * import { createMcpServer } from "@execbox/core/mcp";
 *
 * const broker = await createBroker({ providers });
 * await createMcpServer(broker).connect(new StdioServerTransport());
 * ```
 *
 * @example Call the execute tool from an MCP client
 * ```ts
 * import assert from "node:assert/strict";
 * import { Client } from "@modelcontextprotocol/sdk/client/index.js";
 * import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
 * import { createBroker } from "../../mod.ts";
 * import { createMcpServer } from "./server.ts";
 *
 * await using broker = await createBroker({ pool: { size: 1 } });
 * const server = createMcpServer(broker);
 * const client = new Client({ name: "example", version: "1.0.0" });
 * const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
 * await server.connect(serverSide);
 * await client.connect(clientSide);
 * try {
 *   const call = await client.callTool({
 *     name: "execute",
 *     arguments: { code: "[1, 2, 3].map((n) => n * 2)" },
 *   });
 *   assert.deepEqual(call.content, [{ type: "text", text: "[2,4,6]" }]);
 * } finally {
 *   await client.close();
 *   await server.close();
 * }
 * ```
 */
export function createMcpServer(
  broker: Broker,
  options: McpServerOptions = {},
): McpServer {
  const maxTextBytes = _positiveInteger(
    options.maxTextBytes,
    20_000,
    "maxTextBytes",
  );
  const maxNamespaces = _positiveInteger(
    options.maxNamespaces,
    50,
    "maxNamespaces",
  );
  const limits = options.limits ?? {};
  // Checks the values now rather than on the first call.
  const effective = mergeLimits(broker.limits, limits, "MCP server options");

  const server = new SdkMcpServer({
    name: options.name ?? "execbox",
    version: options.version ?? denoJson.version,
  });

  server.registerTool("execute", {
    description: _executeDescription(broker, {
      limits: { timeoutMs: effective.timeoutMs, memoryMb: effective.memoryMb },
      maxNamespaces,
      instructions: options.instructions ?? "",
    }),
    inputSchema: {
      code: z.string(),
      session: z.string().min(1).max(256).optional().describe(
        "Keeps a `state` object (get, set, delete, keys) across runs with the same session",
      ),
    },
    // No outputSchema: ExecuteResult's `result` is any JSON, so a schema tells
    // a model nothing the text does not, and it measured 200 (loose) to 320
    // (exact enums) o200k tokens in every client's context: 35-55% more than
    // both tools' definitions with 300 tools.
  }, async ({ code, session }, extra): Promise<CallToolResult> => {
    let run: ExecuteResult;
    try {
      run = await broker.execute(code, {
        signal: extra.signal,
        limits,
        caller: options.caller ?? "mcp",
        ...(session === undefined ? {} : { session }),
      });
    } catch (error) {
      if (!(error instanceof ExecboxError)) throw error;
      return {
        content: [{
          type: "text",
          text: `error ${error.code}: ${error.message}`,
        }],
        isError: true,
      };
    }
    const result: CallToolResult = {
      content: [{ type: "text", text: _executeText(run, maxTextBytes) }],
      structuredContent: _jsonSafe(run),
    };
    if (!run.ok) result.isError = true;
    return result;
  });

  server.registerTool("search_tools", {
    description:
      "Find the tools the execute tool's code can call, by words in their names and descriptions.",
    inputSchema: {
      query: z.string().describe("Words that must all occur; empty for all"),
      // An explicit maximum: `int()` alone publishes 2^53 - 1 (6 tokens).
      limit: z.number().int().min(1).max(1000).optional().describe(
        `Most matches (default ${_SEARCH_LIMIT})`,
      ),
      detail: z.enum(["name", "summary", "full"]).optional().describe(
        `name: paths only; summary: with a one-line description; full: with TypeScript declarations (default ${_SEARCH_DETAIL})`,
      ),
    },
    annotations: { readOnlyHint: true },
  }, ({ query, limit, detail }): CallToolResult => {
    const matches = broker.searchTools(query, {
      limit: limit ?? _SEARCH_LIMIT,
      detail: detail ?? _SEARCH_DETAIL,
    });
    // Text only: structured matches repeat the text (declarations included)
    // at two to three times its tokens.
    return {
      content: [{
        type: "text",
        text: _fit(
          _searchText(query, detail ?? _SEARCH_DETAIL, matches),
          "",
          maxTextBytes,
        ),
      }],
    };
  });

  return server;
}

/**
 * The `execute` tool's description: how to write the code, what is absent,
 * the limits, and the namespaces with their tool counts (no declarations, so
 * it stays small however many tools there are).
 */
function _executeDescription(
  broker: Broker,
  options: {
    limits: Pick<Limits, "timeoutMs" | "memoryMb">;
    maxNamespaces: number;
    instructions: string;
  },
): string {
  const counts = new Map<string, number>();
  for (const tool of broker.tools()) {
    counts.set(tool.namespace, (counts.get(tool.namespace) ?? 0) + 1);
  }
  const listed = [...counts].slice(0, options.maxNamespaces)
    .map(([namespace, count]) => `${namespace} (${count})`);
  const rest = counts.size - listed.length;
  const namespaces = counts.size === 0
    ? "No tools are available yet."
    : `Namespaces (tool count): ${listed.join(", ")}${
      rest > 0 ? `, and ${rest} more: use search_tools to find them` : ""
    }.`;
  const text = [
    "Run TypeScript or JavaScript in a sandbox whose only globals beyond the language are the tool namespaces listed below, and get its result. Prefer one program that calls several tools and returns just what you need over many small calls.",
    "",
    "- The code runs as the body of an async function: use top-level await.",
    "- The result is the value of a `return` or of the last expression; it must be JSON.",
    "- Each tool is an async function under its namespace that takes one object argument: `await ns.tool({ ... })`.",
    "- console.log output comes back as logs.",
    '- Before calling a tool, get its exact signature with search_tools and detail "full".',
    "- Nothing else exists: no fetch, no imports, no file system, no Deno or process.",
    `- ${_limitsText(options.limits)}`,
    "",
    namespaces,
  ].join("\n");
  return options.instructions === ""
    ? text
    : `${text}\n\n${options.instructions}`;
}

function _limitsText(limits: Pick<Limits, "timeoutMs" | "memoryMb">): string {
  const { timeoutMs, memoryMb } = limits;
  const time = timeoutMs % 1000 === 0
    ? `${timeoutMs / 1000} s`
    : `${timeoutMs} ms`;
  return `Limits per run: ${time} (tool calls included), ${memoryMb} MiB of memory.`;
}

/**
 * The text a model reads of a run: the result as compact JSON (pretty JSON
 * measured 70-100% more o200k tokens), the logs, and for a failure the error.
 */
function _executeText(run: ExecuteResult, maxBytes: number): string {
  const sections: string[] = [];
  if (run.ok) {
    sections.push(
      run.result === undefined
        ? "(no result: end the code with an expression or a `return`)"
        : JSON.stringify(run.result),
    );
  }
  if (run.logs.length > 0) {
    const lines = run.logs.map(({ level, message }) =>
      level === "log" ? message : `[${level}] ${message}`
    );
    sections.push(`logs:\n${lines.join("\n")}`);
  }
  const error = run.ok ? "" : `error ${run.error.code}: ${run.error.message}`;
  return _fit(sections.join("\n\n"), error, maxBytes);
}

/**
 * The text of a search: paths, `path: summary` lines, or for `"full"` the
 * declarations inside their `declare namespace`, one block per run of matches
 * from the same namespace so that the ranking is kept.
 */
function _searchText(
  query: string,
  detail: "name" | "summary" | "full",
  matches: readonly ToolMatch[],
): string {
  if (matches.length === 0) {
    return `No tools match ${
      JSON.stringify(query)
    }; try fewer words, or an empty query for every tool`;
  }
  if (detail !== "full") {
    return matches.map(({ path, description }) =>
      description === undefined ? path : `${path}: ${description}`
    ).join("\n");
  }
  const groups: { namespace: string; lines: string[] }[] = [];
  for (const match of matches) {
    let group = groups.at(-1);
    if (group?.namespace !== match.namespace) {
      group = { namespace: match.namespace, lines: [] };
      groups.push(group);
    }
    // Split on "\n" alone: a string literal type may hold a raw U+2028.
    for (const line of (match.declaration ?? "").split("\n")) {
      group.lines.push(`  ${line}`);
    }
  }
  return groups.map(({ namespace, lines }) =>
    `declare namespace ${namespace} {\n${lines.join("\n")}\n}`
  ).join("\n");
}

/**
 * Joins a body and a last line (for a failure, the error) within `maxBytes`
 * UTF-8 bytes. When they do not fit, the last line keeps up to half the
 * budget, since it is the outcome, and the body is cut before a marker.
 */
function _fit(body: string, last: string, maxBytes: number): string {
  const joined = body === "" || last === ""
    ? body + last
    : `${body}\n\n${last}`;
  if (_encoder.encode(joined).length <= maxBytes) return joined;
  const keptLast = _cut(last, Math.floor(maxBytes / 2));
  const keptBody = _cut(body, maxBytes - _encoder.encode(keptLast).length);
  return [
    keptBody,
    `[execbox: output truncated at ${maxBytes} bytes]`,
    keptLast,
  ].filter((part) => part !== "").join("\n");
}

/** The result as a plain object with no `undefined` values. */
function _jsonSafe(run: ExecuteResult): Record<string, unknown> {
  const safe: Record<string, unknown> = { ok: run.ok };
  if (run.ok) {
    if (run.result !== undefined) safe.result = run.result;
  } else {
    const error: Record<string, unknown> = {
      code: run.error.code,
      message: run.error.message,
    };
    if (run.error.line !== undefined) error.line = run.error.line;
    if (run.error.column !== undefined) error.column = run.error.column;
    safe.error = error;
  }
  safe.logs = run.logs.map(({ level, message }) => ({ level, message }));
  const { durationMs, toolCalls, coldStart, peakMemoryBytes } = run.stats;
  safe.stats = { durationMs, toolCalls, coldStart, peakMemoryBytes };
  return safe;
}

/** The longest prefix of `text` within `maxBytes` UTF-8 bytes, whole code points only. */
function _cut(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return "";
  const bytes = _encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) to a code point's first byte.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

function _positiveInteger(
  value: number | undefined,
  fallback: number,
  name: string,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `${name} must be a whole number of at least 1, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Counting what tool definitions cost a model: the fixed context footprint of
 * execbox's two MCP tools against every upstream tool definition exposed
 * directly. Shared by `execbox tokens` and the token report in `bench/`; it
 * stays out of the library so `@execbox/core` has no tokenizer dependency.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import {
  type Broker,
  createMcpServer,
  type McpServerOptions,
} from "@execbox/core";
import { countTokens as countO200k } from "gpt-tokenizer/encoding/o200k_base";
import tokenizerPackage from "gpt-tokenizer/package.json" with { type: "json" };

/** The tokenizer every count uses. */
export const TOKENIZER: {
  readonly name: string;
  readonly version: string;
  readonly encoding: string;
} = {
  name: "gpt-tokenizer",
  version: tokenizerPackage.version,
  encoding: "o200k_base",
};

/** `gpt-tokenizer 4.0.0 (o200k_base)`. */
export function tokenizerLabel(): string {
  return `${TOKENIZER.name} ${TOKENIZER.version} (${TOKENIZER.encoding})`;
}

/**
 * Tokens of a text.
 *
 * @param text Any text.
 * @returns Its o200k_base token count.
 */
export function countTokens(text: string): number {
  return countO200k(text);
}

/** A tool definition as MCP `tools/list` gives it (the fields counted). */
export interface ToolDefinitionText {
  /** The tool's name. */
  name: string;
  /** What it does. */
  description?: string;
  /** JSON Schema of its argument. */
  inputSchema: unknown;
  /** JSON Schema of its result, when declared. */
  outputSchema?: unknown;
  /** Any other field `tools/list` carries (title, annotations). */
  [field: string]: unknown;
}

/**
 * A tool as a client puts it in the model's context: the model APIs take a
 * name, a description and the input schema (Anthropic's `input_schema`,
 * OpenAI's `parameters`), as JSON.
 *
 * @param tool A definition.
 * @returns Its JSON text.
 */
export function modelToolText(tool: ToolDefinitionText): string {
  const entry: Record<string, unknown> = { name: tool.name };
  if (tool.description !== undefined) entry.description = tool.description;
  entry.input_schema = tool.inputSchema;
  return JSON.stringify(entry);
}

/** One tool's cost. */
export interface ToolTokens {
  /** The tool's name. */
  name: string;
  /** Tokens as the model sees it ({@linkcode modelToolText}). */
  tokens: number;
  /** Tokens of its whole `tools/list` entry as JSON. */
  listTokens: number;
}

/** A group of tools and what they cost together. */
export interface ToolGroupTokens {
  /** The server's guest namespace (or `execbox`). */
  name: string;
  /** Each tool. */
  tools: ToolTokens[];
  /** Sum of `tokens`. */
  tokens: number;
  /** Sum of `listTokens`. */
  listTokens: number;
}

/** The fixed-context comparison for one broker. */
export interface Footprint {
  /** The tokenizer used. */
  tokenizer: typeof TOKENIZER;
  /** execbox's `execute` and `search_tools`, as its MCP server lists them. */
  execbox: ToolGroupTokens;
  /** Each upstream server's tools, exposed directly. */
  upstream: ToolGroupTokens[];
  /** Every upstream tool together: what direct exposure costs. */
  direct: { tools: number; tokens: number; listTokens: number };
  /** Share of the direct cost code mode saves (0 to 100; negative if it costs more). */
  savedPercent: number;
}

/**
 * Counts a group of tool definitions.
 *
 * @param name The group's name.
 * @param tools The definitions.
 * @returns Per-tool and total counts.
 */
export function groupTokens(
  name: string,
  tools: readonly ToolDefinitionText[],
): ToolGroupTokens {
  const counted = tools.map((tool) => ({
    name: tool.name,
    tokens: countTokens(modelToolText(tool)),
    listTokens: countTokens(JSON.stringify(tool)),
  }));
  return {
    name,
    tools: counted,
    tokens: counted.reduce((sum, t) => sum + t.tokens, 0),
    listTokens: counted.reduce((sum, t) => sum + t.listTokens, 0),
  };
}

/**
 * The tools execbox's MCP server lists for a broker, exactly as a client
 * receives them.
 *
 * @param broker The broker.
 * @param options The MCP server's options.
 * @returns The `tools/list` entries.
 */
export async function execboxToolDefinitions(
  broker: Broker,
  options?: McpServerOptions,
): Promise<ToolDefinitionText[]> {
  const server = createMcpServer(broker, options);
  const client = new Client({ name: "execbox-tokens", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  try {
    await client.connect(clientSide);
    const { tools } = await client.listTools();
    return tools as ToolDefinitionText[];
  } finally {
    await client.close();
    await server.close();
  }
}

/**
 * Every upstream tool of a broker as its server defined it (provider name,
 * description, input and output schema), grouped by namespace. Fields the
 * broker does not keep (`title`, `annotations`) are not counted, so direct
 * figures are, if anything, low.
 *
 * @param broker The broker.
 * @returns Definitions by namespace, in the broker's order.
 */
export function upstreamToolDefinitions(
  broker: Broker,
): Map<string, ToolDefinitionText[]> {
  const groups = new Map<string, ToolDefinitionText[]>();
  for (const tool of broker.tools()) {
    const definition: ToolDefinitionText = {
      name: tool.originalName,
      inputSchema: tool.inputSchema,
    };
    if (tool.description !== undefined) {
      definition.description = tool.description;
    }
    if (tool.outputSchema !== undefined) {
      definition.outputSchema = tool.outputSchema;
    }
    const group = groups.get(tool.namespace) ?? [];
    group.push(definition);
    groups.set(tool.namespace, group);
  }
  return groups;
}

/**
 * Measures the fixed context footprint of code mode for a broker.
 *
 * @param broker A broker with its upstream servers connected.
 * @param options The MCP server's options.
 * @returns The counts.
 */
export async function measureFootprint(
  broker: Broker,
  options?: McpServerOptions,
): Promise<Footprint> {
  const execbox = groupTokens(
    "execbox",
    await execboxToolDefinitions(broker, options),
  );
  const upstream = [...upstreamToolDefinitions(broker)].map(([name, tools]) =>
    groupTokens(name, tools)
  );
  const direct = {
    tools: upstream.reduce((sum, g) => sum + g.tools.length, 0),
    tokens: upstream.reduce((sum, g) => sum + g.tokens, 0),
    listTokens: upstream.reduce((sum, g) => sum + g.listTokens, 0),
  };
  return {
    tokenizer: TOKENIZER,
    execbox,
    upstream,
    direct,
    savedPercent: direct.tokens === 0
      ? 0
      : (1 - execbox.tokens / direct.tokens) * 100,
  };
}

/**
 * The footprint as a plain-text report.
 *
 * @param footprint What {@linkcode measureFootprint} returned.
 * @returns Lines of text, ending with a newline.
 */
export function renderFootprint(footprint: Footprint): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const rows: [string, string, string, string][] = [];
  const group = (g: ToolGroupTokens, label: string) => {
    rows.push([label, String(g.tools.length), n(g.tokens), n(g.listTokens)]);
  };
  group(footprint.execbox, "execbox (code mode)");
  for (const t of footprint.execbox.tools) {
    rows.push([`  ${t.name}`, "", n(t.tokens), n(t.listTokens)]);
  }
  for (const g of footprint.upstream) group(g, `${g.name} (direct)`);
  rows.push([
    "all upstream tools (direct)",
    String(footprint.direct.tools),
    n(footprint.direct.tokens),
    n(footprint.direct.listTokens),
  ]);
  const header: [string, string, string, string] = [
    "",
    "tools",
    "tokens",
    "tools/list JSON",
  ];
  const widths = [0, 1, 2, 3].map((i) =>
    Math.max(...[header, ...rows].map((r) => r[i]!.length))
  );
  const line = (r: string[]) =>
    r.map((cell, i) =>
      i === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[i]!)
    )
      .join("  ").trimEnd();
  const saved = footprint.direct.tokens - footprint.execbox.tokens;
  const verdict = footprint.direct.tools === 0
    ? "No upstream tools are configured: code mode costs its two tools' tokens and saves nothing yet."
    : saved >= 0
    ? `Code mode keeps ${n(saved)} fewer tokens in context (${
      footprint.savedPercent.toFixed(1)
    }% less) before any tool is called.`
    : `Code mode costs ${
      n(-saved)
    } more tokens than these few tools exposed directly; it pays off with larger tool sets and intermediate results.`;
  return [
    `Tokenizer: ${tokenizerLabel()}`,
    "Tokens: each tool as a model API receives it, JSON of { name, description, input_schema };",
    "tools/list JSON: the whole entry as MCP lists it (upstream: name, description and schemas as the broker keeps them).",
    "",
    line(header),
    ...rows.map(line),
    "",
    verdict,
    "",
  ].join("\n");
}

/**
 * The agent adapters against the MCP server they mirror: the tokens each
 * SDK's tool definitions cost (o200k_base), and the time of one `execute`
 * call through an adapter against the same call through an MCP client on an
 * in-memory transport (the baseline), interleaved in one process.
 *
 * Usage: deno run -A bench/agent_tools.ts [--reps N] [--namespaces N]
 *
 * @module
 */

// A benchmark prints its report.
// deno-lint-ignore-file no-console

import { parseArgs } from "node:util";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { z } from "zod";
import { createBroker, createMcpServer, defineTool } from "../mod.ts";
import {
  anthropicTools,
  codeModeTools,
  openaiChatTools,
  openaiResponsesTools,
} from "../broker/agents/mod.ts";
import {
  countTokens,
  execboxToolDefinitions,
  modelToolText,
  tokenizerLabel,
} from "../cli/_tokens.ts";
import { fmt, median, quantile } from "./_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "41" },
    namespaces: { type: "string", default: "20" },
  },
});
const reps = Number(values.reps);
const namespaces = Number(values.namespaces);

// 20 namespaces of 15 tools: 300 tools, as in the MCP token report.
const providers: Record<string, Record<string, ReturnType<typeof defineTool>>> =
  {};
for (let n = 0; n < namespaces; n++) {
  const tools: Record<string, ReturnType<typeof defineTool>> = {};
  for (let t = 0; t < 15; t++) {
    tools[`tool_${t}`] = defineTool({
      description: `Tool ${t} of service ${n}`,
      input: z.object({ id: z.string() }),
      execute: ({ id }) => ({ id }),
    });
  }
  providers[`service_${n}`] = tools;
}

await using broker = await createBroker({ pool: { size: 2 }, providers });

const mcpDefinitions = await execboxToolDefinitions(broker);
const rows: [string, number, number][] = [];
const mcpTokens = mcpDefinitions.map((t) => countTokens(modelToolText(t)));
rows.push(["MCP tools/list (baseline)", mcpTokens[0]!, mcpTokens[1]!]);
const json = (tools: readonly unknown[]) =>
  tools.map((t) => countTokens(JSON.stringify(t)));
const [a0, a1] = json(anthropicTools(broker).tools);
rows.push(["Anthropic Messages tools", a0!, a1!]);
const [r0, r1] = json(openaiResponsesTools(broker).tools);
rows.push(["OpenAI Responses tools", r0!, r1!]);
const [c0, c1] = json(openaiChatTools(broker).tools);
rows.push(["OpenAI Chat Completions tools", c0!, c1!]);
// What the AI SDK hands a provider: name, description and the JSON Schema.
const [v0, v1] = codeModeTools(broker).specs.map((s) =>
  countTokens(modelToolText({ ...s }))
);
rows.push(["Vercel AI SDK tool set", v0!, v1!]);

console.log(
  `Tool definition tokens, ${tokenizerLabel()}, ${
    namespaces * 15
  } tools in ${namespaces} namespaces:`,
);
console.log("| definitions | execute | search_tools |");
console.log("|---|---:|---:|");
for (const [label, e, s] of rows) console.log(`| ${label} | ${e} | ${s} |`);

// One `execute` call: the MCP client (baseline) and the Anthropic adapter,
// alternated so that load on the machine falls on both alike.
const server = createMcpServer(broker);
const client = new Client({ name: "bench", version: "1.0.0" });
const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
await server.connect(serverSide);
await client.connect(clientSide);
const codeMode = anthropicTools(broker);
const code = "await service_0.tool_0({ id: 'a' })";
const mcpMs: number[] = [];
const adapterMs: number[] = [];
try {
  for (let i = 0; i < reps + 3; i++) {
    let start = performance.now();
    await client.callTool({ name: "execute", arguments: { code } });
    const mcp = performance.now() - start;
    start = performance.now();
    await codeMode.handle({
      type: "tool_use",
      id: `toolu_${i}`,
      name: "execute",
      input: { code },
    });
    const adapter = performance.now() - start;
    // The first calls warm the pool and the JIT.
    if (i >= 3) {
      mcpMs.push(mcp);
      adapterMs.push(adapter);
    }
  }
} finally {
  await client.close();
  await server.close();
}
const line = (label: string, samples: number[]) =>
  `| ${label} | ${fmt(median(samples), "ms")} | ${
    fmt(quantile(samples, 0.1), "ms")
  } | ${fmt(quantile(samples, 0.9), "ms")} |`;
console.log(`\nOne execute call with one tool call, ${reps} runs each:`);
console.log("| path | median | p10 | p90 |");
console.log("|---|---:|---:|---:|");
console.log(line("MCP client, in-memory transport (baseline)", mcpMs));
console.log(line("anthropicTools().handle()", adapterMs));

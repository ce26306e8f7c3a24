/**
 * (6) and (7): the token report. The fixed context footprint of code mode for
 * `server-everything`, `server-filesystem` and `server-memory` together
 * (bench/servers.jsonc; `execbox tokens --config bench/servers.jsonc` prints
 * the same), and three workflows run both ways against the real servers,
 * with both transcripts written to docs/transcripts/.
 *
 * Usage: deno run -A bench/tokens.ts (or bench/main.ts --only tokens)
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import {
  getDefaultEnvironment,
  StdioClientTransport,
} from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import {
  type Broker,
  brokerOptionsFromConfig,
  createBroker,
  createMcpServer,
  loadConfig,
  type McpServerConfig,
} from "../mod.ts";
import {
  countTokens,
  type Footprint,
  measureFootprint,
  modelToolText,
  tokenizerLabel,
  type ToolDefinitionText,
} from "../cli/_tokens.ts";
import type { DirectCall, Workflow } from "./workflows/_workflow.ts";
import {
  declarationSizes,
  EVERYTHING_CALLS,
  type LearnedTypeFigures,
  learnedTypes,
} from "./learned_types.ts";
import { dependencyAudit } from "./workflows/dependency_audit.ts";
import { logTriage } from "./workflows/log_triage.ts";
import { salesByTier } from "./workflows/sales_by_tier.ts";

/** The workflows, in the order docs/transcripts/README.md lists them. */
export const WORKFLOWS: readonly Workflow[] = [
  logTriage,
  salesByTier,
  dependencyAudit,
];

/** Where the workflows' data lives: the filesystem server's only directory. */
export const WORKFLOW_ROOT = "/tmp/execbox-workflows";

const _DOCS = new URL("../docs/", import.meta.url);
const _CONFIG = new URL("./servers.jsonc", import.meta.url).pathname;

/** One workflow's counts. */
export interface WorkflowTokens {
  id: string;
  /** Tokens in context at the end, direct tool calling. */
  direct: number;
  /** Tokens in context at the end, code mode. */
  code: number;
  /** Input tokens summed over every model turn, direct. */
  directBilled: number;
  /** Input tokens summed over every model turn, code mode. */
  codeBilled: number;
  /** Model turns (calls plus the answer), direct and code mode. */
  turns: [number, number];
  /** `1 - code / direct`, in percent. */
  savedPercent: number;
  /** Whether both ways reached the same answer. */
  sameAnswer: boolean;
  /** Code mode's tokens by what they were: definitions, searches, program... */
  codeParts: Record<string, number>;
}

/** What bench/main.ts reports of the token run. */
export interface TokenSummary {
  tokenizer: string;
  execboxTokens: number;
  directTokens: number;
  footprint: Footprint;
  workflows: WorkflowTokens[];
  /** Declaration sizes before and after return types are learned. */
  learned?: LearnedTypeFigures;
}

/** One block of a transcript: what entered the model's context. */
interface _Block {
  kind: "tools" | "user" | "call" | "result" | "answer";
  title: string;
  text: string;
  /** Fence language for the markdown transcript. */
  lang: string;
  tokens: number;
}

/** What the model had in its context, block by block. */
class _Transcript {
  readonly blocks: _Block[] = [];

  add(kind: _Block["kind"], title: string, text: string, lang = "text"): void {
    this.blocks.push({ kind, title, text, lang, tokens: countTokens(text) });
  }

  tools(definitions: readonly ToolDefinitionText[]): void {
    this.add(
      "tools",
      `tool definitions (${definitions.length} tools)`,
      definitions.map(modelToolText).join("\n"),
      "json",
    );
  }

  get total(): number {
    return this.blocks.reduce((sum, b) => sum + b.tokens, 0);
  }

  /** Input tokens over the turns: each model turn reads everything before it. */
  get billed(): number {
    let context = 0;
    let billed = 0;
    for (const block of this.blocks) {
      if (block.kind === "call" || block.kind === "answer") billed += context;
      context += block.tokens;
    }
    return billed;
  }

  get turns(): number {
    return this.blocks.filter((b) => b.kind === "call" || b.kind === "answer")
      .length;
  }

  markdown(heading: string, intro: string): string {
    const n = (v: number) => v.toLocaleString("en-US");
    const parts = [
      `# ${heading}`,
      "",
      intro,
      "",
      `Tokens in context at the end: **${
        n(this.total)
      }** (${tokenizerLabel()}); input tokens over the ${this.turns} model turns: ${
        n(this.billed)
      }.`,
    ];
    this.blocks.forEach((block, i) => {
      parts.push(
        "",
        `## ${i + 1}. ${block.title} (${n(block.tokens)} tokens)`,
        "",
        `\`\`\`\`${block.lang}`,
        block.text,
        "````",
      );
    });
    return parts.join("\n") + "\n";
  }
}

/** The text a client puts in context for a tool result: its text content. */
function _resultText(result: unknown): string {
  const content = ((result as { content?: unknown }).content ?? []) as {
    type: string;
    text?: string;
  }[];
  return content.map((c) =>
    c.type === "text" ? c.text ?? "" : JSON.stringify(c)
  ).join("\n");
}

async function _resetRoot(workflow: Workflow): Promise<void> {
  await Deno.remove(WORKFLOW_ROOT, { recursive: true }).catch(() => {});
  await Deno.mkdir(WORKFLOW_ROOT, { recursive: true });
  await workflow.setup(WORKFLOW_ROOT);
}

/** Direct MCP clients to every configured server. */
async function _directClients(
  servers: Record<string, McpServerConfig>,
): Promise<Map<string, Client>> {
  const clients = new Map<string, Client>();
  for (const [name, config] of Object.entries(servers)) {
    if (!("command" in config)) {
      throw new TypeError(`Server "${name}" is not a stdio server`);
    }
    const client = new Client({
      name: "execbox-bench-direct",
      version: "1.0.0",
    });
    await client.connect(
      new StdioClientTransport({
        command: config.command,
        args: config.args ?? [],
        env: { ...getDefaultEnvironment(), ...config.env },
        stderr: "ignore",
      }),
    );
    clients.set(name, client);
  }
  return clients;
}

async function _direct(
  workflow: Workflow,
  clients: Map<string, Client>,
  definitions: ToolDefinitionText[],
): Promise<{ transcript: _Transcript; answer: string }> {
  await _resetRoot(workflow);
  const transcript = new _Transcript();
  transcript.tools(definitions);
  transcript.add("user", "user", workflow.task(WORKFLOW_ROOT));
  const call: DirectCall = async (server, tool, args) => {
    transcript.add(
      "call",
      `assistant calls ${tool}`,
      JSON.stringify({ name: tool, input: args }),
      "json",
    );
    const result = await clients.get(server)!.callTool({
      name: tool,
      arguments: args,
    });
    const text = _resultText(result);
    if (result.isError) throw new Error(`${server}.${tool} failed: ${text}`);
    transcript.add("result", `result of ${tool}`, text);
    return text;
  };
  const answer = await workflow.direct(call, WORKFLOW_ROOT);
  transcript.add("answer", "assistant answers", answer);
  return { transcript, answer };
}

async function _codeMode(
  workflow: Workflow,
  broker: Broker,
): Promise<{ transcript: _Transcript; answer: string }> {
  await _resetRoot(workflow);
  const server = createMcpServer(broker);
  const client = new Client({ name: "execbox-bench-code", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    const transcript = new _Transcript();
    transcript.tools((await client.listTools()).tools as ToolDefinitionText[]);
    transcript.add("user", "user", workflow.task(WORKFLOW_ROOT));
    for (const query of workflow.searches) {
      const input = { query, detail: "full", limit: 3 };
      transcript.add(
        "call",
        "assistant calls search_tools",
        JSON.stringify({ name: "search_tools", input }),
        "json",
      );
      const result = await client.callTool({
        name: "search_tools",
        arguments: input,
      });
      transcript.add("result", "result of search_tools", _resultText(result));
    }
    const code = workflow.code(WORKFLOW_ROOT);
    transcript.add(
      "call",
      "assistant calls execute",
      JSON.stringify({ name: "execute", input: { code } }),
      "json",
    );
    const result = await client.callTool({
      name: "execute",
      arguments: { code },
    });
    const text = _resultText(result);
    if (result.isError) {
      throw new Error(`execute failed in ${workflow.id}: ${text}`);
    }
    transcript.add("result", "result of execute", text);
    const run = result.structuredContent as { result: unknown };
    const answer = workflow.answer(run.result);
    transcript.add("answer", "assistant answers", answer);
    return { transcript, answer };
  } finally {
    await client.close();
    await server.close();
  }
}

/** Code mode's tokens grouped by what they were. */
function _parts(transcript: _Transcript): Record<string, number> {
  const parts: Record<string, number> = {
    "tool definitions": 0,
    "user request": 0,
    "search_tools calls and results": 0,
    "the program": 0,
    "its result": 0,
    "final answer": 0,
  };
  for (const block of transcript.blocks) {
    const key = block.kind === "tools"
      ? "tool definitions"
      : block.kind === "user"
      ? "user request"
      : block.kind === "answer"
      ? "final answer"
      : block.title.endsWith("search_tools")
      ? "search_tools calls and results"
      : block.kind === "call"
      ? "the program"
      : "its result";
    parts[key]! += block.tokens;
  }
  return parts;
}

function _footprintTable(footprint: Footprint): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const rows = [
    `| execbox (code mode): \`execute\`, \`search_tools\` | 2 | **${
      n(footprint.execbox.tokens)
    }** | ${n(footprint.execbox.listTokens)} |`,
    ...footprint.upstream.map((g) =>
      `| ${g.name}, exposed directly | ${g.tools.length} | ${n(g.tokens)} | ${
        n(g.listTokens)
      } |`
    ),
    `| all three, exposed directly | ${footprint.direct.tools} | **${
      n(footprint.direct.tokens)
    }** | ${n(footprint.direct.listTokens)} |`,
  ];
  return [
    "| tools in context | tools | tokens | tokens as `tools/list` JSON |",
    "| --- | ---: | ---: | ---: |",
    ...rows,
  ].join("\n");
}

function _report(summary: TokenSummary): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const f = summary.footprint;
  const workflowRows = summary.workflows.map((w) =>
    `| [${w.id}](transcripts/${w.id}-direct.md) | ${n(w.direct)} | [${
      n(w.code)
    }](transcripts/${w.id}-code.md) | **${w.savedPercent.toFixed(1)}%** | ${
      n(w.directBilled)
    } | ${n(w.codeBilled)} | ${w.turns[0]} / ${w.turns[1]} | ${
      w.sameAnswer ? "yes" : "**no**"
    } |`
  );
  return `# Tokens: what code mode keeps out of the model's context

Generated by \`deno run -A bench/main.ts --only tokens\` (also part of \`deno task
bench\`). Tokenizer: **${tokenizerLabel()}** from npm, the encoding of OpenAI's
GPT-4o and later models; other models' tokenizers give different absolute
numbers but much the same ratios.

## 6. Fixed footprint

What an MCP client puts in the model's context before anything is called: the
tool definitions. The servers are \`@modelcontextprotocol/server-everything\`,
\`server-filesystem\` and \`server-memory\` (2026.8.31), configured in
[bench/servers.jsonc](../bench/servers.jsonc). Reproduce this table for your own
servers with \`execbox tokens --config execbox.jsonc\` (here:
\`deno run -A cli/main.ts tokens --config bench/servers.jsonc\`).

${_footprintTable(f)}

"Tokens" counts each tool the way a client hands it to a model API: the JSON of
\`{ name, description, input_schema }\`. The last column counts the whole
\`tools/list\` entry (output schemas and annotations too); for the upstream
servers it has the fields the broker keeps (name, description, input and output
schema), so if anything it is low. Code mode's footprint does not grow with the
number of upstream tools: \`execute\`'s description lists each namespace with a
tool count (one line), and \`search_tools\` finds the declarations when the
model needs them. With these three servers code mode keeps ${
    n(f.direct.tokens - f.execbox.tokens)
  } fewer tokens (${f.savedPercent.toFixed(1)}%) in every request.

## 7. Workflows

Three workflows, chosen and written down before measuring
([transcripts/README.md](transcripts/README.md)), each run both ways against the
real servers on the same generated data. Both transcripts of each are in
[transcripts/](transcripts/): what the model would have seen either way.

- **Direct**: every upstream definition (${f.direct.tools} tools) plus every call and its
  full result enters the context.
- **Code mode**: execbox's two tools, one \`search_tools\` call (detail
  \`full\`, limit 3) per tool the program needs, the program, and its result.

Both end with the same final answer written from the results. "In context" is the
sum of every block's tokens at the end (message framing adds a few tokens per
message either way and is left out). "Input over turns" is what a model API
bills for input when each turn re-reads the context so far (no prompt caching).

| workflow | direct: in context | code mode: in context | saved | direct: input over turns | code mode: input over turns | turns (direct / code) | same answer |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | :---: |
${workflowRows.join("\n")}

Where code mode's tokens go:

| workflow | ${Object.keys(summary.workflows[0]?.codeParts ?? {}).join(" | ")} |
| --- | ${
    Object.keys(summary.workflows[0]?.codeParts ?? {}).map(() => "---:").join(
      " | ",
    )
  } |
${
    summary.workflows.map((w) =>
      `| ${w.id} | ${Object.values(w.codeParts).map(n).join(" | ")} |`
    ).join("\n")
  }

How this scales: the direct figure grows with every byte a tool returns and
with every tool definition; the code-mode figure grows with the length of the
program and of its result. Where the intermediate data is small (a single
lookup, a short list) direct calling can cost less than code mode's fixed
${n(f.execbox.tokens)} tokens plus a search; the saving comes from data the
model never needs to read.
${summary.learned === undefined ? "" : _learnedSection(summary.learned)}`;
}

/** Section 8: declaration sizes before and after return types are learned. */
function _learnedSection(learned: LearnedTypeFigures): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const { before, after } = learned;
  const toolRows = Object.keys(before.tools).map((path) => {
    const type = learned.types[path];
    return `| \`${path}\` | ${n(before.tools[path]!)} | ${
      n(after.tools[path]!)
    } | ${
      type === undefined ? "(not called)" : `\`${type.replaceAll("|", "\\|")}\``
    } |`;
  });
  const searchRows = Object.keys(before.searches).map((id) =>
    `| ${id} | ${n(before.searches[id]!)} | ${n(after.searches[id]!)} |`
  );
  return `
## 8. Learned return types

Most MCP tools publish no \`outputSchema\`, so their declarations say
\`Promise<unknown>\`. execbox learns the JSON shape of their results (types and
key names, never values) and declares it, with a JSDoc line saying the return
type was inferred from results (7 tokens). Measured on the same broker: before
any run, then after the
workflows above and one call of each \`server-everything\` tool without a
schema that answers at once (the run in [bench/learned_types.ts](../bench/learned_types.ts)).
Tokens are of the \`search_tools\` declaration of each tool (detail \`full\`).

| tool (no output schema) | tokens before | tokens after | learned return type |
| --- | ---: | ---: | --- |
${toolRows.join("\n")}

| declarations | tokens before | tokens after |
| --- | ---: | ---: |
| all of \`types()\` (${before.learned} then ${after.learned} learned types) | ${
    n(before.types)
  } | ${n(after.types)} |

The three workflows call only \`server-filesystem\` and \`server-memory\`
tools, which now publish output schemas, so their \`search_tools\` results do
not change:

| workflow | search_tools declarations before | after |
| --- | ---: | ---: |
${searchRows.join("\n")}

\`get_env\` shows the environment variable names the server sees, so its type
differs from machine to machine; its values never enter the type or the store.

## 9. Saved skills

Measured with [bench/skills_tokens.ts](../bench/skills_tokens.ts) on the same
three servers (o200k tokens; the MCP server's caller, \`"mcp"\`): skills off, on
with none saved, and on with the three workflows above saved as skills
(\`signature: "() => Promise<unknown>"\`, the first sentence of the task as the
description). These are counts of text, so the loaded machine does not change
them.

| text                       | skills off | on, none saved | on, 3 saved |
| -------------------------- | ---------: | -------------: | ----------: |
| MCP \`execute\` description  |        193 |            231 |         235 |
| all of \`types({ caller })\` |      3,275 |          3,275 |       3,517 |

The \`execute\` description gains one line on \`skills.save\` (38 tokens) and
\`skills (N)\` in its namespace counts (4 tokens); \`types()\` gains the \`skills\`
declaration with \`save\`, \`list\` and \`delete\` (96 tokens), then each skill's own
declaration:

| skill            | declaration with its signature | without (\`(args?: unknown) => Promise<unknown>\`) | the workflow's code, sent again | \`await skills.<name>()\` |
| ---------------- | -----------------------------: | -----------------------------------------------: | ------------------------------: | ----------------------: |
| log_triage       |                             45 |                                               49 |                             323 |                       6 |
| sales_by_tier    |                             54 |                                               58 |                             322 |                       7 |
| dependency_audit |                             41 |                                               45 |                             259 |                       7 |

A declaration costs ~40-60 tokens (mostly its description) in \`types()\` and in a
\`search_tools\` result that finds it; repeating a workflow through its skill
sends ~7 tokens of code instead of ~260-320.
`;
}

/**
 * Runs the footprint and the workflows; writes docs/tokens.md and the
 * transcripts unless `write` is false.
 */
export async function runTokenReport(
  options: { write: boolean; quick: boolean },
): Promise<TokenSummary> {
  await Deno.mkdir(WORKFLOW_ROOT, { recursive: true });
  const loaded = await loadConfig({
    path: _CONFIG,
    env: {
      ...Deno.env.toObject(),
      EXECBOX_DENO: Deno.execPath(),
      EXECBOX_BENCH_DIR: WORKFLOW_ROOT,
    },
  });
  if (loaded === undefined) throw new Error(`Cannot read ${_CONFIG}`);
  const servers = loaded.config.mcpServers;
  const broker = await createBroker({
    ...brokerOptionsFromConfig(loaded.config),
    pool: { size: 1 },
  });
  const clients = await _directClients(servers);
  const searches = Object.fromEntries(WORKFLOWS.map((w) => [w.id, w.searches]));
  try {
    const sizesBefore = declarationSizes(broker, searches);
    const footprint = await measureFootprint(broker);
    const definitions: ToolDefinitionText[] = [];
    for (const client of clients.values()) {
      definitions.push(
        ...(await client.listTools()).tools as ToolDefinitionText[],
      );
    }
    const workflows: WorkflowTokens[] = [];
    const files = new Map<string, string>();
    for (const workflow of WORKFLOWS) {
      const direct = await _direct(workflow, clients, definitions);
      const code = await _codeMode(workflow, broker);
      workflows.push({
        id: workflow.id,
        direct: direct.transcript.total,
        code: code.transcript.total,
        directBilled: direct.transcript.billed,
        codeBilled: code.transcript.billed,
        turns: [direct.transcript.turns, code.transcript.turns],
        savedPercent: (1 - code.transcript.total / direct.transcript.total) *
          100,
        sameAnswer: direct.answer === code.answer,
        codeParts: _parts(code.transcript),
      });
      files.set(
        `transcripts/${workflow.id}-direct.md`,
        direct.transcript.markdown(
          `${workflow.id}: direct tool calling`,
          `Every tool definition of the three servers is in context; each call's full result comes back into it. See [README.md](README.md) for the task.`,
        ),
      );
      files.set(
        `transcripts/${workflow.id}-code.md`,
        code.transcript.markdown(
          `${workflow.id}: code mode (execbox)`,
          `Only execbox's two tools are in context; the model looks up the signatures it needs, runs one program, and reads its result. See [README.md](README.md) for the task.`,
        ),
      );
    }
    const taught = await broker.execute(EVERYTHING_CALLS);
    if (!taught.ok) {
      throw new Error(`Learning run failed: ${taught.error.message}`);
    }
    const summary: TokenSummary = {
      tokenizer: tokenizerLabel(),
      execboxTokens: footprint.execbox.tokens,
      directTokens: footprint.direct.tokens,
      footprint,
      workflows,
      learned: {
        before: sizesBefore,
        after: declarationSizes(broker, searches),
        types: learnedTypes(broker),
      },
    };
    files.set("tokens.md", _report(summary));
    if (options.write) {
      for (const [path, text] of files) {
        await Deno.writeTextFile(new URL(path, _DOCS), text);
      }
    }
    return summary;
  } finally {
    for (const client of clients.values()) await client.close();
    await broker.close();
    await Deno.remove(WORKFLOW_ROOT, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const summary = await runTokenReport({
    write: !Deno.args.includes("--dry-run"),
    quick: false,
  });
  Deno.stdout.writeSync(
    new TextEncoder().encode(
      `${JSON.stringify({ ...summary, footprint: undefined }, null, 2)}\n`,
    ),
  );
}

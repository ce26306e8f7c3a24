/**
 * `execbox mcp`: execbox as an MCP server on stdio.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
// @ts-types="@modelcontextprotocol/sdk/server/stdio"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createMcpServer } from "@execbox/core";
import {
  type Command,
  configuredOptions,
  deferred,
  err,
  onStopSignals,
  openAuditLog,
  startBroker,
} from "../_shared.ts";
import { mcpInput } from "../_terminal_input.ts";

const help =
  `Serve execbox as an MCP server over stdio (tools: execute, search_tools).

Usage: execbox mcp [options]

Nothing but MCP messages is written to stdout; status goes to stderr. The
server exits when stdin closes, and stops the runtime pool and every upstream
MCP server first.

Options:
  --config FILE      Configuration file (default: $EXECBOX_CONFIG, then ./execbox.jsonc)
  --verbose          Report progress on stderr
  -h, --help         Show this help

Example (an MCP client configuration):
  { "mcpServers": { "execbox": { "command": "deno",
      "args": ["run", "-A", "jsr:@execbox/cli", "mcp"],
      "env": { "EXECBOX_CONFIG": "/path/to/execbox.jsonc" } } } }
`;

async function _run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: "string" }, verbose: { type: "boolean" } },
  });
  const { loaded, options } = await configuredOptions(values.config, mcpInput);
  const audit = await openAuditLog(loaded);
  // One client on stdio: caller shares would only halve its slots.
  const broker = await startBroker(
    {
      maxConcurrencyPerCaller: options.maxConcurrency ?? 4,
      maxQueuePerCaller: options.maxQueue ?? 64,
      ...options,
      ...(audit === undefined ? {} : { onRun: audit.hook }),
    },
    values.verbose ?? false,
  );
  const server = createMcpServer(broker);
  const transport = new StdioServerTransport();
  const { promise: stopped, resolve: stop } = deferred<string>();
  transport.onclose = () => stop("transport closed");
  process.stdin.once("end", () => stop("stdin closed"));
  process.stdin.once("close", () => stop("stdin closed"));
  const removeSignals = onStopSignals(stop);
  try {
    await server.connect(transport);
    const why = await stopped;
    if (values.verbose) err(`execbox: stopping (${why})\n`);
    return 0;
  } finally {
    removeSignals();
    await server.close().catch(() => {});
    await broker.close();
    await audit?.close();
  }
}

/** The `mcp` command. */
export const mcpCommand: Command = {
  name: "mcp",
  summary: "Serve execbox as an MCP server on stdio",
  help,
  run: _run,
};

/**
 * `execbox tokens`: what code mode saves in a model's fixed context for the
 * configured servers: the tokens of execbox's two MCP tools against every
 * upstream tool definition exposed directly.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  type Command,
  configuredOptions,
  out,
  startBroker,
} from "../_shared.ts";
import { measureFootprint, renderFootprint } from "../_tokens.ts";

const help =
  `Count the model-context tokens of execbox's two MCP tools (execute, search_tools)
against every tool definition of the configured MCP servers exposed directly.

Usage: execbox tokens [options]

Each configured server is started and its tools listed; no code is run. Counts
use gpt-tokenizer's o200k_base encoding, per tool, per server and in total.

Options:
  --config FILE      Configuration file (default: $EXECBOX_CONFIG, then ./execbox.jsonc)
  --json             Print the counts as JSON
  --verbose          Report progress on stderr; stack traces on errors
  -h, --help         Show this help

Example:
  execbox tokens --config execbox.jsonc
`;

async function _run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string" },
      json: { type: "boolean" },
      verbose: { type: "boolean" },
    },
  });
  const { options } = await configuredOptions(values.config);
  // No runs: no runtime subprocess is started.
  const broker = await startBroker(
    { ...options, pool: { size: 0 } },
    values.verbose ?? false,
  );
  try {
    const footprint = await measureFootprint(broker);
    out(
      values.json
        ? `${JSON.stringify(footprint, null, 2)}\n`
        : renderFootprint(footprint),
    );
    return 0;
  } finally {
    await broker.close();
  }
}

/** The `tokens` command. */
export const tokensCommand: Command = {
  name: "tokens",
  summary:
    "Count the context tokens code mode saves for the configured servers",
  help,
  run: _run,
};

/**
 * `execbox init`: writes a starting `execbox.jsonc`, from an MCP client's
 * configuration when given one, and prints what puts `execbox mcp` into that
 * client in place of the servers it now wraps.
 *
 * @module
 */

import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import {
  CLIENT_NAMES,
  type ClientFormat,
  type ConfigInput,
  convertClientConfig,
} from "@execbox/core";
import { type Command, err, out, UsageError } from "../_shared.ts";

const help =
  `Write a starting execbox.jsonc, and print the MCP client entry that runs it.

Usage: execbox init [--from CLIENT_CONFIG] [options]

With --from, the servers of an MCP client's configuration (Claude Desktop,
Claude Code, Cursor, VS Code, Windsurf, Cline) move into execbox.jsonc, with
every secret left as a \${VAR} reference, and the entry that replaces them in
that client is printed on stdout.

Options:
  --from FILE        An MCP client's configuration file to start from
  --output FILE      The file to write (default: ./execbox.jsonc)
  --force            Overwrite the file when it exists
  -h, --help         Show this help

Example:
  execbox init --from ~/Library/Application\\ Support/Claude/claude_desktop_config.json
`;

const _STARTER = `// execbox configuration, written by "execbox init".
// Secrets stay in the environment: \${VAR} is read when execbox starts.
// Limits, the pool, sessions, audit and http: see the README of @execbox/core.
{
  "mcpServers": {
    // Paste servers from any MCP client's "mcpServers", for example:
    // "github": {
    //   "command": "npx",
    //   "args": ["-y", "@modelcontextprotocol/server-github"],
    //   "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "\${GITHUB_TOKEN}" }
    // }
  }
}
`;

async function _run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      from: { type: "string" },
      output: { type: "string" },
      force: { type: "boolean" },
    },
  });
  const output = resolve(process.cwd(), values.output ?? "execbox.jsonc");
  const converted = values.from === undefined
    ? undefined
    : await convertClientConfig(values.from);
  for (const warning of converted?.warnings ?? []) {
    err(`execbox: ${warning}\n`);
  }
  try {
    // "wx" fails when the file exists: no window between a check and a write.
    await writeFile(output, converted?.text ?? _STARTER, {
      flag: values.force ? "w" : "wx",
    });
  } catch (error) {
    if ((error as { code?: unknown })?.code !== "EEXIST") throw error;
    throw new UsageError(
      `Cannot write "${output}": the file exists (pass --force to overwrite it)`,
      "init",
    );
  }
  const servers = converted?.servers ?? [];
  err(
    `execbox: wrote ${output}${
      servers.length === 0
        ? ""
        : ` with ${servers.length} servers: ${servers.join(", ")}`
    }\n`,
  );
  const variables = [
    ...(converted?.inputs ?? []).map((input) => input.variable),
    ...(converted?.envFileVariables ?? []),
  ];
  if (variables.length > 0) {
    err(`execbox: set in the environment: ${variables.join(", ")}\n`);
  }
  const format = converted?.format ?? "execbox";
  const client = format === "execbox"
    ? "your MCP client"
    : CLIENT_NAMES[format];
  err(
    `execbox: in ${client}'s configuration${
      values.from === undefined ? "" : ` (${values.from})`
    }, ${
      servers.length === 0 ? "add" : "replace those servers with"
    } this entry:\n`,
  );
  out(
    `${
      JSON.stringify(
        clientSnippet(format, output, {
          inputs: converted?.inputs ?? [],
          envFiles: converted?.envFiles ?? [],
        }),
        null,
        2,
      )
    }\n`,
  );
  return 0;
}

/**
 * The entry that runs `execbox mcp` with `config`, in a client's shape: VS
 * Code's `servers` (with its inputs passed on as `EXECBOX_INPUT_<ID>`, since
 * `execbox mcp` cannot ask), everyone else's `mcpServers`. Clients that read
 * an `envFile` (VS Code, Cursor) pass the one the servers used to execbox.
 */
export function clientSnippet(
  format: ClientFormat | "execbox",
  config: string,
  from: { inputs: readonly ConfigInput[]; envFiles: readonly string[] },
): Record<string, unknown> {
  const { inputs, envFiles } = from;
  const entry: Record<string, unknown> = {
    command: "deno",
    args: ["run", "-A", "jsr:@execbox/cli", "mcp", "--config", config],
  };
  // One envFile per server: with several, the variables are listed instead.
  if (
    (format === "vscode" || format === "cursor") && envFiles.length === 1
  ) entry.envFile = envFiles[0];
  if (format !== "vscode") return { mcpServers: { execbox: entry } };
  const snippet: Record<string, unknown> = {
    servers: { execbox: { type: "stdio", ...entry } },
  };
  if (inputs.length > 0) {
    snippet.inputs = inputs.map((input) => ({
      type: "promptString",
      id: input.id,
      description: input.description,
      password: input.password,
    }));
    (snippet.servers as { execbox: Record<string, unknown> }).execbox.env =
      Object.fromEntries(
        inputs.map((input) => [input.variable, `\${input:${input.id}}`]),
      );
  }
  return snippet;
}

/** The `init` command. */
export const initCommand: Command = {
  name: "init",
  summary: "Write a starting execbox.jsonc, from an MCP client's config",
  help,
  run: _run,
};

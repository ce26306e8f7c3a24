/**
 * The execbox command line: `deno run -A jsr:@execbox/cli <command>`.
 *
 * This file parses the command and its help flags, dispatches to
 * `commands/<name>.ts`, and is the only place that exits the process.
 *
 * @module
 */

import process from "node:process";
import { ExecboxError } from "@execbox/core";
import denoJson from "./deno.json" with { type: "json" };
import { type Command, err, out, UsageError } from "./_shared.ts";
import { authCommand } from "./commands/auth.ts";
import { initCommand } from "./commands/init.ts";
import { mcpCommand } from "./commands/mcp.ts";
import { runCommand } from "./commands/run.ts";
import { serveCommand } from "./commands/serve.ts";
import { skillsCommand } from "./commands/skills.ts";
import { tokensCommand } from "./commands/tokens.ts";
import { toolsCommand } from "./commands/tools.ts";

const _COMMANDS: readonly Command[] = [
  runCommand,
  serveCommand,
  mcpCommand,
  toolsCommand,
  skillsCommand,
  tokensCommand,
  authCommand,
  initCommand,
];

function _usage(): string {
  const width = Math.max(..._COMMANDS.map((c) => c.name.length));
  return `execbox ${denoJson.version}: run code that AI models write, in a zero-permission sandbox.

Usage: execbox <command> [options]

Commands:
${_COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Options:
  -h, --help     Show help (also after a command: execbox run --help)
  --version      Show the version

Example:
  execbox run -e "[1, 2, 3].map((n) => n * 2)"
`;
}

/**
 * Runs the CLI.
 *
 * @param args The arguments after the program name.
 * @returns The exit code: 0 success, 1 a failed run, 2 usage or configuration errors.
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (
    name === undefined || name === "-h" || name === "--help" || name === "help"
  ) {
    out(_usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V") {
    out(`execbox ${denoJson.version}\n`);
    return 0;
  }
  const command = _COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    err(
      `error: unknown command "${name}"\nhint: run "execbox --help" for the list of commands\n`,
    );
    return 2;
  }
  if (rest.includes("-h") || rest.includes("--help")) {
    out(command.help);
    return 0;
  }
  const verbose = rest.includes("--verbose");
  try {
    return await command.run(rest);
  } catch (error) {
    return _report(error, command, verbose);
  }
}

function _report(error: unknown, command: Command, verbose: boolean): number {
  const message = error instanceof Error ? error.message : String(error);
  if (
    error instanceof UsageError ||
    (error as { code?: string })?.code?.startsWith?.("ERR_PARSE_ARGS")
  ) {
    err(
      `error: ${message}\nhint: run "execbox ${command.name} --help" for usage\n`,
    );
    return 2;
  }
  err(`error: ${message}\n`);
  if (error instanceof ExecboxError && error.code.startsWith("config")) {
    err(`hint: check the configuration file, or pass another with --config\n`);
  } else if ((error as { code?: unknown })?.code === "ENOENT") {
    err(`hint: check the path\n`);
  } else if (!verbose) {
    err(`hint: run again with --verbose for details\n`);
  }
  if (verbose && error instanceof Error && error.stack) err(`${error.stack}\n`);
  return error instanceof ExecboxError && error.code.startsWith("config")
    ? 2
    : 1;
}

// The npm package's `bin/execbox.js` calls `main` the same way.
if (import.meta.main) process.exit(await main(process.argv.slice(2)));

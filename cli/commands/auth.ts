/**
 * `execbox auth <server>`: the one interactive OAuth login to an HTTP
 * upstream server. Prints the authorization URL (and opens it when it can),
 * receives the redirect on a loopback port, stores the tokens where `serve`,
 * `mcp`, `run` and `tools` find them.
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";
import { parseArgs } from "node:util";
import {
  denoHost,
  FileOAuthStore,
  loginUpstream,
  type McpHttpServerConfig,
} from "@execbox/core";
import {
  type Command,
  configuredOptions,
  err,
  out,
  UsageError,
  wholeNumber,
} from "../_shared.ts";

const help =
  `Log in to an HTTP MCP server that asks for OAuth, once; the tokens are kept
for serve, mcp, run and tools, and refreshed when they expire.

Usage: execbox auth <server> [options]

Prints the authorization URL and tries to open it in a browser, then waits for
the redirect on a loopback port (oauth.redirectPort, or any free one).
Tokens go to $EXECBOX_STATE_DIR/oauth, else $XDG_STATE_HOME/execbox/oauth,
else ~/.local/state/execbox/oauth (files of mode 0600).

Options:
  --config FILE      Configuration file (default: $EXECBOX_CONFIG, then ./execbox.jsonc)
  --no-open          Only print the URL; do not start a browser
  --timeout SECONDS  How long to wait for the browser (default: 300)
  --verbose          Stack traces on errors
  -h, --help         Show this help

Example:
  execbox auth linear --config execbox.jsonc
`;

// Starts the platform's URL opener; a missing one only means the person
// opens the printed URL themselves.
function _open(url: URL): void {
  const command = process.platform === "darwin"
    ? ["open", url.href]
    : process.platform === "win32"
    ? ["cmd", "/c", "start", "", url.href]
    : ["xdg-open", url.href];
  try {
    const child = spawn(command[0]!, command.slice(1), {
      stdio: "ignore",
      detached: true,
    });
    child.on("error", () => {});
    child.unref();
  } catch {
    // no opener: the URL is printed
  }
}

async function _run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      "no-open": { type: "boolean" },
      timeout: { type: "string" },
      verbose: { type: "boolean" },
    },
  });
  const [key, ...extra] = positionals;
  if (key === undefined || extra.length > 0) {
    throw new UsageError("expected one server name", "auth");
  }
  const timeout = wholeNumber(values.timeout, "timeout", "auth");
  const { options } = await configuredOptions(values.config);
  const servers = options.mcpServers ?? {};
  const config = servers[key];
  if (config === undefined) {
    const known = Object.keys(servers).map((name) => `"${name}"`).join(", ");
    throw new UsageError(
      `no server "${key}" in the configuration (servers: ${known || "none"})`,
      "auth",
    );
  }
  if ("command" in config) {
    throw new UsageError(
      `server "${key}" is a stdio server; OAuth is for http servers`,
      "auth",
    );
  }
  const store = options.oauthStore ?? new FileOAuthStore();
  const result = await loginUpstream({
    key,
    config: config as McpHttpServerConfig,
    store,
    host: options.host ?? denoHost,
    ...(timeout === undefined ? {} : { timeoutMs: timeout * 1000 }),
    open: (url) => {
      err(
        `Open this URL to log in to "${key}":\n\n  ${url.href}\n\nWaiting for the browser...\n`,
      );
      if (!values["no-open"]) _open(url);
    },
  });
  out(
    `Logged in to "${key}"${
      result.interactive ? "" : " (no browser step was needed)"
    }: ${result.tools} tools\n`,
  );
  return 0;
}

/** The `auth` command. */
export const authCommand: Command = {
  name: "auth",
  summary: "Log in to an HTTP MCP server that asks for OAuth",
  help,
  run: _run,
};

/**
 * An MCP client's configuration turned into the text of a starting
 * `execbox.jsonc`, with every secret left as a `${VAR}` reference: what
 * `execbox init --from` writes.
 *
 * @module
 */

import { getNodeValue, type ParseError, parseTree } from "jsonc-parser";
import { parse as parseDotenv } from "dotenv";
import { readTextFile } from "../../host/deno.ts";
import { configError, syntaxProblem } from "../problem.ts";
import { parseConfig } from "../config.ts";
import { type ConfigInput, prepareClientConfig } from "./client_config.ts";
import { CLIENT_NAMES, type ClientFormat } from "./client_format.ts";

/** What {@linkcode convertClientConfig} returns. */
export interface ConvertedClientConfig {
  /** The client the file comes from, or `"execbox"` for an `execbox.jsonc`. */
  format: ClientFormat | "execbox";
  /** The servers the new file wraps, disabled ones included. */
  servers: string[];
  /** The text of the new `execbox.jsonc`. */
  text: string;
  /** The VS Code inputs it uses, read from `EXECBOX_INPUT_<ID>`. */
  inputs: ConfigInput[];
  /**
   * Variables that an `envFile` set, now `${NAME}` references that the
   * environment must set.
   */
  envFileVariables: string[];
  /** The absolute paths of the `envFile`s those variables came from. */
  envFiles: string[];
  /** Lines to show the user, such as the keys of the client ignored. */
  warnings: string[];
}

/**
 * Reads an MCP client's configuration file and writes the `execbox.jsonc`
 * that wraps the same servers. Nothing is expanded: `${VAR}` stays a
 * reference, `${env:VAR}` becomes `${VAR}`, a VS Code `${input:ID}` becomes
 * `${EXECBOX_INPUT_<ID>}`, and each variable of an `envFile` becomes
 * `"NAME": "${NAME}"` in the server's `env`, so no secret is copied.
 *
 * @param path The client's configuration file.
 * @returns The new file's text and what it needs from the environment.
 * @throws {ExecboxError} `config_invalid` when the file is not valid JSONC
 * or its servers do not pass execbox's checks.
 *
 * @example Convert a Claude Desktop configuration
 * ```ts ignore
 * import { convertClientConfig } from "@execbox/core";
 *
 * const { text } = await convertClientConfig("claude_desktop_config.json");
 * await Deno.writeTextFile("execbox.jsonc", text);
 * ```
 */
export async function convertClientConfig(
  path: string,
): Promise<ConvertedClientConfig> {
  const source = await readTextFile(path);
  const text = source.startsWith("\uFEFF") ? source.slice(1) : source;
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true });
  const syntax = errors[0];
  if (syntax !== undefined) {
    throw configError(path, text, syntaxProblem(syntax));
  }
  if (root === undefined) {
    throw configError(path, text, { offset: 0, message: "empty file" });
  }
  const prepared = await prepareClientConfig(root, path, {
    env: {},
    readEnvFiles: false,
    fail: (problem) => {
      throw configError(path, text, problem);
    },
  });
  const value = getNodeValue(root) as Record<string, unknown>;
  const servers = (value.mcpServers ?? {}) as Record<
    string,
    Record<string, unknown>
  >;
  const envFileVariables = new Set<string>();
  for (const [name, file] of Object.entries(prepared?.envFiles ?? {})) {
    const server = servers[name];
    if (server === undefined) continue;
    const env = { ...(server.env ?? {}) } as Record<string, string>;
    for (const key of Object.keys(parseDotenv(await readTextFile(file)))) {
      envFileVariables.add(key);
      env[key] ??= `\${${key}}`;
    }
    server.env = env;
  }
  const from = prepared === undefined
    ? "an execbox.jsonc"
    : `${CLIENT_NAMES[prepared.format]}'s ${JSON.stringify(path)}`;
  const out = `// execbox configuration, written by "execbox init" from ${from}.
// Secrets stay in the environment: \${VAR} is read when execbox starts.
// Limits, the pool, sessions, audit and http: see the README of @execbox/core.
${JSON.stringify({ mcpServers: servers }, null, 2)}
`;
  // The new file must load; checked with every variable set, since the
  // environment is the user's to fill in.
  parseConfig(out, "execbox.jsonc", new Proxy({}, { get: () => "x" }));
  return {
    format: prepared?.format ?? "execbox",
    servers: Object.keys(servers),
    text: out,
    inputs: prepared?.inputs ?? [],
    envFileVariables: [...envFileVariables],
    envFiles: [...new Set(Object.values(prepared?.envFiles ?? {}))],
    warnings: prepared?.warnings ?? [],
  };
}

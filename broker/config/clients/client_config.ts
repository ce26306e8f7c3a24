/**
 * An MCP client's configuration file read as an `execbox.jsonc`: its tree is
 * rewritten in place into execbox's shape before the usual checks, so a
 * typo in one of execbox's own keys is still an error with "did you mean",
 * and each problem still points at the line the user wrote.
 *
 * @module
 */

import type { Node } from "jsonc-parser";
import { parse as parseDotenv } from "dotenv";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, resolve } from "node:path";
import type { ConfigProblem } from "../problem.ts";
import { readTextFile } from "../../host/deno.ts";
import {
  CLIENT_NAMES,
  CLIENT_ONLY_SERVER_KEYS,
  CLIENT_ONLY_TOP_KEYS,
  type ClientFormat,
  detectClientFormat,
  propertyMap,
} from "./client_format.ts";

/** A VS Code `promptString` input that a server's configuration uses. */
export interface ConfigInput {
  /** Its `id`, as in `${input:ID}`. */
  id: string;
  /** Its `description`, the question to ask. */
  description: string;
  /** Whether the answer is a secret to hide as it is typed. */
  password: boolean;
  /** The environment variable that answers it: `EXECBOX_INPUT_<ID>`. */
  variable: string;
}

/**
 * Asks for a VS Code input that no `EXECBOX_INPUT_<ID>` variable answers;
 * the answer is treated as a secret.
 */
export type PromptInput = (input: ConfigInput) => Promise<string>;

/** What {@linkcode prepareClientConfig} found and did. */
export interface PreparedClientConfig {
  /** The client the file comes from. */
  format: ClientFormat;
  /** The environment for `${VAR}` expansion, with the inputs' answers. */
  env: Record<string, string | undefined>;
  /** Variables each stdio server gets from its `envFile`. */
  serverEnv: Record<string, Record<string, string>>;
  /** The values read from `envFile`s, to redact. */
  secrets: string[];
  /** One line naming the keys ignored, when there were any. */
  warnings: string[];
  /** The VS Code inputs that enabled servers use, in the file's order. */
  inputs: ConfigInput[];
  /**
   * The absolute path of each server's `envFile`, when
   * `readEnvFiles` was `false` (else they are read into `serverEnv`).
   */
  envFiles: Record<string, string>;
}

/** Options of {@linkcode prepareClientConfig}. */
export interface PrepareClientConfigOptions {
  /** Variables for `${env:VAR}` and `EXECBOX_INPUT_<ID>`. */
  env: Record<string, string | undefined>;
  /** Asks for an input that no variable answers; without it, none is asked. */
  promptInput?: PromptInput;
  /** Reports a problem in the file; never returns. */
  fail: (problem: ConfigProblem) => never;
  /**
   * Read each `envFile` now; `false` only records its path in `envFiles`
   * (`execbox init` writes references, never the values).
   * @default {true}
   */
  readEnvFiles?: boolean;
}

/**
 * The environment variable that answers VS Code's `${input:ID}`.
 *
 * @param id The input's id, such as `"github-token"`.
 * @returns Its variable, such as `"EXECBOX_INPUT_GITHUB_TOKEN"`.
 */
export function inputVariable(id: string): string {
  return `EXECBOX_INPUT_${id.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/**
 * Rewrites the tree of an MCP client's configuration into execbox's shape:
 * VS Code's `servers` is `mcpServers` and its `inputs` are asked for (or read
 * from `EXECBOX_INPUT_<ID>`); `${env:VAR}`, `${workspaceFolder}` and
 * `${userHome}` are resolved; `envFile` is read; Windsurf's `serverUrl` is
 * `url`; Cline's `timeout` (seconds) becomes milliseconds and its
 * `streamableHttp` type `http`. Keys only the client acts on are removed and
 * named in one warning. Disabled servers are left alone.
 *
 * @param root The file's tree; changed in place.
 * @param path The file's absolute path.
 * @param options The environment, the prompt and the failure report.
 * @returns `undefined` for an `execbox.jsonc`, else what was found.
 * @throws What `options.fail` throws, for an unreadable `envFile`; what
 * `options.promptInput` throws.
 */
export async function prepareClientConfig(
  root: Node,
  path: string,
  options: PrepareClientConfigOptions,
): Promise<PreparedClientConfig | undefined> {
  const format = detectClientFormat(path, root);
  if (format === undefined) return undefined;
  const env = { ...options.env };
  const ignored = new Set<string>();
  const prepared: PreparedClientConfig = {
    format,
    env,
    serverEnv: {},
    secrets: [],
    warnings: [],
    inputs: [],
    envFiles: {},
  };

  const top = propertyMap(root);
  const inputs = _inputs(top.get("inputs"));
  _remove(root, (key) => {
    if (key === "inputs" && format === "vscode") return true;
    if (!CLIENT_ONLY_TOP_KEYS[format].includes(key)) return false;
    ignored.add(key);
    return true;
  });
  const serversKey = format === "vscode" && !top.has("mcpServers")
    ? "servers"
    : "mcpServers";
  const serversNode = _rename(root, serversKey, "mcpServers");

  const folder = _workspaceFolder(path);
  for (const property of serversNode?.children ?? []) {
    const name = String(property.children?.[0]?.value);
    const server = property.children?.[1];
    if (server?.type !== "object") continue;
    const keys = propertyMap(server);
    _remove(server, (key) => {
      if (!CLIENT_ONLY_SERVER_KEYS[format].includes(key)) return false;
      ignored.add(key);
      return true;
    });
    if (format === "windsurf") {
      _rename(server, "serverUrl", "url");
      _rename(server, "disabledTools", "denyTools");
    }
    if (format === "cline") _cline(server, keys);
    // A disabled server's variables need not be set, nor its envFile exist.
    if (keys.get("disabled")?.value === true) {
      _remove(server, (key) => key === "envFile");
      continue;
    }
    for (const node of _strings(server)) {
      (node as _Mutable).value = await _resolveVariables(node, {
        format,
        folder,
        env,
        inputs,
        used: prepared.inputs,
        ...(options.promptInput ? { prompt: options.promptInput } : {}),
      });
    }
    const envFile = keys.get("envFile");
    if (envFile !== undefined && options.readEnvFiles === false) {
      prepared.envFiles[name] = _envFilePath(
        envFile,
        dirname(path),
        options.fail,
      );
      _remove(server, (key) => key === "envFile");
    } else if (envFile !== undefined) {
      const read = await _envFile(envFile, dirname(path), options.fail);
      prepared.serverEnv[name] = read;
      prepared.secrets.push(...Object.values(read).filter((v) => v !== ""));
      _remove(server, (key) => key === "envFile");
    }
  }
  if (ignored.size > 0) {
    prepared.warnings.push(
      `ignored keys only ${CLIENT_NAMES[format]} uses in "${basename(path)}": ${
        [...ignored].join(", ")
      }`,
    );
  }
  return prepared;
}

// jsonc-parser's nodes are plain objects with read-only types; the tree is
// ours to rewrite.
type _Mutable = { -readonly [K in keyof Node]: Node[K] };

interface _Resolve {
  format: ClientFormat;
  folder: string;
  env: Record<string, string | undefined>;
  inputs: Map<string, { description: string; password: boolean }>;
  used: ConfigInput[];
  prompt?: PromptInput;
}

// Paths are written literally (with `${` escaped); `${env:VAR}` and inputs
// become `${VAR}` references, so expansion reports a missing one at its place
// and redacts every value.
const _VARIABLE =
  /\$\{(env|input):([^}]+)\}|\$\{(workspaceFolder|workspaceFolderBasename|userHome|pathSeparator|\/)\}/g;

async function _resolveVariables(node: Node, r: _Resolve): Promise<string> {
  const text = String(node.value);
  if (r.format === "claude-desktop" || r.format === "claude-code") return text;
  for (const match of text.matchAll(_VARIABLE)) {
    if (match[1] !== "input" || match[2] === undefined) continue;
    const id = match[2];
    if (r.used.some((used) => used.id === id)) continue;
    const declared = r.inputs.get(id);
    const input: ConfigInput = {
      id,
      description: declared?.description ?? id,
      password: declared?.password ?? false,
      variable: inputVariable(id),
    };
    r.used.push(input);
    if (r.env[input.variable] !== undefined || r.prompt === undefined) continue;
    r.env[input.variable] = await r.prompt(input);
  }
  return text.replace(
    _VARIABLE,
    (_match, kind?: string, name?: string, builtIn?: string) => {
      if (kind === "env") return `\${${name}}`;
      if (kind === "input") return `\${${inputVariable(name ?? "")}}`;
      const literal = builtIn === "workspaceFolder"
        ? r.folder
        : builtIn === "workspaceFolderBasename"
        ? basename(r.folder)
        : builtIn === "userHome"
        ? homedir()
        : "/";
      // A function, because "$$" in a replacement string is one "$".
      return literal.replaceAll("${", () => "$${");
    },
  );
}

// `.vscode/mcp.json` and `.cursor/mcp.json` sit in the workspace's folder.
function _workspaceFolder(path: string): string {
  const dir = dirname(resolve(path));
  const name = basename(dir);
  return name === ".vscode" || name === ".cursor" ? dirname(dir) : dir;
}

function _cline(server: Node, keys: Map<string, Node>): void {
  const timeout = keys.get("timeout");
  if (typeof timeout?.value === "number") {
    (timeout as _Mutable).value = timeout.value * 1000;
  }
  const type = keys.get("type");
  const transport = keys.get("transportType");
  if (type === undefined && transport !== undefined) {
    _rename(server, "transportType", "type");
  } else if (transport !== undefined) {
    _remove(server, (key) => key === "transportType");
  }
  for (const node of [type, transport]) {
    if (node?.value === "streamableHttp") (node as _Mutable).value = "http";
  }
}

function _envFilePath(
  node: Node,
  dir: string,
  fail: (problem: ConfigProblem) => never,
): string {
  const value = node.value;
  if (typeof value !== "string" || value === "" || value.includes("${")) {
    return fail({
      offset: node.offset,
      message:
        `envFile must be a path (\${workspaceFolder} and \${userHome} allowed), got ${
          JSON.stringify(value)
        }`,
    });
  }
  return isAbsolute(value) ? value : resolve(dir, value);
}

async function _envFile(
  node: Node,
  dir: string,
  fail: (problem: ConfigProblem) => never,
): Promise<Record<string, string>> {
  const value = String(node.value);
  const file = _envFilePath(node, dir, fail);
  let text: string;
  try {
    text = await readTextFile(file);
  } catch (error) {
    return fail({
      offset: node.offset,
      message: `envFile "${value}" cannot be read: ${
        (error as { code?: unknown })?.code === "ENOENT"
          ? "no such file"
          : (error as Error).message
      }`,
    });
  }
  return parseDotenv(text);
}

function _inputs(
  node: Node | undefined,
): Map<string, { description: string; password: boolean }> {
  const inputs = new Map<string, { description: string; password: boolean }>();
  for (const item of node?.type === "array" ? node.children ?? [] : []) {
    const props = propertyMap(item);
    const id = props.get("id")?.value;
    if (typeof id !== "string") continue;
    const description = props.get("description")?.value;
    inputs.set(id, {
      description: typeof description === "string" ? description : id,
      password: props.get("password")?.value === true,
    });
  }
  return inputs;
}

function _strings(node: Node): Node[] {
  if (node.type === "string") return [node];
  if (node.type === "property") {
    const value = node.children?.[1];
    return value === undefined ? [] : _strings(value);
  }
  return (node.children ?? []).flatMap(_strings);
}

function _remove(object: Node, drop: (key: string) => boolean): void {
  if (object.children === undefined) return;
  (object as _Mutable).children = object.children.filter((property) =>
    !drop(String(property.children?.[0]?.value))
  );
}

// Renames a key in place (its position stays the written one) and returns
// its value.
function _rename(object: Node, from: string, to: string): Node | undefined {
  if (from !== to && propertyMap(object).has(to)) {
    return propertyMap(object).get(to);
  }
  let value: Node | undefined;
  for (const property of object.children ?? []) {
    const [key, node] = property.children ?? [];
    if (key?.value === from) {
      (key as _Mutable).value = to;
      value = node;
    }
  }
  return value;
}

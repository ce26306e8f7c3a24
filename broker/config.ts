/**
 * The `execbox.jsonc` file the CLI and the HTTP service read: upstream MCP
 * servers (pasted from any MCP client's `mcpServers`), limits, the pool and
 * the HTTP service, with `${VAR}` references to keep secrets out of the file.
 *
 * @module
 */

import { type Node, type ParseError, parseTree } from "jsonc-parser";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { ExecboxError } from "./errors.ts";
import { DEFAULT_LIMITS, type Limits, mergeLimits } from "./limits.ts";
import type { McpServerConfig } from "./mcp_config.ts";

/** The `http` section: how `execbox serve` listens and whom it admits. */
export interface HttpConfig {
  /** The interface to listen on, such as `"127.0.0.1"`. */
  hostname?: string;
  /** The TCP port, from 0 to 65535 (`0` picks a free one). */
  port?: number;
  /** A bearer token every request must carry. */
  token?: string;
  /** Bearer tokens by caller name, so callers can be told apart. */
  tokens?: Record<string, string>;
  /** The largest request body accepted, in bytes. */
  maxBodyBytes?: number;
  /** Origins (`"https://app.example"`) whose browser requests are allowed. */
  allowedOrigins?: string[];
  /** Values of the `Host` header that are accepted (against DNS rebinding). */
  allowedHosts?: string[];
}

/** The `pool` section: the warm pool and admission of runs. */
export interface PoolConfig {
  /** Subprocesses kept warm (`BrokerOptions.pool.size`). */
  size?: number;
  /** Runs executing at once (`BrokerOptions.maxConcurrency`). */
  maxConcurrency?: number;
  /** Runs that may wait for a slot (`BrokerOptions.maxQueue`). */
  maxQueue?: number;
}

/** A parsed `execbox.jsonc`; absent sections are `{}`. */
export interface ExecboxConfig {
  /** Upstream MCP servers by name, without the disabled ones. */
  mcpServers: Record<string, McpServerConfig>;
  /** Limits for every run. */
  limits: Partial<Limits>;
  /** The warm pool and admission of runs. */
  pool: PoolConfig;
  /** The HTTP service. */
  http: HttpConfig;
}

/** What {@linkcode parseConfig} returns. */
export interface ParsedConfig {
  /** The validated configuration, with `${VAR}` references expanded. */
  config: ExecboxConfig;
  /**
   * Values that must not appear in errors or logs: every non-empty value
   * taken from the environment, and the HTTP tokens.
   */
  secrets: string[];
}

/** What {@linkcode loadConfig} returns. */
export interface LoadedConfig extends ParsedConfig {
  /** The absolute path of the file read. */
  path: string;
}

/** Options of {@linkcode loadConfig}. */
export interface LoadConfigOptions {
  /**
   * The file to read (`--config`); relative to `cwd`. A missing file is an
   * error.
   * @default {`EXECBOX_CONFIG` from `env`, else `execbox.jsonc` in `cwd` when present}
   */
  path?: string;
  /**
   * Variables for `${VAR}` references and `EXECBOX_CONFIG`.
   * @default {Deno.env.toObject()}
   */
  env?: Record<string, string | undefined>;
  /**
   * The directory a relative `path` and the default file are found in.
   * @default {Deno.cwd()}
   */
  cwd?: string;
}

/** The part of `BrokerOptions` a configuration sets; see {@linkcode brokerOptionsFromConfig}. */
export interface ConfigBrokerOptions {
  /** Upstream MCP servers by name. */
  mcpServers?: Record<string, McpServerConfig>;
  /** Limits for every run. */
  limits?: Partial<Limits>;
  /** The warm pool. */
  pool?: { size: number };
  /** Runs executing at once. */
  maxConcurrency?: number;
  /** Runs that may wait for a slot. */
  maxQueue?: number;
}

const _str = z.string({ error: "must be a string" });
const _text = _str.min(1, { error: "must not be empty" });
const _bool = z.boolean({ error: "must be true or false" });
const _strings = z.array(_str, { error: "must be an array of strings" });
const _stringRecord = z.record(z.string(), _str, {
  error: "must be an object of strings",
});
function _whole(min: number, max?: number): z.ZodNumber {
  const range = max === undefined
    ? `must be a whole number of at least ${min}`
    : `must be a whole number from ${min} to ${max}`;
  const schema = z.number({ error: "must be a number" })
    .int({ error: range }).min(min, { error: range });
  return max === undefined ? schema : schema.max(max, { error: range });
}

const _TYPES = ["stdio", "http", "streamable-http", "sse"] as const;
const _STDIO_KEYS = ["command", "args", "env", "cwd"] as const;
const _HTTP_KEYS = ["url", "headers"] as const;

const _server = z.strictObject({
  type: z.enum(_TYPES, {
    error: `must be one of ${_TYPES.map((t) => `"${t}"`).join(", ")}`,
  }).optional(),
  command: _text.optional(),
  args: _strings.optional(),
  env: _stringRecord.optional(),
  cwd: _text.optional(),
  url: _str.optional(),
  headers: _stringRecord.optional(),
  disabled: _bool.optional(),
  timeout: _whole(1).optional(),
  optional: _bool.optional(),
  allowTools: _strings.optional(),
  denyTools: _strings.optional(),
  rawResults: _bool.optional(),
}, { error: "must be an object" }).superRefine((server, ctx) => {
  if (server.disabled === true) return;
  const type = _serverType(server);
  if (type === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `needs a "command" (stdio) or a "url" (http)`,
    });
    return;
  }
  const stdio = type === "stdio";
  if (stdio ? server.command === undefined : server.url === undefined) {
    const key = stdio ? "command" : "url";
    ctx.addIssue({
      code: "custom",
      message: `needs a "${key}" for type "${type}"`,
    });
  }
  for (const key of stdio ? _HTTP_KEYS : _STDIO_KEYS) {
    if (server[key] !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `does not apply to ${stdio ? "a stdio" : "an http"} server`,
      });
    }
  }
  if (!stdio && server.url !== undefined && !_isHttpUrl(server.url)) {
    ctx.addIssue({
      code: "custom",
      path: ["url"],
      message: "must be an http or https URL",
    });
  }
});

// The minimums live in mergeLimits alone; the refinement reuses its verdict.
const _limit = z.number({ error: "must be a number" })
  .int({ error: "must be a whole number" });
const _limits = z.strictObject({
  timeoutMs: _limit.optional(),
  memoryMb: _limit.optional(),
  maxLogBytes: _limit.optional(),
  maxResultBytes: _limit.optional(),
  maxToolCalls: _limit.optional(),
}, { error: "must be an object" }).superRefine((limits, ctx) => {
  for (const [key, value] of Object.entries(limits)) {
    try {
      mergeLimits(DEFAULT_LIMITS, { [key]: value }, "config");
    } catch (error) {
      const prefix = `Limit "${key}" in config `;
      const message = error instanceof Error && error.message.startsWith(prefix)
        ? error.message.slice(prefix.length).replace(/, got .*$/, "")
        : "is out of range";
      ctx.addIssue({ code: "custom", path: [key], message });
    }
  }
});

const _schema = z.strictObject({
  $schema: _str.optional(),
  mcpServers: z.record(z.string(), _server, { error: "must be an object" })
    .optional(),
  limits: _limits.optional(),
  // Minimums mirror the checks in Broker's constructor.
  pool: z.strictObject({
    size: _whole(0).optional(),
    maxConcurrency: _whole(1).optional(),
    maxQueue: _whole(0).optional(),
  }, { error: "must be an object" }).optional(),
  http: z.strictObject({
    hostname: _text.optional(),
    port: _whole(0, 65_535).optional(),
    token: _text.optional(),
    tokens: z.record(z.string(), _text, { error: "must be an object" })
      .optional(),
    maxBodyBytes: _whole(1).optional(),
    allowedOrigins: _strings.optional(),
    allowedHosts: _strings.optional(),
  }, { error: "must be an object" }).optional(),
}, { error: "must be an object" });

type _RawServer = z.output<typeof _server>;

function _serverType(server: _RawServer): _RawServer["type"] {
  if (server.type !== undefined) return server.type;
  if (server.command !== undefined) return "stdio";
  return server.url === undefined ? undefined : "http";
}

function _isHttpUrl(text: string): boolean {
  const url = URL.parse(text);
  return url?.protocol === "http:" || url?.protocol === "https:";
}

/**
 * Parses and validates the text of an `execbox.jsonc` (JSON with comments
 * and trailing commas), expanding `${VAR}` and `${VAR:-default}` in string
 * values from `env` (`$${` writes a literal `${`). Disabled servers are
 * dropped (their variables need not be set); a relative `cwd` of a stdio
 * server is joined to the directory of `file`.
 *
 * @param text The file's text.
 * @param file The file's path, for error messages and relative `cwd`s.
 * @param env Variables for `${VAR}` references.
 * @returns The configuration and the secrets to redact.
 * @throws {ExecboxError} `config_invalid` naming the key path, line and
 * column of the first problem in the file.
 *
 * @example Parse a pasted Claude Desktop configuration
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./config.ts";
 *
 * const { config, secrets } = parseConfig(
 *   `{
 *     // GitHub's token comes from the environment
 *     "mcpServers": {
 *       "github": {
 *         "command": "npx",
 *         "args": ["-y", "@modelcontextprotocol/server-github"],
 *         "env": { "GITHUB_TOKEN": "\${GITHUB_TOKEN}" },
 *       },
 *     },
 *   }`,
 *   "execbox.jsonc",
 *   { GITHUB_TOKEN: "ghp_example" },
 * );
 * assert.equal(config.mcpServers.github?.type, "stdio");
 * assert.deepEqual(secrets, ["ghp_example"]);
 * ```
 */
export function parseConfig(
  text: string,
  file: string,
  env: Record<string, string | undefined>,
): ParsedConfig {
  return _parse(text, file, dirname(file), env);
}

function _parse(
  text: string,
  file: string,
  baseDir: string,
  env: Record<string, string | undefined>,
): ParsedConfig {
  // Editors do not count a byte-order mark as a column.
  if (text.startsWith("\uFEFF")) text = text.slice(1);
  const fail = (problem: _Problem): never => {
    const { line, column } = _position(text, problem.offset);
    throw new ExecboxError(
      "config_invalid",
      `Cannot read config "${file}": ${problem.message} at ${line}:${column}${
        problem.hint === undefined ? "" : ` ${problem.hint}`
      }`,
    );
  };
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true });
  const syntax = errors[0];
  if (syntax !== undefined) {
    fail({
      offset: syntax.offset,
      message: _SYNTAX_ERRORS[syntax.error] ?? "invalid syntax",
    });
  }
  if (root === undefined) return fail({ offset: 0, message: "empty file" });

  const problems: _Problem[] = [];
  const secrets = new Set<string>();
  const value = _toValue(root, [], true, { env, problems, secrets });
  const result = _schema.safeParse(value);
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push(..._describe(root, issue));
    }
  }
  // Report the problem a reader meets first; sort is stable, so a missing
  // variable wins over the check its empty stand-in then fails.
  const first =
    problems.sort((a, b) => (a.order ?? a.offset) - (b.order ?? b.offset))[0];
  if (first !== undefined || !result.success) {
    return fail(first ?? { offset: 0, message: "invalid configuration" });
  }

  const data = result.data;
  const mcpServers: Record<string, McpServerConfig> = {};
  for (const [name, raw] of Object.entries(data.mcpServers ?? {})) {
    if (raw.disabled === true) continue;
    const server = { type: _serverType(raw), ...raw };
    if (server.cwd !== undefined && !isAbsolute(server.cwd)) {
      server.cwd = join(baseDir, server.cwd);
    }
    // The refinement above guarantees the command or url its type needs.
    mcpServers[name] = server as McpServerConfig;
  }
  const http = (data.http ?? {}) as HttpConfig;
  for (const token of [http.token, ...Object.values(http.tokens ?? {})]) {
    if (token !== undefined) secrets.add(token);
  }
  // JSON has no `undefined`, so zod's `?: T | undefined` holds no undefined.
  const config: ExecboxConfig = {
    mcpServers,
    limits: (data.limits ?? {}) as Partial<Limits>,
    pool: (data.pool ?? {}) as PoolConfig,
    http,
  };
  return { config, secrets: [...secrets] };
}

/**
 * Finds, reads and parses the configuration file: `options.path`, else the
 * file named by `EXECBOX_CONFIG`, else `execbox.jsonc` in `cwd` when it
 * exists.
 *
 * @param options Where to look, and the environment.
 * @returns The configuration, or `undefined` when no file was named and
 * there is no `execbox.jsonc`.
 * @throws {ExecboxError} `config_not_found` when a named file is missing;
 * `config_invalid` as {@linkcode parseConfig} does.
 *
 * @example Load the configuration of the current directory
 * ```ts
 * import { loadConfig } from "./config.ts";
 *
 * const loaded = await loadConfig();
 * const servers = Object.keys(loaded?.config.mcpServers ?? {});
 * console.log(`${servers.length} upstream servers`);
 * ```
 */
export async function loadConfig(
  options: LoadConfigOptions = {},
): Promise<LoadedConfig | undefined> {
  const env = options.env ?? Deno.env.toObject();
  const cwd = options.cwd ?? Deno.cwd();
  // An empty EXECBOX_CONFIG counts as unset, as an empty shell export does.
  const fromEnv = env.EXECBOX_CONFIG || undefined;
  const file = options.path ?? fromEnv ?? "execbox.jsonc";
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    if (options.path === undefined && fromEnv === undefined) return undefined;
    const source = options.path === undefined ? " (from EXECBOX_CONFIG)" : "";
    throw new ExecboxError(
      "config_not_found",
      `Cannot read config "${file}"${source}: no such file`,
      { cause: error },
    );
  }
  return { path, ..._parse(text, file, dirname(path), env) };
}

/**
 * The options a configuration sets for `createBroker`, with only the keys
 * the file sets.
 *
 * @param config A parsed configuration.
 * @returns Options to spread into `createBroker`'s.
 *
 * @example Start a broker from a configuration
 * ```ts
 * import assert from "node:assert/strict";
 * import { brokerOptionsFromConfig, parseConfig } from "./config.ts";
 *
 * const { config } = parseConfig(
 *   `{ "pool": { "size": 1, "maxQueue": 8 }, "limits": { "timeoutMs": 2000 } }`,
 *   "execbox.jsonc",
 *   {},
 * );
 * assert.deepEqual(brokerOptionsFromConfig(config), {
 *   limits: { timeoutMs: 2000 },
 *   pool: { size: 1 },
 *   maxQueue: 8,
 * });
 * ```
 */
export function brokerOptionsFromConfig(
  config: ExecboxConfig,
): ConfigBrokerOptions {
  const options: ConfigBrokerOptions = {};
  if (Object.keys(config.mcpServers).length > 0) {
    options.mcpServers = config.mcpServers;
  }
  if (Object.keys(config.limits).length > 0) options.limits = config.limits;
  const { size, maxConcurrency, maxQueue } = config.pool;
  if (size !== undefined) options.pool = { size };
  if (maxConcurrency !== undefined) options.maxConcurrency = maxConcurrency;
  if (maxQueue !== undefined) options.maxQueue = maxQueue;
  return options;
}

interface _Problem {
  offset: number;
  /** Where the problem sorts, when not at `offset`. */
  order?: number;
  message: string;
  hint?: string;
}

interface _Walk {
  env: Record<string, string | undefined>;
  problems: _Problem[];
  secrets: Set<string>;
}

type _Path = (string | number)[];

const _SYNTAX_ERRORS: Record<number, string> = {
  1: "invalid symbol",
  2: "invalid number",
  3: "expected a property name",
  4: "expected a value",
  5: "expected a colon",
  6: "expected a comma",
  7: "expected a closing brace",
  8: "expected a closing bracket",
  9: "expected the end of the file",
  10: "invalid comment",
  11: "unterminated comment",
  12: "unterminated string",
  13: "unterminated number",
  14: "invalid unicode escape",
  15: "invalid escape character",
  16: "invalid character",
};

// `$${` escapes, `${NAME}` / `${NAME:-default}` expand, any other `${` is a
// mistake worth reporting.
const _REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{/g;

function _toValue(
  node: Node,
  path: _Path,
  expand: boolean,
  walk: _Walk,
): unknown {
  switch (node.type) {
    case "object": {
      // A disabled server's variables need not be set.
      const skip = path.length === 2 && path[0] === "mcpServers" &&
        node.children?.some((p) =>
          p.children?.[0]?.value === "disabled" &&
          p.children[1]?.value === true
        );
      const entries: [string, unknown][] = [];
      const seen = new Set<string>();
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? [];
        if (keyNode === undefined || valueNode === undefined) continue;
        const key = String(keyNode.value);
        // zod would silently drop a "__proto__" entry of a record.
        if (key === "__proto__" || seen.has(key)) {
          walk.problems.push({
            offset: keyNode.offset,
            message: key === "__proto__"
              ? `key "__proto__" is not allowed`
              : `duplicate key "${key}"`,
          });
        }
        seen.add(key);
        const value = _toValue(
          valueNode,
          [...path, key],
          expand && !skip,
          walk,
        );
        entries.push([key, value]);
      }
      return Object.fromEntries(entries);
    }
    case "array":
      return (node.children ?? []).map((item, index) =>
        _toValue(item, [...path, index], expand, walk)
      );
    case "string":
      return expand ? _expand(node, path, walk) : node.value;
    default:
      return node.value;
  }
}

function _expand(node: Node, path: _Path, walk: _Walk): string {
  return String(node.value).replace(
    _REFERENCE,
    (match, name?: string, fallback?: string) => {
      if (match === "$${") return "${";
      if (name === undefined) {
        walk.problems.push({
          offset: node.offset,
          message: `invalid variable reference in ${_pathText(path)}`,
          hint: `(write "$\${" for a literal "\${")`,
        });
        return "";
      }
      const value = walk.env[name];
      if (fallback !== undefined && !value) return fallback;
      if (value === undefined) {
        walk.problems.push({
          offset: node.offset,
          message: `environment variable "${name}" is not set, used by ${
            _pathText(path)
          }`,
        });
        return "";
      }
      if (value !== "") walk.secrets.add(value);
      return value;
    },
  );
}

function _describe(root: Node, issue: z.core.$ZodIssue): _Problem[] {
  const path = issue.path as _Path;
  const at = (node: Node | undefined) => node?.offset ?? root.offset;
  if (issue.code === "unrecognized_keys") {
    const object = _nodeAt(root, path);
    const allowed = _keysAt(path);
    return issue.keys.map((key) => {
      const property = object?.children?.find((p) =>
        p.children?.[0]?.value === key
      );
      const nearest = _nearest(key, allowed);
      const problem: _Problem = {
        offset: at(property?.children?.[0] ?? object),
        message: `unknown key "${key}"${
          path.length === 0 ? "" : ` in ${_pathText(path)}`
        }`,
      };
      if (nearest !== undefined) problem.hint = `(did you mean "${nearest}"?)`;
      return problem;
    });
  }
  const node = _nodeAt(root, path);
  const problem: _Problem = {
    offset: at(node),
    message: `${_pathText(path)} ${issue.message}`,
  };
  // A key found missing is noticed at the end of its object, after any
  // problem inside it (such as the typo that made it missing).
  if (issue.code === "custom" && node?.type === "object") {
    problem.order = node.offset + node.length;
  }
  if (issue.code === "invalid_value" && typeof node?.value === "string") {
    const nearest = _nearest(node.value, issue.values.map(String));
    if (nearest !== undefined) problem.hint = `(did you mean "${nearest}"?)`;
  }
  return [problem];
}

function _nodeAt(root: Node, path: _Path): Node | undefined {
  let node: Node | undefined = root;
  for (const segment of path) {
    if (node?.type === "object") {
      node = node.children?.findLast((p) => p.children?.[0]?.value === segment)
        ?.children?.[1];
    } else {
      node = node?.type === "array" && typeof segment === "number"
        ? node.children?.[segment]
        : undefined;
    }
  }
  return node;
}

// The keys the schema allows at `path`, for suggestions.
function _keysAt(path: _Path): string[] {
  let schema: unknown = _schema;
  for (const segment of [...path, undefined]) {
    while (schema instanceof z.ZodOptional) schema = schema.unwrap();
    if (segment === undefined) break;
    if (schema instanceof z.ZodObject) schema = schema.shape[segment];
    else if (schema instanceof z.ZodRecord) schema = schema.valueType;
    else return [];
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function _pathText(path: _Path): string {
  if (path.length === 0) return "the top level";
  return path.map((segment, index) => {
    if (typeof segment === "number") return `[${segment}]`;
    if (/^[A-Za-z_$][\w$-]*$/.test(segment)) {
      return index === 0 ? segment : `.${segment}`;
    }
    return `[${JSON.stringify(segment)}]`;
  }).join("");
}

function _position(
  text: string,
  offset: number,
): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const char = text[i];
    if (char === "\n" || (char === "\r" && text[i + 1] !== "\n")) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * The candidate closest to `word`, ignoring case: within an edit distance of
 * a third of the longer word, or containing it (or contained in it).
 */
function _nearest(
  word: string,
  candidates: readonly string[],
): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = _editDistance(lower, candidate.toLowerCase());
    const limit = Math.max(
      1,
      Math.floor(
        Math.max(word.length, candidate.length) / 3,
      ),
    );
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best ?? (lower.length < 3 ? undefined : candidates.find((c) => {
    const other = c.toLowerCase();
    return other.length >= 3 &&
      (other.includes(lower) || lower.includes(other));
  }));
}

// Optimal string alignment distance: Levenshtein plus adjacent swaps.
function _editDistance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, before[j - 2]! + 1);
      }
      current.push(distance);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

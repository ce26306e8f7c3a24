/**
 * The `execbox.jsonc` file the CLI and the HTTP service read: upstream MCP
 * servers (pasted from any MCP client's `mcpServers`), limits, the pool and
 * the HTTP service, with `${VAR}` references to keep secrets out of the file.
 *
 * @module
 */

import type { Isolation } from "../isolate/isolation.ts";
import type { IsolateOptions } from "../isolate/isolate_pool.ts";
import { type Node, type ParseError, parseTree } from "jsonc-parser";
import { dirname, isAbsolute, join, resolve } from "node:path";
import process from "node:process";
import { expandConfigEnv } from "./env.ts";
import { configError, type ConfigProblem, syntaxProblem } from "./problem.ts";
import { checkConfigSchema, serverType } from "./schema.ts";
import { ExecboxError } from "../errors.ts";
import type { SkillOptions } from "../skills/skills.ts";
import { FileSkillStore } from "../skills/skill_file_store.ts";
import type { Limits } from "../limits.ts";
import type {
  AuditOptions,
  InferenceOptions,
  SessionOptions,
} from "../options.ts";
import type { McpServerConfig } from "../upstream/config.ts";
import type { NetworkOptions } from "../network/options.ts";
import { headerSecrets } from "../redact.ts";
import { readTextFile } from "../host/deno.ts";
import { FileSessionStore } from "../state/session_file_store.ts";
import { FileShapeStore } from "../state/shape_file_store.ts";
import type { KeyValueStore } from "../store/key_value_store.ts";
import { RedisKeyValueStore } from "../store/redis_key_value_store.ts";
import { KvOAuthStore } from "../oauth/oauth_kv_store.ts";
import type { OAuthStore } from "../oauth/oauth_store.ts";
import type { PrivacyOptions } from "../privacy/privacy_scopes.ts";
import {
  prepareClientConfig,
  type PreparedClientConfig,
  type PromptInput,
} from "./clients/client_config.ts";
import type { ClientFormat } from "./clients/client_format.ts";

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
  /** The most JSON-RPC messages one `POST /mcp` may batch (default 8). */
  maxBatch?: number;
  /** Time a client has to send a request's headers, in ms (default 10000). */
  headersTimeoutMs?: number;
  /** Time a client has to send a whole request, in ms (default 30000). */
  requestTimeoutMs?: number;
  /** Connections open at once; more are closed (default 256). */
  maxConnections?: number;
  /** `/mcp` sessions (stateful Streamable HTTP); `enabled: false` for stateless JSON. */
  mcpSessions?: McpSessionsConfig;
  /** Token names that may list and decide approvals (`HttpAppOptions.approvers`). */
  approvers?: string[];
  /** Whether an approver may decide its own runs' calls (default false). */
  selfApproval?: boolean;
}

/** The `http.mcpSessions` section (`HttpAppOptions.mcpSessions`). */
export interface McpSessionsConfig {
  /** Offer sessions on `/mcp` (default true); false: stateless JSON only. */
  enabled?: boolean;
  /** Sessions open at once (default 256). */
  maxSessions?: number;
  /** Sessions one caller may have open (default 32). */
  maxPerCaller?: number;
  /** Milliseconds without use before a session ends (default 600000). */
  idleTimeoutMs?: number;
}

/** The `approvals` section: calls of tools that need approval. */
export interface ApprovalsConfig {
  /** How long a call waits for its approver, in ms (`BrokerOptions.approvalTimeoutMs`). */
  timeoutMs?: number;
}

/** The `pool` section: the warm pool and admission of runs. */
export interface PoolConfig {
  /** Subprocesses kept warm (`BrokerOptions.pool.size`). */
  size?: number;
  /** Runs executing at once (`BrokerOptions.maxConcurrency`). */
  maxConcurrency?: number;
  /** Runs that may wait for a slot (`BrokerOptions.maxQueue`). */
  maxQueue?: number;
  /** Runs one caller may have executing (`BrokerOptions.maxConcurrencyPerCaller`). */
  maxConcurrencyPerCaller?: number;
  /** Runs one caller may have waiting (`BrokerOptions.maxQueuePerCaller`). */
  maxQueuePerCaller?: number;
  /** How runs are isolated (`BrokerOptions.isolation`). */
  isolation?: Isolation;
  /** When isolate mode replaces a process (`BrokerOptions.isolate`). */
  isolate?: IsolateOptions;
}

/** The `sessions` section: where session state lives. */
export interface SessionsConfig {
  /** A directory for a file-backed store that survives a restart (else in memory). */
  dir?: string;
  /** Largest size of one session, in UTF-8 bytes of its JSON. */
  maxBytes?: number;
  /** How long a session lives after its last run, in milliseconds. */
  ttlMs?: number;
  /** Live sessions one caller may have (`BrokerOptions.sessions.maxPerCaller`). */
  maxPerCaller?: number;
}

/**
 * The `store` section: one Redis shared by every replica for sessions (with
 * their PII token maps) and learned shapes (`BrokerOptions.store`).
 */
export interface StoreConfig {
  /** `redis://[user:password@]host:port[/db]`, usually `"${REDIS_URL}"`. */
  redis?: string;
  /** Put before every key, so deployments share one Redis (default `"execbox:"`). */
  prefix?: string;
  /** Start even when Redis is unreachable; runs that use state fail until it is back. */
  optional?: boolean;
  /**
   * Seals OAuth tokens in the store (usually `"${EXECBOX_STORE_KEY}"`, 16+
   * characters, the same on every replica); without it OAuth tokens stay in
   * each replica's files.
   */
  key?: string;
}

/** The `audit` section: where `serve` and `mcp` write one JSON line per run. */
export interface AuditConfig {
  /** A file to append to, or `"stderr"`; without it, no audit trail. */
  file?: string;
  /** Keep each run's code (else only its SHA-256). */
  includeCode?: boolean;
  /** Keep each call's arguments (else only their SHA-256). */
  includeArgs?: boolean;
}

/** The `inference` section: return types learned from results. */
export interface InferenceConfig {
  /** Learn return types (`BrokerOptions.inference.enabled`). */
  enabled?: boolean;
  /** A JSON file that keeps learned shapes across restarts (else in memory). */
  file?: string;
}

/** The `skills` section: programs guest code saves for later runs. */
export interface SkillsConfig {
  /** Give runs the `skills` global (`BrokerOptions.skills.enabled`). */
  enabled?: boolean;
  /** A JSON file (mode 0600) that keeps callers' skills across restarts (else in memory). */
  file?: string;
  /** A folder of `.ts` files pre-loaded as skills for every caller. */
  preload?: string;
}
/**
 * The `privacy` section: PII tokenization between tools, as
 * `BrokerOptions.privacy` takes it (`key` usually `"${EXECBOX_PRIVACY_KEY}"`).
 */
export type PrivacyConfig = PrivacyOptions;

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
  /** Session state. */
  sessions: SessionsConfig;
  /** The audit trail. */
  audit: AuditConfig;
  /** Return types learned from results. */
  inference: InferenceConfig;
  /** Saved skills. */
  skills: SkillsConfig;
  /** PII tokenization. */
  privacy: PrivacyConfig;
  /** Calls of tools that need approval. */
  approvals: ApprovalsConfig;
  /** The guest's `fetch`: `BrokerOptions.network`. */
  network: NetworkOptions;
  /** The store shared by replicas. */
  store: StoreConfig;
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
  /** The MCP client whose file this is, or `"execbox"` for an `execbox.jsonc`. */
  format: ClientFormat | "execbox";
  /** Lines to show the user, such as the keys of a client's file ignored. */
  warnings: string[];
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
   * @default {the process's environment}
   */
  env?: Record<string, string | undefined>;
  /**
   * The directory a relative `path` and the default file are found in.
   * @default {the process's working directory}
   */
  cwd?: string;
  /**
   * Asks for a VS Code `${input:ID}` that no `EXECBOX_INPUT_<ID>` variable
   * answers (the CLI asks on the controlling terminal).
   * @default {undefined (the variable must be set)}
   */
  promptInput?: PromptInput;
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
  /** Runs one caller may have executing at once. */
  maxConcurrencyPerCaller?: number;
  /** Runs one caller may have waiting. */
  maxQueuePerCaller?: number;
  /** How runs are isolated. */
  isolation?: Isolation;
  /** When isolate mode replaces a process. */
  isolate?: IsolateOptions;
  /** Session state. */
  sessions?: SessionOptions;
  /** What audit records hold (the sink is the caller's: see `audit.file`). */
  audit?: AuditOptions;
  /** Return types learned from results. */
  inference?: InferenceOptions;
  /** Saved skills. */
  skills?: SkillOptions;
  /** PII tokenization. */
  privacy?: PrivacyOptions;
  /** How long a call waits for its approver, in milliseconds. */
  approvalTimeoutMs?: number;
  /** The guest's `fetch`. */
  network?: NetworkOptions;
  /** The store shared by replicas (connected by `createBroker`). */
  store?: KeyValueStore;
  /** OAuth records, sealed in the shared store (`store.key`). */
  oauthStore?: OAuthStore;
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
  text = _withoutBom(text);
  return _fromTree(_tree(text, file), text, file, baseDir, env);
}

// Editors do not count a byte-order mark as a column.
function _withoutBom(text: string): string {
  return text.startsWith("\uFEFF") ? text.slice(1) : text;
}

function _tree(text: string, file: string): Node {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true });
  const syntax = errors[0];
  if (syntax !== undefined) {
    throw configError(file, text, syntaxProblem(syntax));
  }
  if (root === undefined) {
    throw configError(file, text, { offset: 0, message: "empty file" });
  }
  return root;
}

function _fromTree(
  root: Node,
  text: string,
  file: string,
  baseDir: string,
  env: Record<string, string | undefined>,
  client?: PreparedClientConfig,
): ParsedConfig {
  const fail = (problem: ConfigProblem): never => {
    throw configError(file, text, problem);
  };
  const { value, problems, secrets } = expandConfigEnv(root, env);
  const { data, problems: invalid } = checkConfigSchema(root, value);
  problems.push(...invalid);
  // Report the problem a reader meets first; sort is stable, so a missing
  // variable wins over the check its empty stand-in then fails.
  const first =
    problems.sort((a, b) => (a.order ?? a.offset) - (b.order ?? b.offset))[0];
  if (first !== undefined || data === undefined) {
    return fail(first ?? { offset: 0, message: "invalid configuration" });
  }

  const mcpServers: Record<string, McpServerConfig> = {};
  for (const [name, raw] of Object.entries(data.mcpServers ?? {})) {
    if (raw.disabled === true) continue;
    const server = { type: serverType(raw), ...raw };
    const fromFile = client?.serverEnv[name];
    if (fromFile !== undefined) server.env = { ...fromFile, ...server.env };
    if (server.cwd !== undefined && !isAbsolute(server.cwd)) {
      server.cwd = join(baseDir, server.cwd);
    }
    const clientSecret = raw.oauth?.clientSecret;
    if (clientSecret !== undefined) secrets.add(clientSecret);
    // The schema's refinement guarantees the command or url its type needs.
    mcpServers[name] = server as McpServerConfig;
  }
  const http = (data.http ?? {}) as HttpConfig;
  for (const token of [http.token, ...Object.values(http.tokens ?? {})]) {
    if (token !== undefined) secrets.add(token);
  }
  const storeUrl = (data.store as StoreConfig | undefined)?.redis;
  if (storeUrl !== undefined) {
    const password = URL.parse(storeUrl)?.password;
    if (password) secrets.add(decodeURIComponent(password));
  }
  const storeKey = (data.store as StoreConfig | undefined)?.key;
  if (storeKey !== undefined) secrets.add(storeKey);
  const network = (data.network ?? {}) as NetworkOptions;
  for (const rule of network.allow ?? []) {
    for (const value of Object.values(rule.headers ?? {})) {
      for (const secret of headerSecrets(value)) secrets.add(secret);
    }
  }
  // JSON has no `undefined`, so zod's `?: T | undefined` holds no undefined.
  const config: ExecboxConfig = {
    mcpServers,
    limits: (data.limits ?? {}) as Partial<Limits>,
    pool: (data.pool ?? {}) as PoolConfig,
    http,
    sessions: _resolved(
      (data.sessions ?? {}) as SessionsConfig,
      "dir",
      baseDir,
    ),
    audit: data.audit?.file === "stderr"
      ? (data.audit ?? {}) as AuditConfig
      : _resolved((data.audit ?? {}) as AuditConfig, "file", baseDir),
    inference: _resolved(
      (data.inference ?? {}) as InferenceConfig,
      "file",
      baseDir,
    ),
    skills: _resolved(
      _resolved((data.skills ?? {}) as SkillsConfig, "file", baseDir),
      "preload",
      baseDir,
    ),
    privacy: (data.privacy ?? {}) as PrivacyConfig,
    approvals: (data.approvals ?? {}) as ApprovalsConfig,
    network,
    store: (data.store ?? {}) as StoreConfig,
  };
  for (const secret of client?.secrets ?? []) secrets.add(secret);
  return { config, secrets: [...secrets] };
}

// Resolves a relative path field against the configuration file's directory.
function _resolved<T extends object, K extends keyof T & string>(
  section: T,
  key: K,
  baseDir: string,
): T {
  const value = section[key];
  return typeof value === "string" && !isAbsolute(value)
    ? { ...section, [key]: join(baseDir, value) }
    : section;
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
  const env = options.env ?? { ...process.env };
  const cwd = options.cwd ?? process.cwd();
  // An empty EXECBOX_CONFIG counts as unset, as an empty shell export does.
  const fromEnv = env.EXECBOX_CONFIG || undefined;
  const file = options.path ?? fromEnv ?? "execbox.jsonc";
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (error) {
    if ((error as { code?: unknown })?.code !== "ENOENT") throw error;
    if (options.path === undefined && fromEnv === undefined) return undefined;
    const source = options.path === undefined ? " (from EXECBOX_CONFIG)" : "";
    throw new ExecboxError(
      "config_not_found",
      `Cannot read config "${file}"${source}: no such file`,
      { cause: error },
    );
  }
  text = _withoutBom(text);
  const root = _tree(text, file);
  const client = await prepareClientConfig(root, path, {
    env,
    fail: (problem) => {
      throw configError(file, text, problem);
    },
    ...(options.promptInput ? { promptInput: options.promptInput } : {}),
  });
  const parsed = _fromTree(
    root,
    text,
    file,
    dirname(path),
    client?.env ?? env,
    client,
  );
  return {
    path,
    ...parsed,
    format: client?.format ?? "execbox",
    warnings: client?.warnings ?? [],
  };
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
  const {
    size,
    maxConcurrency,
    maxQueue,
    maxConcurrencyPerCaller,
    maxQueuePerCaller,
    isolation,
    isolate,
  } = config.pool;
  if (isolation !== undefined) options.isolation = isolation;
  if (isolate !== undefined) options.isolate = isolate;
  if (size !== undefined) options.pool = { size };
  if (maxConcurrency !== undefined) options.maxConcurrency = maxConcurrency;
  if (maxQueue !== undefined) options.maxQueue = maxQueue;
  if (maxConcurrencyPerCaller !== undefined) {
    options.maxConcurrencyPerCaller = maxConcurrencyPerCaller;
  }
  if (maxQueuePerCaller !== undefined) {
    options.maxQueuePerCaller = maxQueuePerCaller;
  }
  const { dir, maxBytes, ttlMs, maxPerCaller } = config.sessions;
  if (
    dir !== undefined || maxBytes !== undefined || ttlMs !== undefined ||
    maxPerCaller !== undefined
  ) {
    options.sessions = {
      ...(dir === undefined ? {} : { store: new FileSessionStore({ dir }) }),
      ...(maxBytes === undefined ? {} : { maxBytes }),
      ...(ttlMs === undefined ? {} : { ttlMs }),
      ...(maxPerCaller === undefined ? {} : { maxPerCaller }),
    };
  }
  const { includeCode, includeArgs } = config.audit;
  if (includeCode !== undefined || includeArgs !== undefined) {
    options.audit = {
      ...(includeCode === undefined ? {} : { includeCode }),
      ...(includeArgs === undefined ? {} : { includeArgs }),
    };
  }
  if (Object.keys(config.network).length > 0) {
    options.network = config.network;
  }
  const { enabled, file } = config.inference;
  if (enabled !== undefined || file !== undefined) {
    options.inference = {
      ...(enabled === undefined ? {} : { enabled }),
      // No file when off: nothing would be read or written.
      ...(file === undefined || enabled === false
        ? {}
        : { store: new FileShapeStore({ file }) }),
    };
  }
  const skills = config.skills;
  if (
    skills.enabled !== undefined || skills.file !== undefined ||
    skills.preload !== undefined
  ) {
    options.skills = {
      ...(skills.enabled === undefined ? {} : { enabled: skills.enabled }),
      ...(skills.file === undefined || skills.enabled === false
        ? {}
        : { store: new FileSkillStore({ file: skills.file }) }),
      ...(skills.preload === undefined ? {} : { preload: skills.preload }),
    };
  }
  if (Object.keys(config.privacy).length > 0) options.privacy = config.privacy;
  if (config.approvals.timeoutMs !== undefined) {
    options.approvalTimeoutMs = config.approvals.timeoutMs;
  }
  if (config.store.redis !== undefined) {
    const store = new RedisKeyValueStore({
      url: config.store.redis,
      ...(config.store.prefix === undefined
        ? {}
        : { prefix: config.store.prefix }),
      ...(config.store.optional === undefined
        ? {}
        : { optional: config.store.optional }),
    });
    options.store = store;
    if (config.store.key !== undefined) {
      options.oauthStore = new KvOAuthStore(store, { key: config.store.key });
    }
  }
  return options;
}

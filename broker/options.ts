/**
 * The options and status types of the broker: what `createBroker`,
 * `Broker.execute` and `Broker.status` take and give.
 *
 * @module
 */

import type { SkillOptions } from "./skills/skills.ts";
import type { ApprovalHandler } from "./approval/approval.ts";
import type { AuditHook } from "./audit/record.ts";
import type { Host } from "./host/host.ts";
import type { Limits } from "./limits.ts";
import type { NetworkOptions } from "./network/options.ts";
import type { LogEntry } from "./result.ts";
import type { McpServerConfig } from "./upstream/config.ts";
import type { OAuthStore } from "./oauth/oauth_store.ts";
import type { PoolOptions, PoolStats } from "./subprocess/pool.ts";
import type { IsolateStats } from "./isolate/isolate_pool.ts";
import type { IsolateOptions } from "./isolate/isolate_pool.ts";
import type { Isolation } from "./isolate/isolation.ts";
import type { ToolCallHook } from "./run/tool_call.ts";
import type { SessionStore } from "./state/session_store.ts";
import type { ShapeStore } from "./state/shape_store.ts";
import type {
  KeyValueStore,
  KeyValueStoreStatus,
} from "./store/key_value_store.ts";
import type { ToolDefinition } from "./tools/tool.ts";
import type { PrivacyOptions } from "./privacy/privacy_scopes.ts";
import type { TraceContext } from "./telemetry/trace_context.ts";

/** Host tools grouped by guest namespace: `{ tools: { "search-docs": defineTool(...) } }`. */
export type Providers = Record<
  string,
  // deno-lint-ignore no-explicit-any
  Record<string, ToolDefinition<any, any>>
>;

/** How sessions (`execute(code, { session })`) are kept. */
export interface SessionOptions {
  /**
   * Where sessions live; use {@linkcode FileSessionStore} to survive a
   * restart, or a shared store for several replicas.
   * @default {a MemorySessionStore}
   */
  store?: SessionStore;
  /**
   * Largest size of one session, in UTF-8 bytes of its JSON.
   * @default {1048576}
   */
  maxBytes?: number;
  /**
   * How long a session lives after the last run that used it, in milliseconds.
   * @default {3600000}
   */
  ttlMs?: number;
  /**
   * Live sessions one caller may have (a session is live until `ttlMs` after
   * the last run that used it); a run that would start one more fails with
   * `limit_exceeded`, `limit: "sessions"`.
   * @default {100}
   */
  maxPerCaller?: number;
}

/** How return types are learned from results (`BrokerOptions.inference`). */
export interface InferenceOptions {
  /**
   * Learn the return type of tools without an output schema from the JSON
   * shape of their results (types and key names, never values), and show it
   * in `types()`, `searchTools()` and `tools()`. Per MCP server, turn it off
   * with `inferOutput: false`.
   * @default {true}
   */
  enabled?: boolean;
  /**
   * Where learned shapes are kept; use {@linkcode FileShapeStore} to keep
   * them across restarts.
   * @default {a MemoryShapeStore}
   */
  store?: ShapeStore;
  /**
   * Called when the store fails to load or save a shape. The tool call that
   * was being recorded is never affected.
   * @default {the error is ignored}
   */
  onError?: (error: Error) => void;
}

/** What an audit record holds beyond hashes. */
export interface AuditOptions {
  /**
   * Keep each run's code in its record (else only its SHA-256).
   * @default {false}
   */
  includeCode?: boolean;
  /**
   * Keep each call's arguments (else only their SHA-256).
   * @default {false}
   */
  includeArgs?: boolean;
}

/** Options of {@linkcode createBroker}. */
export interface BrokerOptions {
  /** Session state for runs that ask for a session. */
  sessions?: SessionOptions;
  /**
   * Receives one audit record per run, whatever its outcome (timeouts,
   * cancellations and crashes included), after the caller has its result.
   */
  onRun?: AuditHook;
  /** What audit records hold. */
  audit?: AuditOptions;
  /**
   * Return types learned from results, for tools without an output schema.
   * @default {{ enabled: true }}
   */
  inference?: InferenceOptions;
  /**
   * Saved skills: guest code keeps a working program with `skills.save` and
   * later runs of the same caller call it as `skills.<name>(args)`.
   * @default {{ enabled: true }}
   */
  skills?: SkillOptions;
  /**
   * PII tokenization: personal values in what leaves a run become tokens
   * (`[EMAIL_1]`), and tokens in tool arguments become values again.
   * @default {{ tokenize: [] } (off)}
   */
  privacy?: PrivacyOptions;
  /**
   * Host tools by namespace; each namespace becomes one guest global.
   * @default {{}}
   */
  providers?: Providers;
  /**
   * Upstream MCP servers by name, in the shape MCP client configurations use
   * (`{ command, args, env }` or `{ url, headers }`). Each becomes one guest
   * namespace named by its key, sanitised like a tool name (`my-server` is
   * `my_server`).
   * @default {{}}
   */
  mcpServers?: Record<string, McpServerConfig>;
  /**
   * Sees every tool call (host and MCP) before it runs; returning
   * `{ deny: reason }` (or throwing) refuses it, and the guest gets a catchable
   * `tool_error` with the reason.
   */
  onToolCall?: ToolCallHook;
  /**
   * Decides calls of tools that need approval (`approval: "required"`,
   * `requireApproval`, `approveDestructive`). The call waits, with the run's
   * wall clock paused (its CPU time still counts toward `timeoutMs`) and its
   * run slot held; `{ approved: false, reason }`, a throw or
   * `approvalTimeoutMs` denies it. `execute`'s `onApproval` overrides it for
   * one run. Without either, such calls are denied.
   * @default {undefined (calls that need approval are denied)}
   */
  onApproval?: ApprovalHandler;
  /**
   * How long a call may wait for its approver, in milliseconds; then it is
   * denied.
   * @default {300000}
   */
  approvalTimeoutMs?: number;
  /**
   * A `fetch` for guest code, limited to `network.allow`; the broker sends
   * each request, adding the rule's headers, which the guest never sees.
   * Without rules the guest has no `fetch`.
   * @default {{ allow: [] }}
   */
  network?: NetworkOptions;
  /**
   * Values never to show in errors, logs or results (header values of MCP
   * servers are added automatically; the CLI adds every expanded `${VAR}`).
   * @default {[]}
   */
  secrets?: string[];
  /**
   * Where the OAuth tokens and client registrations of HTTP MCP servers
   * live, by server key (`execbox auth <server>` writes them there).
   * @default {new FileOAuthStore() (under the user's state directory)}
   */
  oauthStore?: OAuthStore;
  /**
   * One store for what outlives a run, shared by every replica that is given
   * the same one (a {@linkcode RedisKeyValueStore}): sessions (and the PII
   * token maps kept in them), saved skills and learned shapes use it unless
   * `sessions.store`, `skills.store` or `inference.store` names another, and
   * the HTTP service publishes pending approvals there. OAuth tokens use it
   * through `oauthStore: new KvOAuthStore(store, { key })`. The broker
   * connects it in `createBroker` (an unreachable Redis fails there unless
   * optional) and closes it in `close`.
   * @default {none: each store in its own default}
   */
  store?: KeyValueStore;
  /**
   * Limits for every run; `execute` may override them per run.
   * @default {DEFAULT_LIMITS}
   */
  limits?: Partial<Limits>;
  /**
   * The warm pool of subprocesses.
   * @default {{ size: 2 }}
   */
  pool?: PoolOptions;
  /**
   * How runs are isolated from each other. `"process"`: every run gets a
   * fresh runtime process. `"isolate"`: every run gets a fresh V8 isolate (a
   * Worker with the same prelude and limits) inside a runtime process that
   * serves many runs of one caller, one at a time (see `isolate`); cheaper,
   * but a V8 or Deno escape in one run reaches that caller's later runs in
   * the process. Set per broker only; a run cannot choose.
   * @default {"process"}
   */
  isolation?: Isolation;
  /**
   * When isolate mode replaces a runtime process, and how many callers may
   * own at once.
   * @default {{ maxRuns: 100, maxAgeSeconds: 300, maxProcesses: maxConcurrency }}
   */
  isolate?: IsolateOptions;
  /**
   * Runs executing at once; more wait in the queue.
   * @default {4}
   */
  maxConcurrency?: number;
  /**
   * Runs that may wait for a slot; beyond it `execute` fails at once with
   * `limit_exceeded` (`limit: "queue"`).
   * @default {64}
   */
  maxQueue?: number;
  /**
   * Runs one caller (`ExecuteOptions.caller`: the HTTP token's name,
   * `"anonymous"` for every request without one, `"mcp"` on stdio) may
   * have executing at once; its further runs wait, even with slots free.
   * Runs without a caller have no share. Set it to `maxConcurrency` to
   * turn the share off.
   * @default {half of maxConcurrency, rounded up}
   */
  maxConcurrencyPerCaller?: number;
  /**
   * Runs one caller may have waiting; beyond it `execute` fails at once
   * with `limit_exceeded` (`limit: "callerQueue"`), while other callers'
   * runs are still admitted.
   * @default {half of maxQueue, rounded up}
   */
  maxQueuePerCaller?: number;
  /**
   * The Deno binary that runs guest code.
   * @default {the host's default: on Deno the running binary, on Node the `deno` npm package's native binary or `$EXECBOX_DENO`}
   */
  denoPath?: string;
  /**
   * How long a subprocess may take to start, in milliseconds.
   * @default {10000}
   */
  startTimeoutMs?: number;
  /**
   * The operating-system seam (spawning, memory readings, temporary
   * directories); replace it to run on another platform or to observe spawns.
   * @default {denoHost}
   */
  host?: Host;
}

/** Options of {@linkcode Broker.execute}. */
export interface ExecuteOptions {
  /** Aborting it ends the run with `cancelled` and aborts its host tool calls. */
  signal?: AbortSignal;
  /**
   * Gives the guest a `state` namespace (`get`, `set`, `delete`, `keys`)
   * kept between runs with the same session and caller. Without it, `state`
   * does not exist.
   */
  session?: string;
  /**
   * Who asks, for the audit record, to scope sessions, and for the
   * caller's share of run slots and queue (`maxConcurrencyPerCaller`,
   * `maxQueuePerCaller`; the HTTP service passes the token's name). A run
   * without one has no share and is recorded as `"library"`.
   * @default {undefined (recorded as "library")}
   */
  caller?: string;
  /** Limits for this run, over the broker's. */
  limits?: Partial<Limits>;
  /**
   * Decides this run's calls of tools that need approval, instead of the
   * broker's `onApproval` (surfaces pass their own: the MCP server asks its
   * client, the HTTP service queues them for `POST /v1/approvals/{id}`).
   * @default {the broker's onApproval}
   */
  onApproval?: ApprovalHandler;
  /**
   * How the hint added to an error for something execbox does not offer
   * (`fetch`, `require`, `Deno`, `process`, an `import()`) tells the model to
   * find the tools; the MCP server passes `"find them with search_tools"`.
   * @default {"their declarations come from types()"}
   */
  toolsHint?: string;
  /**
   * Sees each console entry while the run goes, as the result's `logs` will
   * hold it (within `maxLogBytes`: a cut entry as cut, then the truncation
   * marker). Called on the broker's main thread: keep it short; what it
   * throws is ignored.
   * @default {undefined}
   */
  onLog?: (entry: LogEntry) => void;
  /**
   * Sees the run's number of tool calls each time it grows (1, 2, ...), for a
   * progress display. What it throws is ignored.
   * @default {undefined}
   */
  onToolCallCount?: (count: number) => void;
  /**
   * The client's W3C trace context: the run's `execbox.execute` span
   * continues that trace (the HTTP service passes the `traceparent` header,
   * the MCP server the `traceparent` of the request's `_meta`).
   * @default {undefined (the active OpenTelemetry context)}
   */
  traceContext?: TraceContext;
}

/** What the broker is doing now. */
export interface BrokerStatus {
  /** Runs executing. */
  running: number;
  /** Runs waiting for a slot. */
  queued: number;
  /** The warm pool's counters, and the size it keeps. */
  pool: PoolStats & { size: number };
  /** The isolate-mode pool's counters, with `isolation: "isolate"` only. */
  isolate?: IsolateStats;
  /** Each upstream MCP server, in configuration order. */
  upstreams: UpstreamStatus[];
  /** The shared store (`BrokerOptions.store`), when there is one. */
  store?: KeyValueStoreStatus;
}

/** How an upstream MCP server is doing. */
export interface UpstreamStatus {
  /** Its key in `mcpServers`. */
  name: string;
  /** Its guest namespace. */
  namespace: string;
  /** Whether it is connected now. */
  connected: boolean;
  /** Whether the broker may run without it (`optional: true`). */
  optional: boolean;
  /** How many of its tools the guest sees. */
  tools: number;
}

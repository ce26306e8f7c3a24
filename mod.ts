/**
 * execbox runs code that an AI model writes ("code mode") in a fresh,
 * zero-permission Deno subprocess, and gives it exactly the host tools you
 * choose, as typed namespaces. The model writes one short program instead of
 * calling tools one at a time; only the program and its final result pass
 * through the model's context.
 *
 * @example Run a program that calls a host tool
 * ```ts
 * import { z } from "zod";
 * import { createBroker, defineTool } from "@execbox/core";
 *
 * await using broker = await createBroker({
 *   providers: {
 *     weather: {
 *       forecast: defineTool({
 *         description: "Daily forecast for a city",
 *         input: z.object({ city: z.string() }),
 *         output: z.array(z.object({ day: z.string(), highC: z.number() })),
 *         execute: ({ city }) => [
 *           { day: "Mon", highC: city.length + 10 },
 *           { day: "Tue", highC: city.length + 12 },
 *         ],
 *       }),
 *     },
 *   },
 *   pool: { size: 1 },
 * });
 *
 * console.log(broker.types()); // declarations for the model
 * const run = await broker.execute(`
 *   const days = await weather.forecast({ city: "Oslo" });
 *   Math.max(...days.map((d) => d.highC))
 * `);
 * if (run.ok) console.log(run.result); // 16
 * ```
 *
 * @module
 */

export type {
  ApprovalContext,
  ApprovalDecision,
  ApprovalHandler,
  ApprovalRequest,
} from "./broker/approval/approval.ts";
export {
  ApprovalQueue,
  type DecideOptions,
  type QueueDecision,
} from "./broker/approval/approval_queue.ts";
export {
  presentArguments,
  type PresentArgumentsOptions,
} from "./broker/approval/present_arguments.ts";
export {
  type AuditApproval,
  type AuditCall,
  type AuditFetchHop,
  type AuditHook,
  type AuditRecord,
  MAX_AUDIT_ARG_BYTES,
} from "./broker/audit/record.ts";
export {
  AuditLog,
  type AuditLogCloseOptions,
  type AuditLogOptions,
} from "./broker/audit/log.ts";
export { auditLogToFile, auditLogToStderr } from "./broker/audit/sinks.ts";
export { Broker, createBroker, type TypesOptions } from "./broker/broker.ts";
export type {
  AuditOptions,
  BrokerOptions,
  BrokerStatus,
  ExecuteOptions,
  InferenceOptions,
  Providers,
  SessionOptions,
  UpstreamStatus,
} from "./broker/options.ts";
export {
  NETWORK_DEFAULTS,
  type NetworkOptions,
  type NetworkRule,
  type NetworkRuleInfo,
} from "./broker/network/options.ts";
export type {
  IsolateOptions,
  IsolateStats,
} from "./broker/isolate/isolate_pool.ts";
export type { Isolation } from "./broker/isolate/isolation.ts";
export {
  type ApprovalsConfig,
  type AuditConfig,
  brokerOptionsFromConfig,
  type ConfigBrokerOptions,
  type ExecboxConfig,
  type HttpConfig,
  type InferenceConfig,
  loadConfig,
  type LoadConfigOptions,
  type LoadedConfig,
  type McpSessionsConfig,
  parseConfig,
  type ParsedConfig,
  type PoolConfig,
  type PrivacyConfig,
  type SessionsConfig,
  type SkillsConfig,
  type StoreConfig,
} from "./broker/config/config.ts";
export {
  type ConfigInput,
  inputVariable,
  type PromptInput,
} from "./broker/config/clients/client_config.ts";
export {
  CLIENT_NAMES,
  type ClientFormat,
} from "./broker/config/clients/client_format.ts";
export {
  convertClientConfig,
  type ConvertedClientConfig,
} from "./broker/config/clients/convert_client_config.ts";
export type {
  BuiltInDetector,
  CustomDetector,
  DetectorSpec,
} from "./broker/privacy/detectors.ts";
export type { PrivacyOptions } from "./broker/privacy/privacy_scopes.ts";
export { RunPrivacy } from "./broker/privacy/run_privacy.ts";
export { PrivacyLimitError } from "./broker/privacy/token_map.ts";
export { type ErrorCode, ExecboxError } from "./broker/errors.ts";
export type {
  McpHttpServerConfig,
  McpServerCommon,
  McpServerConfig,
  McpStdioServerConfig,
} from "./broker/upstream/config.ts";
export type { McpOAuthConfig } from "./broker/oauth/oauth_config.ts";
export {
  MemoryOAuthStore,
  type OAuthClientRecord,
  type OAuthDiscoveryRecord,
  type OAuthRecord,
  type OAuthStore,
  type OAuthTokenSet,
} from "./broker/oauth/oauth_store.ts";
export {
  defaultOAuthDir,
  FileOAuthStore,
  type FileOAuthStoreOptions,
} from "./broker/oauth/oauth_file_store.ts";
export {
  loginUpstream,
  type LoginUpstreamOptions,
  type LoginUpstreamResult,
} from "./broker/upstream/login.ts";
export type { ToolCall, ToolCallHook } from "./broker/run/tool_call.ts";
export type {
  ClientError,
  Host,
  HostProcess,
  HostServer,
  MemoryUsage,
  ProcessStatus,
  ServeOptions,
  SpawnOptions,
} from "./broker/host/host.ts";
export { denoHost } from "./broker/host/deno.ts";
export {
  DEFAULT_LIMITS,
  type Limits,
  MIN_LOG_ENTRY_BYTES,
  RUNTIME_BASELINE_MB,
} from "./broker/limits.ts";
export type { PoolOptions, PoolStats } from "./broker/subprocess/pool.ts";
export type {
  ExecuteError,
  ExecuteFailure,
  ExecuteResult,
  ExecuteSuccess,
  LogEntry,
  LogLevel,
  RunStats,
} from "./broker/result.ts";
export { MIN_DENO_VERSION } from "./broker/subprocess/runtime_process.ts";
export type { SearchToolsOptions, ToolMatch } from "./broker/types/search.ts";
export {
  FileSessionStore,
  type FileSessionStoreOptions,
} from "./broker/state/session_file_store.ts";
export {
  MemorySessionStore,
  type MemorySessionStoreOptions,
  type SessionLimits,
  type SessionStore,
} from "./broker/state/session_store.ts";
export {
  type SavedSkill,
  SKILL_CAPS,
  type SkillDefinition,
  type SkillInfo,
} from "./broker/skills/skill.ts";
export type { SkillOptions } from "./broker/skills/skills.ts";
export {
  MemorySkillStore,
  type SkillStore,
} from "./broker/skills/skill_store.ts";
export {
  FileSkillStore,
  type FileSkillStoreOptions,
} from "./broker/skills/skill_file_store.ts";
export { readSkillFolder } from "./broker/skills/skill_folder.ts";
export {
  MemoryShapeStore,
  type ShapeStore,
} from "./broker/state/shape_store.ts";
export {
  FileShapeStore,
  type FileShapeStoreOptions,
} from "./broker/state/shape_file_store.ts";
export {
  type KeyValueSetOptions,
  type KeyValueStore,
  type KeyValueStoreStatus,
  updateKey,
} from "./broker/store/key_value_store.ts";
export {
  MemoryKeyValueStore,
  type MemoryKeyValueStoreOptions,
} from "./broker/store/memory_key_value_store.ts";
export {
  FileKeyValueStore,
  type FileKeyValueStoreOptions,
} from "./broker/store/file_key_value_store.ts";
export {
  RedisKeyValueStore,
  type RedisKeyValueStoreOptions,
} from "./broker/store/redis_key_value_store.ts";
export { KvSessionStore } from "./broker/store/kv_session_store.ts";
export { KvShapeStore } from "./broker/store/kv_shape_store.ts";
export { KvSkillStore } from "./broker/store/kv_skill_store.ts";
export {
  KvOAuthStore,
  type KvOAuthStoreOptions,
} from "./broker/oauth/oauth_kv_store.ts";
export {
  type RefreshAnswer,
  type SharedRefresh,
} from "./broker/oauth/refresh_once.ts";
export {
  defineTool,
  type ToolContext,
  type ToolDefinition,
  type ToolSchema,
} from "./broker/tools/tool.ts";
export type { JsonSchema, ToolInfo } from "./broker/tools/info.ts";
export type {
  StandardIssue,
  StandardResult,
  StandardSchemaProps,
  StandardSchemaV1,
} from "./broker/tools/standard_schema.ts";
export {
  createMcpServer,
  type McpServer,
  type McpServerOptions,
} from "./broker/mcp/server.ts";
export {
  type TraceContext,
  traceContextFromHeaders,
  traceContextFromMeta,
} from "./broker/telemetry/trace_context.ts";

/**
 * How an upstream MCP server is described: the same shape common MCP client
 * configurations use (`mcpServers` in Claude Desktop, Cursor, VS Code), so a
 * user can paste theirs, plus execbox's own narrowing options.
 *
 * @module
 */

/** Options every upstream server accepts. */
export interface McpServerCommon {
  /**
   * Skip this server entirely (as MCP clients do).
   * @default {false}
   */
  disabled?: boolean;
  /**
   * Per-call timeout for this server's tools, in milliseconds.
   * @default {60000}
   */
  timeout?: number;
  /**
   * When the server fails to start, start the broker anyway with an empty
   * namespace for it, and retry on use.
   * @default {false}
   */
  optional?: boolean;
  /**
   * Only tools whose names match one of these (exact names or globs with `*`
   * and `?`) are offered to the guest.
   * @default {every tool}
   */
  allowTools?: string[];
  /**
   * Tools whose names match one of these are never offered, even when allowed.
   * @default {[]}
   */
  denyTools?: string[];
  /**
   * Tools whose names match one of these (exact names or globs with `*` and
   * `?`, such as `"delete_*"`) wait for an approver on every call.
   * @default {[]}
   */
  requireApproval?: string[];
  /**
   * Also require approval for every tool whose annotations say
   * `destructiveHint: true`. Only an explicit `true` counts: a tool without
   * annotations is not included, although MCP's default reads it as
   * destructive, so list such tools in `requireApproval`.
   * @default {false}
   */
  approveDestructive?: boolean;
  /**
   * Give the guest the raw `CallToolResult` instead of the unwrapped value.
   * @default {false}
   */
  rawResults?: boolean;
  /**
   * Check each call's arguments against the tool's `inputSchema` in the
   * broker, before the request is sent: a mismatch is a `validation_error`
   * naming the path, as for host tools. Turn it off for a server whose
   * schemas are sloppier than what it accepts.
   * @default {true}
   */
  validateArguments?: boolean;
  /**
   * Learn the return type of this server's tools that publish no
   * `outputSchema` from their results (`BrokerOptions.inference`); `false`
   * keeps them `Promise<unknown>` and records nothing.
   * @default {true}
   */
  inferOutput?: boolean;
}

/** A server started as a subprocess speaking MCP on stdio. */
export interface McpStdioServerConfig extends McpServerCommon {
  /** The transport; inferred from `command` when absent. */
  type?: "stdio";
  /** The executable, such as `"npx"`. */
  command: string;
  /** Its arguments. */
  args?: string[];
  /**
   * Environment variables added to the MCP SDK's default safe environment
   * (`HOME`, `PATH`, ...); nothing else from the host is passed on.
   */
  env?: Record<string, string>;
  /** Working directory of the subprocess. */
  cwd?: string;
}

/** A server reached over HTTP. */
export interface McpHttpServerConfig extends McpServerCommon {
  /**
   * The transport: Streamable HTTP, falling back to the older SSE transport
   * when the server does not speak it (`"http"`), or SSE only (`"sse"`).
   * Inferred from `url` when absent.
   */
  type?: "http" | "streamable-http" | "sse";
  /** The server's endpoint. */
  url: string;
  /** Headers sent with every request, such as `Authorization`. */
  headers?: Record<string, string>;
}

/** One upstream MCP server. */
export type McpServerConfig = McpStdioServerConfig | McpHttpServerConfig;

/**
 * One upstream MCP server as a provider of guest tools: its connection (stdio
 * or Streamable HTTP with an SSE fallback), its tool list (paginated, kept
 * fresh on `list_changed`), calls with a timeout and cancellation, results
 * unwrapped for the guest, and reconnection with backoff after a failure.
 *
 * @module
 */

import { Client } from "@modelcontextprotocol/sdk/client";
// @ts-types="@modelcontextprotocol/sdk/client/auth"
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
// @ts-types="@modelcontextprotocol/sdk/server/auth/errors"
import { OAuthError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
// @ts-types="@modelcontextprotocol/sdk/shared/transport"
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  type CallToolResult,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  type Tool,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import denoJson from "../../deno.json" with { type: "json" };
import type {
  ProviderCallContext,
  ProviderMethod,
  ProviderTool,
} from "../tools/catalog.ts";
import { ExecboxError } from "../errors.ts";
import type { Host } from "../host/host.ts";
import type { McpServerConfig } from "./config.ts";
import {
  listAll,
  resourceCounts,
  resourceDeclarations,
  resourceMethods,
} from "./resources.ts";
import { unwrapToolResult } from "./result.ts";
import { redact, redactValue } from "../redact.ts";
import { callError } from "./call_error.ts";
import { LogRouter, mcpLogLevel } from "./log_router.ts";
import { startMcpRequestSpan } from "../telemetry/mcp_request_span.ts";
import {
  stderrTail,
  transportAttempts,
  type TransportAuth,
} from "./transport.ts";
import type { OAuthStore } from "../oauth/oauth_store.ts";
import {
  ExecboxOAuthProvider,
  loginRequiredError,
} from "../oauth/oauth_provider.ts";
import { refreshOnceFetch } from "../oauth/refresh_once.ts";
import { watchRefusals } from "../oauth/refusals.ts";
import { type ResolvedSchema, resolveSchema } from "../tools/tool.ts";
import { toolFilter } from "./tool_filter.ts";

/** What {@linkcode McpUpstream} needs. */
export interface McpUpstreamOptions {
  /** The server's key in `mcpServers`. */
  key: string;
  /** How to reach it. */
  config: McpServerConfig;
  /** The operating-system seam, for stdio servers. */
  host: Host;
  /**
   * Values never to show in errors, logs or results. OAuth tokens and client
   * secrets are added to it as they arrive.
   */
  secrets: string[];
  /**
   * Where the OAuth tokens of an HTTP server live; without it, an HTTP
   * server that asks for OAuth cannot be reached.
   * @default {undefined}
   */
  oauthStore?: OAuthStore;
  /** Called after the tool list changed. */
  onToolsChanged: () => void;
  /**
   * Makes the transport instead of deriving it from `config` (an in-process
   * server, or a test's `InMemoryTransport`); called for every (re)connection.
   */
  transport?: () => Transport;
  /**
   * How long connecting (process start and `initialize`) may take.
   * @default {30000}
   */
  connectTimeoutMs?: number;
}

const _DEFAULT_CALL_TIMEOUT_MS = 60_000;
const _MAX_BACKOFF_MS = 30_000;

/** A connection to one upstream MCP server. */
export class McpUpstream {
  /** The server's key in `mcpServers`. */
  readonly key: string;
  readonly #options: McpUpstreamOptions;
  readonly #allowed: (name: string) => boolean;
  readonly #needsApproval: (name: string) => boolean;
  readonly #logs = new LogRouter();
  #client: Client | undefined;
  #transport: Transport | undefined;
  #lastTransport: Transport | undefined;
  #connecting: Promise<void> | undefined;
  #tools: ProviderTool[] = [];
  #methods: ProviderMethod[] = [];
  #declarations: string[] = [];
  #failures = 0;
  #retryAt = 0;
  #lastError = "";
  #closed = false;

  /** @param options The server and callbacks. */
  constructor(options: McpUpstreamOptions) {
    this.#options = options;
    this.key = options.key;
    this.#allowed = toolFilter(
      options.config.allowTools,
      options.config.denyTools,
    );
    const approval = options.config.requireApproval ?? [];
    this.#needsApproval = approval.length === 0
      ? () => false
      : toolFilter(approval, undefined);
  }

  /** The server's tools offered to the guest (empty until connected). */
  get tools(): readonly ProviderTool[] {
    return this.#tools;
  }

  /** `$resources` and `$prompts` methods, when the server offers them. */
  get methods(): readonly ProviderMethod[] {
    return this.#methods;
  }

  /** Declaration lines for {@linkcode McpUpstream.methods}. */
  get declarations(): readonly string[] {
    return this.#declarations;
  }

  /** Whether the server is connected now. */
  get connected(): boolean {
    return this.#client !== undefined;
  }

  /**
   * Connects (once at a time) and lists the tools.
   *
   * @throws {ExecboxError} `mcp_unavailable` naming the server, with the tail
   * of its stderr, when it cannot start or does not answer.
   */
  connect(): Promise<void> {
    this.#connecting ??= this.#connect().finally(
      () => (this.#connecting = undefined),
    );
    return this.#connecting;
  }

  /** Starts a reconnection in the background when one is due. */
  retryIfDue(): void {
    if (
      this.#closed || this.connected || this.#connecting ||
      Date.now() < this.#retryAt
    ) return;
    this.connect().catch(() => {});
  }

  /** Disconnects and ends the server's processes. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#connecting?.catch(() => {});
    const client = this.#client;
    this.#client = undefined;
    await client?.close().catch(() => {});
    await this.#transport?.close().catch(() => {});
  }

  async #connect(): Promise<void> {
    if (this.#closed) {
      throw new ExecboxError(
        "mcp_unavailable",
        `MCP server "${this.key}" is closed`,
      );
    }
    const { config } = this.#options;
    const timeout = this.#options.connectTimeoutMs ?? 30_000;
    const attempts = this.#options.transport
      ? [this.#options.transport]
      : transportAttempts(config, this.#options.host, this.#auth());
    let lastError: unknown;
    for (const makeTransport of attempts) {
      const transport = makeTransport();
      this.#lastTransport = transport;
      const client = new Client(
        { name: "execbox", version: denoJson.version },
        { capabilities: {} },
      );
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        this.#refresh(client).catch(() => {});
      });
      const recount = () => {
        this.#recount(client).catch(() => {});
      };
      client.setNotificationHandler(
        ResourceListChangedNotificationSchema,
        recount,
      );
      client.setNotificationHandler(
        PromptListChangedNotificationSchema,
        recount,
      );
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
        const data = n.params.data;
        const text = typeof data === "string" ? data : JSON.stringify(data);
        this.#logs.deliver(
          mcpLogLevel(n.params.level),
          this.#redact(`[${this.key}] ${text}`),
        );
      });
      try {
        await client.connect(transport, { timeout });
        this.#client = client;
        this.#transport = transport;
        client.onclose = () => {
          if (this.#client === client) this.#client = undefined;
        };
        await this.#refresh(client);
        await this.#recount(client);
        this.#failures = 0;
        return;
      } catch (error) {
        lastError = error;
        this.#client = undefined;
        await client.close().catch(() => {});
        await transport.close().catch(() => {});
        // A login the server needs, or an OAuth answer, is not a transport
        // to fall back from.
        if (
          error instanceof ExecboxError || error instanceof OAuthError ||
          error instanceof UnauthorizedError
        ) break;
      }
    }
    this.#failures++;
    this.#retryAt = Date.now() +
      Math.min(500 * 2 ** (this.#failures - 1), _MAX_BACKOFF_MS);
    const tail = this.#lastTransport === undefined
      ? ""
      : stderrTail(this.#lastTransport);
    const stderr = tail ? `; stderr: ${tail}` : "";
    this.#lastError = lastError instanceof OAuthError
      ? `the authorization server answered ${lastError.errorCode}${
        lastError.message ? ` (${lastError.message})` : ""
      }`
      : (lastError as Error)?.message ?? String(lastError);
    throw new ExecboxError(
      "mcp_unavailable",
      this.#redact(
        `MCP server "${this.key}" failed to start: ${this.#lastError}${stderr}`,
      ),
      { cause: lastError },
    );
  }

  async #refresh(client: Client): Promise<void> {
    // A server may offer only resources or prompts.
    const tools = client.getServerCapabilities()?.tools === undefined
      ? []
      : await listAll<
        { tools: Tool[]; nextCursor?: string | undefined },
        Tool
      >(
        (cursor) => client.listTools(cursor === undefined ? {} : { cursor }),
        (page) => page.tools,
      );
    this.#tools = tools.filter((t) => this.#allowed(t.name)).map((t) =>
      this.#providerTool(t)
    );
    this.#options.onToolsChanged();
  }

  // Resources and prompts are counted for the declarations, never listed there.
  async #recount(client: Client): Promise<void> {
    const counts = await resourceCounts(client);
    this.#methods = resourceMethods({
      key: this.key,
      client: () => this.#ready(),
      timeoutMs: this.#options.config.timeout ?? _DEFAULT_CALL_TIMEOUT_MS,
    }, counts).map((method) => ({
      path: method.path,
      call: async (args, context) => {
        try {
          return redactValue(
            await method.call(args, context),
            this.#options.secrets,
          );
        } catch (error) {
          throw error instanceof ExecboxError
            ? error
            : new Error(this.#redact((error as Error).message), {
              cause: error,
            });
        }
      },
    }));
    this.#declarations = resourceDeclarations(counts);
    this.#options.onToolsChanged();
  }

  #providerTool(tool: Tool): ProviderTool {
    // Compiled on the first call: a server may list hundreds of tools.
    let schema: ResolvedSchema | null | undefined;
    const check = (input: unknown) => {
      if (schema === undefined) {
        try {
          schema = resolveSchema(tool.inputSchema, "input");
        } catch {
          schema = null; // a schema the validator cannot read checks nothing
        }
      }
      schema?.check(input, "input");
    };
    const validate = this.#options.config.validateArguments !== false;
    const provided: ProviderTool = {
      name: tool.name,
      inputSchema: tool.inputSchema,
      call: (input, context) =>
        this.#call(tool.name, input, context, validate ? check : undefined),
    };
    if (tool.description !== undefined) provided.description = tool.description;
    if (
      this.#needsApproval(tool.name) ||
      (this.#options.config.approveDestructive === true &&
        tool.annotations?.destructiveHint === true)
    ) {
      provided.approval = "required";
    }
    if (tool.outputSchema !== undefined) {
      provided.outputSchema = tool.outputSchema;
    }
    return provided;
  }

  async #call(
    name: string,
    input: unknown,
    context: ProviderCallContext,
    check: ((input: unknown) => void) | undefined,
  ): Promise<unknown> {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      throw new ExecboxError("validation_error", "input must be an object");
    }
    // Before any request: a mismatch never reaches the server.
    check?.(input);
    const client = await this.#ready();
    const timeout = this.#options.config.timeout ?? _DEFAULT_CALL_TIMEOUT_MS;
    this.#logs.enter(context.log);
    const span = startMcpRequestSpan(context.traceContext, {
      server: this.key,
      method: "tools/call",
      tool: name,
    });
    let failed = true;
    try {
      const result = await client.callTool(
        {
          name,
          arguments: input as Record<string, unknown>,
          ...(span.meta === undefined ? {} : { _meta: span.meta }),
        },
        undefined,
        {
          signal: context.signal,
          timeout,
          onprogress: (p) =>
            context.log(
              "info",
              this.#redact(
                `[${this.key}] ${name} progress ${p.progress}${
                  p.total === undefined ? "" : `/${p.total}`
                }${p.message ? `: ${p.message}` : ""}`,
              ),
            ),
        },
      ) as CallToolResult;
      failed = result.isError === true;
      const value = this.#options.config.rawResults
        ? result
        : unwrapToolResult(result);
      return redactValue(value, this.#options.secrets);
    } catch (error) {
      // The SDK gives up on a step-up it cannot do without a browser.
      if (/403 after trying upscoping/.test((error as Error)?.message)) {
        throw loginRequiredError(this.key);
      }
      throw callError(this.key, name, timeout, error, this.#options.secrets);
    } finally {
      span.end(failed);
      this.#logs.leave(context.log);
    }
  }

  async #ready(): Promise<Client> {
    if (this.#client !== undefined) return this.#client;
    if (this.#closed) throw new Error(`MCP server "${this.key}" is closed`);
    const wait = this.#retryAt - Date.now();
    if (this.#connecting === undefined && wait > 0) {
      throw new Error(
        this.#redact(
          `MCP server "${this.key}" is unavailable (${this.#lastError}); next retry in ${
            Math.ceil(wait / 1000)
          } s`,
        ),
      );
    }
    try {
      await this.connect();
    } catch (error) {
      throw new Error((error as Error).message, { cause: error });
    }
    if (this.#client === undefined) {
      throw new Error(`MCP server "${this.key}" disconnected`);
    }
    return this.#client;
  }

  // A fresh provider per connection reads the store again, so tokens that
  // `execbox auth` stored since are used. A server whose Authorization
  // header is configured gets none.
  #auth(): TransportAuth | undefined {
    const { config, oauthStore, secrets } = this.#options;
    if (oauthStore === undefined || "command" in config) return undefined;
    const fixed = Object.keys(config.headers ?? {}).some((name) =>
      name.toLowerCase() === "authorization"
    );
    if (fixed && config.oauth === undefined) return undefined;
    const provider = new ExecboxOAuthProvider({
      key: this.key,
      config: config.oauth,
      store: oauthStore,
      secrets,
    });
    return {
      provider,
      fetch: watchRefusals(
        refreshOnceFetch(fetch, {
          store: oauthStore,
          key: this.key,
          url: config.url,
        }),
        provider,
      ),
    };
  }

  #redact(text: string): string {
    return redact(text, this.#options.secrets);
  }
}

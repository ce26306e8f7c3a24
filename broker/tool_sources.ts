/**
 * Where the guest's tools come from: host providers and upstream MCP servers,
 * and the catalog snapshot built from them (rebuilt when a server's list
 * changes; a run keeps the snapshot it started with).
 *
 * @module
 */

import type { BrokerOptions, UpstreamStatus } from "./options.ts";
import {
  Catalog,
  hostProviderTools,
  type ProviderSource,
} from "./tools/catalog.ts";
import type { Host } from "./host/host.ts";
import { toolIdentifiers } from "./tools/identifiers.ts";
import { McpUpstream } from "./upstream/upstream.ts";
import { headerSecrets } from "./redact.ts";
import { FileOAuthStore } from "./oauth/oauth_file_store.ts";
import type { LearnedTypes } from "./types/learned_types.ts";

/** The broker's providers and their current catalog. */
export class ToolSources {
  readonly #hosted: ProviderSource[];
  readonly #upstreams: {
    namespace: string;
    upstream: McpUpstream;
    optional: boolean;
    infer: boolean;
  }[] = [];
  readonly #learned: LearnedTypes | undefined;
  #catalog: Catalog;

  /**
   * @param options The broker's `providers`, `mcpServers`, `secrets` and
   * `oauthStore`.
   * @param host The operating-system seam, for stdio servers.
   * @param learned Where tools without an output schema record the shapes
   * of their results; without it, nothing is recorded.
   * @throws {TypeError} On a bad provider name or tool definition.
   */
  constructor(
    options: Pick<
      BrokerOptions,
      "providers" | "mcpServers" | "secrets" | "oauthStore"
    >,
    host: Host,
    learned?: LearnedTypes,
  ) {
    this.#learned = learned;
    // Host tools hide the secrets and every MCP server's header values.
    const secrets = [
      ...(options.secrets ?? []),
      ...Object.values(options.mcpServers ?? {}).flatMap((config) =>
        Object.values("headers" in config ? config.headers ?? {} : {})
          .flatMap(headerSecrets)
      ),
    ];
    this.#hosted = Object.entries(options.providers ?? {}).map((
      [namespace, tools],
    ) => ({
      namespace,
      tools: hostProviderTools(tools, { secrets }).map((tool) =>
        learned?.wrap(namespace, tool) ?? tool
      ),
    }));
    const oauthStore = options.oauthStore ?? new FileOAuthStore();
    // (The file store reads nothing, not even the environment, until an HTTP
    // server uses it: a broker without network permissions still starts.)
    for (const [key, config] of Object.entries(options.mcpServers ?? {})) {
      if (config.disabled) continue;
      const secrets = [
        ...(options.secrets ?? []),
        ...Object.values("headers" in config ? config.headers ?? {} : {})
          .flatMap(headerSecrets),
      ];
      this.#upstreams.push({
        namespace: toolIdentifiers([key])[0]!,
        optional: config.optional ?? false,
        infer: config.inferOutput !== false,
        upstream: new McpUpstream({
          key,
          config,
          host,
          secrets,
          oauthStore,
          onToolsChanged: () => (this.#catalog = this.#build()),
        }),
      });
    }
    this.#catalog = this.#build();
  }

  /** The current snapshot of the guest namespace. */
  get catalog(): Catalog {
    return this.#catalog;
  }

  /**
   * Connects every upstream server not yet connected.
   *
   * @throws {ExecboxError} `mcp_unavailable` for a required server.
   */
  async connect(): Promise<void> {
    await Promise.all(
      this.#upstreams.map(async ({ upstream, optional }) => {
        if (upstream.connected) return;
        try {
          await upstream.connect();
        } catch (error) {
          if (!optional) throw error;
        }
      }),
    );
  }

  /** Starts reconnections that are due (optional or dropped servers), in the background. */
  retryIfDue(): void {
    for (const { upstream } of this.#upstreams) upstream.retryIfDue();
  }

  /** How each upstream server is doing. */
  status(): UpstreamStatus[] {
    return this.#upstreams.map(({ namespace, upstream, optional }) => ({
      name: upstream.key,
      namespace,
      connected: upstream.connected,
      optional,
      tools: upstream.tools.length,
    }));
  }

  /** Disconnects every upstream server and ends its processes. */
  async close(): Promise<void> {
    await Promise.all(this.#upstreams.map(({ upstream }) => upstream.close()));
  }

  #build(): Catalog {
    return new Catalog([
      ...this.#hosted,
      ...this.#upstreams.map(({ namespace, upstream, infer }) => ({
        namespace,
        tools: infer && this.#learned
          ? upstream.tools.map((tool) => this.#learned!.wrap(namespace, tool))
          : upstream.tools,
        methods: upstream.methods,
        declarations: upstream.declarations,
      })),
    ]);
  }
}

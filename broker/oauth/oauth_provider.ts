/**
 * execbox's `OAuthClientProvider` for the MCP SDK: its state kept in an
 * {@linkcode OAuthStore}, every token and client secret it sees added to the
 * redaction list, and no browser unless a login was asked for.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/client/auth"
import type {
  OAuthClientProvider,
  OAuthDiscoveryState,
} from "@modelcontextprotocol/sdk/client/auth.js";
// @ts-types="@modelcontextprotocol/sdk/shared/auth"
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import { ExecboxError } from "../errors.ts";
import { MIN_SECRET_LENGTH } from "../redact.ts";
import type { McpOAuthConfig } from "./oauth_config.ts";
import type {
  OAuthClientRecord,
  OAuthDiscoveryRecord,
  OAuthRecord,
  OAuthStore,
} from "./oauth_store.ts";

/** What {@linkcode ExecboxOAuthProvider} needs. */
export interface ExecboxOAuthProviderOptions {
  /** The server's key in `mcpServers`: the record's key in the store. */
  key: string;
  /** The server's `oauth` settings. */
  config: McpOAuthConfig | undefined;
  /** Where the record lives. */
  store: OAuthStore;
  /**
   * The redaction list; every token, refreshed ones too, and client secret
   * the provider loads or receives is pushed onto it.
   */
  secrets: string[];
  /**
   * A login in progress (`execbox auth`): where the redirect comes back and
   * how to show the authorization URL. Without it, a server that needs a
   * login fails with an error that says to run `execbox auth <key>`.
   * @default {undefined}
   */
  login?: {
    redirectUrl: string;
    open: (url: URL) => void | Promise<void>;
  };
}

/**
 * The error a server that needs an interactive login gets outside one.
 *
 * @param key The server key.
 * @returns An `mcp_unavailable` error naming the command to run.
 */
export function loginRequiredError(key: string): ExecboxError {
  return new ExecboxError(
    "mcp_unavailable",
    `OAuth login required for MCP server "${key}": run "execbox auth ${key}"`,
  );
}

/** An `OAuthClientProvider` for one upstream server. */
export class ExecboxOAuthProvider implements OAuthClientProvider {
  readonly #options: ExecboxOAuthProviderOptions;
  #record: Promise<OAuthRecord> | undefined;
  #writes: Promise<void> = Promise.resolve();
  #state: string | undefined;

  /** @param options The server, its store and the login, if any. */
  constructor(options: ExecboxOAuthProviderOptions) {
    this.#options = options;
    const secret = options.config?.clientSecret;
    if (secret !== undefined) this.#addSecret(secret);
  }

  /** Whether this provider gets tokens without a person: client credentials. */
  get #machine(): boolean {
    return this.#options.config?.grant === "client_credentials";
  }

  /** The loopback redirect of a login; `undefined` for client credentials. */
  get redirectUrl(): string | undefined {
    if (this.#machine) return undefined;
    // Outside a login nothing is redirected; the SDK only needs a value to
    // know the flow is interactive.
    return this.#options.login?.redirectUrl ?? "http://127.0.0.1/callback";
  }

  /** What dynamic client registration sends. */
  get clientMetadata(): OAuthClientMetadata {
    const config = this.#options.config;
    const confidential = config?.clientSecret !== undefined;
    const metadata: OAuthClientMetadata = this.#machine
      ? {
        client_name: "execbox",
        redirect_uris: [],
        grant_types: ["client_credentials"],
        token_endpoint_auth_method: "client_secret_basic",
      }
      : {
        client_name: "execbox",
        redirect_uris: [this.redirectUrl!],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: confidential
          ? "client_secret_basic"
          : "none",
      };
    if (config?.scope !== undefined) metadata.scope = config.scope;
    return metadata;
  }

  /** A fresh `state` for an authorization request. */
  state(): string {
    this.#state = crypto.randomUUID();
    return this.#state;
  }

  /** The `state` of the last authorization request, to check the redirect. */
  get lastState(): string | undefined {
    return this.#state;
  }

  /**
   * The configured client, or the registered one.
   *
   * @throws {ExecboxError} Outside a login, when there is neither and no
   * tokens: registering would only lead to a login.
   */
  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    const record = await this.#load();
    const config = this.#options.config;
    if (config?.clientId !== undefined) {
      const stored = record.client?.client_id === config.clientId
        ? record.client
        : undefined;
      return {
        ...stored as OAuthClientInformationMixed | undefined,
        client_id: config.clientId,
        ...(config.clientSecret === undefined
          ? {}
          : { client_secret: config.clientSecret }),
      };
    }
    if (
      record.client === undefined && record.tokens === undefined &&
      this.#options.login === undefined && !this.#machine
    ) {
      this.#record = undefined;
      throw loginRequiredError(this.#options.key);
    }
    return record.client as OAuthClientInformationMixed | undefined;
  }

  /** @param client A registration to keep. */
  async saveClientInformation(
    client: OAuthClientInformationMixed,
  ): Promise<void> {
    if (client.client_secret !== undefined) {
      this.#addSecret(client.client_secret);
    }
    await this.#update((record) => ({
      ...record,
      client: client as OAuthClientRecord,
    }));
  }

  /**
   * The stored tokens, if any. A store that cannot be read has none here, so
   * a server that never asks for OAuth works without one; the login that a
   * server asking for it starts meets the store's error.
   */
  async tokens(): Promise<OAuthTokens | undefined> {
    try {
      return (await this.#load()).tokens as OAuthTokens | undefined;
    } catch {
      return undefined;
    }
  }

  /** @param tokens New tokens (a login, a refresh, client credentials). */
  async saveTokens(tokens: OAuthTokens): Promise<void> {
    this.#addSecret(tokens.access_token);
    if (tokens.refresh_token !== undefined) {
      this.#addSecret(tokens.refresh_token);
    }
    await this.#update((record) => ({ ...record, tokens }));
  }

  /**
   * Shows the authorization URL during a login.
   *
   * @throws {ExecboxError} Outside a login: `serve` and `mcp` never wait
   * for a browser.
   */
  async redirectToAuthorization(url: URL): Promise<void> {
    const login = this.#options.login;
    if (login === undefined) {
      // The next login asks for the scope the server wants now (a step-up).
      const scope = url.searchParams.get("scope");
      if (scope) await this.#update((record) => ({ ...record, scope }));
      // The next attempt reads the store again: `execbox auth` may have
      // stored new tokens by then.
      this.#record = undefined;
      throw loginRequiredError(this.#options.key);
    }
    await login.open(url);
  }

  /** @param codeVerifier The PKCE verifier of the login in progress. */
  async saveCodeVerifier(codeVerifier: string): Promise<void> {
    if (this.#options.login === undefined) return;
    await this.#update((record) => ({ ...record, codeVerifier }));
  }

  /**
   * @returns The PKCE verifier of the login in progress.
   * @throws {Error} When no login is in progress.
   */
  async codeVerifier(): Promise<string> {
    const verifier = (await this.#load()).codeVerifier;
    if (verifier === undefined) {
      throw new Error(
        `No OAuth login in progress for MCP server "${this.#options.key}"`,
      );
    }
    return verifier;
  }

  /** Client credentials ask for their token directly. */
  prepareTokenRequest(scope?: string): URLSearchParams | undefined {
    if (!this.#machine) return undefined;
    const params = new URLSearchParams({ grant_type: "client_credentials" });
    const wanted = scope ?? this.#options.config?.scope;
    if (wanted) params.set("scope", wanted);
    return params;
  }

  /** @param state Discovery results to reuse. */
  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    await this.#update((record) => ({
      ...record,
      discovery: state as unknown as OAuthDiscoveryRecord,
    }));
  }

  /** Discovery results kept from before. */
  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    return (await this.#load()).discovery as OAuthDiscoveryState | undefined;
  }

  /** @param scope What the server said is no longer valid. */
  async invalidateCredentials(
    scope: "all" | "client" | "tokens" | "verifier" | "discovery",
  ): Promise<void> {
    const refused = (await this.#load()).tokens?.access_token;
    await this.#update((record) => {
      const next = { ...record };
      if (scope === "all" || scope === "client") delete next.client;
      // Only the tokens that were refused: another process (`execbox auth`)
      // may have stored new ones meanwhile.
      if (
        (scope === "all" || scope === "tokens") &&
        next.tokens?.access_token === refused
      ) delete next.tokens;
      if (scope === "all" || scope === "verifier") delete next.codeVerifier;
      if (scope === "all" || scope === "discovery") delete next.discovery;
      return next;
    });
  }

  /** Reads the store again at the next use (the server refused a token). */
  forget(): void {
    this.#record = undefined;
  }

  /** @param scope The scope a step-up asked for, for the next login. */
  async noteScope(scope: string): Promise<void> {
    await this.#update((record) => ({ ...record, scope }));
  }

  #load(): Promise<OAuthRecord> {
    this.#record ??= this.#options.store.get(this.#options.key).then(
      (record) => {
        const loaded = record ?? {};
        const tokens = loaded.tokens;
        if (tokens?.access_token) this.#addSecret(tokens.access_token);
        if (tokens?.refresh_token) this.#addSecret(tokens.refresh_token);
        if (loaded.client?.client_secret) {
          this.#addSecret(loaded.client.client_secret);
        }
        return loaded;
      },
      (error) => {
        this.#record = undefined;
        throw error;
      },
    );
    return this.#record;
  }

  // One write at a time, each on the record as stored now (another process
  // may have written since it was loaded).
  #update(change: (record: OAuthRecord) => OAuthRecord): Promise<void> {
    const write = this.#writes.then(async () => {
      this.#record = undefined;
      const next = change(await this.#load());
      this.#record = Promise.resolve(next);
      await this.#options.store.set(this.#options.key, next);
    });
    this.#writes = write.catch(() => {});
    return write;
  }

  #addSecret(value: string): void {
    const secrets = this.#options.secrets;
    if (value.length >= MIN_SECRET_LENGTH && !secrets.includes(value)) {
      secrets.push(value);
    }
  }
}

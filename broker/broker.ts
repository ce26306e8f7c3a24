/**
 * The broker: holds the capabilities (tools), admits runs, and runs each in a
 * fresh zero-permission Deno subprocess.
 *
 * @module
 */

import {
  type AuditCall,
  type AuditHook,
  deliverAuditRecord,
} from "./audit/record.ts";
import { Admission } from "./admission.ts";

import type {
  AuditOptions,
  BrokerOptions,
  BrokerStatus,
  ExecuteOptions,
} from "./options.ts";
import { namespaceDeclarations } from "./types/declarations.ts";
import { type ErrorCode, ExecboxError } from "./errors.ts";
import { MCP_RESOURCE_INTERFACES } from "./upstream/resources.ts";
import { sessionMethods } from "./state/session.ts";
import { SessionQuota } from "./state/session_quota.ts";
import {
  MemorySessionStore,
  type SessionLimits,
  type SessionStore,
} from "./state/session_store.ts";
import { ToolSources } from "./tool_sources.ts";
import { LearnedTypes } from "./types/learned_types.ts";
import { denoHost } from "./host/deno.ts";
import {
  DEFAULT_LIMITS,
  type Limits,
  mergeLimits,
  positiveInteger,
} from "./limits.ts";
import { RuntimePool } from "./subprocess/pool.ts";
import type { RuntimeProcess } from "./subprocess/runtime_process.ts";
import { createIsolatePool } from "./isolate/create_isolate_pool.ts";
import type { IsolatePool } from "./isolate/isolate_pool.ts";
import type { ExecuteResult } from "./result.ts";
import { runInProcess } from "./run/run.ts";
import { NetworkAccess } from "./network/network_access.ts";
import type { NetworkRuleInfo } from "./network/options.ts";
import { fetchDeclaration } from "./network/declaration.ts";
import { addUnavailableHint } from "./run/hints.ts";
import type { ToolCallHook } from "./run/tool_call.ts";
import {
  searchTools,
  searchToolsAndSkills,
  type SearchToolsOptions,
  type ToolMatch,
} from "./types/search.ts";
import type { ToolInfo } from "./tools/info.ts";
import { CodePreparer } from "./code/preparer.ts";
import { Skills } from "./skills/skills.ts";
import type { KeyValueStore } from "./store/key_value_store.ts";
import { KvSessionStore } from "./store/kv_session_store.ts";
import { KvShapeStore } from "./store/kv_shape_store.ts";
import { KvSkillStore } from "./store/kv_skill_store.ts";
import type { SkillInfo } from "./skills/skill.ts";
import { MemorySkillStore } from "./skills/skill_store.ts";
import { Watchdog } from "./run/watchdog.ts";
import { type PrivacyLease, PrivacyScopes } from "./privacy/privacy_scopes.ts";
import type { ApprovalHandler } from "./approval/approval.ts";
import {
  DEFAULT_APPROVAL_TIMEOUT_MS,
  type RunApproval,
} from "./approval/approve_call.ts";
import { headerSecrets } from "./redact.ts";
import { sha256Hex } from "./sha256.ts";
import { RunTelemetry } from "./telemetry/run_telemetry.ts";

/**
 * Holds the tools and runs guest code. Create one with {@linkcode createBroker}
 * and close it with {@linkcode Broker.close} (or `await using`).
 */
export class Broker {
  readonly #limits: Limits;
  readonly #pool: RuntimePool;
  readonly #isolate: IsolatePool | undefined;
  readonly #sources: ToolSources;
  readonly #learned: LearnedTypes | undefined;
  readonly #onToolCall: ToolCallHook | undefined;
  readonly #onRun: AuditHook | undefined;
  readonly #auditOptions: AuditOptions;
  readonly #sessions: {
    store: SessionStore;
    limits: SessionLimits;
    quota: SessionQuota;
  };
  readonly #admission: Admission;
  readonly #closing = new AbortController();
  readonly #poolSize: number;
  readonly #preparer: CodePreparer;
  readonly #watchdog = new Watchdog();
  readonly #skills: Skills | undefined;
  readonly #store: KeyValueStore | undefined;
  readonly #privacy: PrivacyScopes | undefined;
  readonly #onApproval: ApprovalHandler | undefined;
  readonly #approvalTimeoutMs: number;
  readonly #secrets: readonly string[];
  readonly #network: NetworkAccess;

  /**
   * Prefer {@linkcode createBroker}, which also waits for the pool.
   *
   * @param options The broker's options.
   * @throws {TypeError} On a bad provider name, tool definition or network rule.
   * @throws {RangeError} On a limit or count out of range.
   */
  constructor(options: BrokerOptions = {}) {
    this.#limits = mergeLimits(
      DEFAULT_LIMITS,
      options.limits,
      "broker options",
    );
    this.#network = new NetworkAccess(options.network ?? {});
    const maxConcurrency = positiveInteger(
      options.maxConcurrency,
      4,
      "maxConcurrency",
    );
    const maxQueue = positiveInteger(options.maxQueue, 64, "maxQueue", 0);
    this.#admission = new Admission({
      maxConcurrency,
      maxQueue,
      maxConcurrencyPerCaller: positiveInteger(
        options.maxConcurrencyPerCaller,
        Math.ceil(maxConcurrency / 2),
        "maxConcurrencyPerCaller",
      ),
      maxQueuePerCaller: positiveInteger(
        options.maxQueuePerCaller,
        Math.ceil(maxQueue / 2),
        "maxQueuePerCaller",
        0,
      ),
    });
    const host = options.host ?? denoHost;
    this.#poolSize = positiveInteger(options.pool?.size, 2, "pool.size", 0);
    this.#store = options.store;
    const inference = options.inference ?? {};
    const shapes = inference.store ??
      (this.#store ? new KvShapeStore(this.#store) : undefined);
    this.#learned = inference.enabled === false ? undefined : new LearnedTypes({
      ...(shapes ? { store: shapes } : {}),
      ...(inference.onError ? { onError: inference.onError } : {}),
      secrets: options.secrets ?? [],
    });
    this.#sources = new ToolSources(options, host, this.#learned);
    this.#privacy = (options.privacy?.tokenize?.length ?? 0) > 0
      ? new PrivacyScopes(options.privacy!, options.secrets ?? [])
      : undefined;
    this.#onToolCall = options.onToolCall;
    this.#onRun = options.onRun;
    this.#onApproval = options.onApproval;
    this.#approvalTimeoutMs = positiveInteger(
      options.approvalTimeoutMs,
      DEFAULT_APPROVAL_TIMEOUT_MS,
      "approvalTimeoutMs",
    );
    // What an approver must not see: as the host tools hide it.
    this.#secrets = [
      ...(options.secrets ?? []),
      ...Object.values(options.mcpServers ?? {}).flatMap((config) =>
        Object.values("headers" in config ? config.headers ?? {} : {})
          .flatMap(headerSecrets)
      ),
    ];
    this.#auditOptions = options.audit ?? {};
    const ttlMs = positiveInteger(
      options.sessions?.ttlMs,
      3_600_000,
      "sessions.ttlMs",
    );
    this.#sessions = {
      store: options.sessions?.store ??
        (this.#store
          ? new KvSessionStore(this.#store)
          : new MemorySessionStore()),
      limits: {
        maxBytes: positiveInteger(
          options.sessions?.maxBytes,
          1_048_576,
          "sessions.maxBytes",
        ),
        ttlMs,
      },
      quota: new SessionQuota({
        maxPerCaller: positiveInteger(
          options.sessions?.maxPerCaller,
          100,
          "sessions.maxPerCaller",
        ),
        ttlMs,
      }),
    };
    // One preparation thread per run slot, up to four: a pathological input
    // holds only its own thread, until its run's deadline.
    this.#preparer = new CodePreparer(
      Math.min(this.#admission.limits.maxConcurrency, _MAX_PREPARE_THREADS),
    );
    this.#skills = options.skills?.enabled === false ? undefined : new Skills(
      options.skills?.store ??
        (this.#store ? new KvSkillStore(this.#store) : new MemorySkillStore()),
      {
        checker: this.#preparer,
        preload: options.skills?.preload ?? [],
      },
    );
    const startTimeoutMs = positiveInteger(
      options.startTimeoutMs,
      10_000,
      "startTimeoutMs",
    );
    this.#pool = new RuntimePool({
      host,
      denoPath: options.denoPath ?? host.defaultDenoPath(),
      size: this.#poolSize,
      memoryMb: this.#limits.memoryMb,
      startTimeoutMs,
    });
    this.#isolate = createIsolatePool(options, {
      host,
      spares: this.#pool,
      maxConcurrency,
      startTimeoutMs,
    });
  }

  /**
   * Waits until the warm pool is full, every upstream MCP server is
   * connected (optional ones may fail) and a code preparation thread is
   * ready. With `pool.size: 0` no subprocess or thread is started here: the
   * first run starts them, and checks the runtime then.
   *
   * @throws {ExecboxError} When the runtime cannot start (`runtime_start`),
   * its Deno is too old (`deno_version`), a required MCP server cannot start
   * (`mcp_unavailable`), the watchdog or preparation thread cannot start
   * or lacks a permission (`runtime_start`), or the shared store
   * (`BrokerOptions.store`) cannot be reached (`internal_error`).
   */
  async ready(): Promise<void> {
    // First: learned shapes are read from it while upstreams connect.
    await this.#store?.connect?.();
    await Promise.all([
      this.#pool.warm(),
      this.#sources.connect().then(() => this.#learned?.ready()),
      this.#poolSize > 0 ? this.#watchdog.ready() : undefined,
      this.#skills?.ready(),
    ]);
    // After the subprocesses, so loading the compiler does not slow their
    // start on a machine with few cores.
    if (this.#poolSize > 0) await this.#preparer.warm();
  }

  /**
   * Whether personal data leaves runs as tokens (`privacy.tokenize` lists a
   * detector); the MCP server then tells the model how to use them.
   */
  get tokenizes(): boolean {
    return this.#privacy !== undefined;
  }

  /** The limits every run gets unless `execute` overrides them. */
  get limits(): Readonly<Limits> {
    return this.#limits;
  }

  /**
   * The store shared by replicas (`BrokerOptions.store`), for the surfaces
   * that keep state of their own there (pending approvals).
   *
   * @returns The store, or `undefined` without one.
   */
  get store(): KeyValueStore | undefined {
    return this.#store;
  }

  /** What the broker is doing now. */
  status(): BrokerStatus {
    return {
      running: this.#admission.running,
      queued: this.#admission.queued,
      pool: { ...this.#pool.stats, size: this.#poolSize },
      ...(this.#isolate ? { isolate: this.#isolate.stats } : {}),
      upstreams: this.#sources.status(),
      ...(this.#store ? { store: this.#store.status() } : {}),
    };
  }

  /**
   * Runs guest code in a fresh subprocess. Never throws for anything the guest
   * does: failures are results with an `error.code`.
   *
   * @param code JavaScript or TypeScript; the value of a `return` or of the
   * last expression statement is the result.
   * @param options A signal and per-run limits.
   * @returns The outcome.
   * @throws {ExecboxError} `broker_closed` after {@linkcode Broker.close}.
   * @throws {TypeError} When `code` is not a string or a limit is unknown.
   * @throws {RangeError} When a limit is out of range.
   *
   * @example Run code with a host tool
   * ```ts ignore
   * const r = await broker.execute("const d = await tools.search_docs({ q: 'x' }); d.length");
   * if (r.ok) console.log(r.result);
   * ```
   */
  async execute(
    code: string,
    options: ExecuteOptions = {},
  ): Promise<ExecuteResult> {
    if (this.#closing.signal.aborted) {
      throw new ExecboxError("broker_closed", "The broker is closed");
    }
    if (typeof code !== "string") {
      throw new TypeError(`Code must be a string, got ${typeof code}`);
    }
    if (
      options.session !== undefined &&
      (typeof options.session !== "string" || options.session.length === 0 ||
        options.session.length > 256)
    ) {
      throw new TypeError(
        `Session must be a string of 1 to 256 characters, got ${
          typeof options.session === "string"
            ? `${options.session.length} characters`
            : typeof options.session
        }`,
      );
    }
    // The mode is the broker's: a run never picks a weaker one.
    if ("isolation" in options || "isolate" in options) {
      throw new TypeError(
        `Isolation is a broker option, not a run's: got ${
          JSON.stringify(
            String((options as Record<string, unknown>).isolation ?? "isolate"),
          )
        }`,
      );
    }
    const time = new Date();
    const calls: AuditCall[] = [];
    const runId = crypto.randomUUID();
    const telemetry = new RunTelemetry({
      runId,
      caller: options.caller ?? "library",
      traceContext: options.traceContext,
    });
    let result;
    try {
      result = addUnavailableHint(
        await this.#execute(code, options, calls, runId, telemetry),
        options.toolsHint,
      );
    } catch (error) {
      telemetry.fail(error);
      throw error;
    }
    telemetry.end(result);
    if (this.#onRun !== undefined) {
      deliverAuditRecord(this.#onRun, {
        code,
        time,
        calls,
        result,
        caller: options.caller ?? "library",
        session: options.session,
        includeCode: this.#auditOptions.includeCode ?? false,
        runId,
      });
    }
    return result;
  }

  async #execute(
    code: string,
    options: ExecuteOptions,
    calls: AuditCall[],
    runId: string,
    telemetry: RunTelemetry,
  ): Promise<ExecuteResult> {
    const startedAt = performance.now();
    const limits = mergeLimits(
      this.#limits,
      options.limits,
      "execute() options",
    );
    const failed = (
      code: ErrorCode,
      message: string,
      extra = {},
    ): ExecuteResult => ({
      ok: false,
      error: { code, message, ...extra },
      logs: [],
      stats: {
        durationMs: performance.now() - startedAt,
        toolCalls: 0,
        coldStart: false,
        peakMemoryBytes: 0,
      },
    });

    const tooLong = _codeBytesProblem(code, limits.maxCodeBytes);
    if (tooLong !== undefined) {
      return failed("limit_exceeded", tooLong, { limit: "codeBytes" });
    }

    const signal = options.signal === undefined
      ? this.#closing.signal
      : AbortSignal.any([options.signal, this.#closing.signal]);
    const cancelled = () =>
      failed(
        "cancelled",
        this.#closing.signal.aborted
          ? "The broker was closed"
          : "Run was cancelled",
      );
    if (signal.aborted) return cancelled();
    const caller = options.caller ?? "library";
    if (options.session !== undefined) {
      // Counted before the queue, so a refused session never waits for a slot.
      try {
        this.#sessions.quota.enter(caller, options.session);
      } catch (error) {
        return failed("limit_exceeded", (error as Error).message, {
          limit: "sessions",
        });
      }
    }

    this.#sources.retryIfDue();
    const admission = await this.#admission.enter(signal, options.caller);
    if (admission === "cancelled") return cancelled();
    if (admission !== undefined) {
      return failed("limit_exceeded", admission.message, {
        limit: admission.limit,
      });
    }
    let privacy: PrivacyLease | undefined;
    try {
      // After admission, so preparation counts against maxConcurrency, and
      // in a thread, so it never holds the broker's main thread.
      const prepared = await this.#preparer.prepare(
        code,
        limits.timeoutMs,
        signal,
      );
      switch (prepared.t) {
        case "timeout":
          return failed(
            "timeout",
            `Run exceeded the time limit of ${limits.timeoutMs} ms while its code was prepared`,
          );
        case "cancelled":
          return cancelled();
        case "failed":
          return failed(
            "internal_error",
            `Code preparation failed: ${prepared.message}`,
          );
      }
      if (!prepared.result.ok) {
        const { code: errorCode, message, ...where } = prepared.result.error;
        return failed(errorCode, message, where);
      }
      let state;
      if (options.session !== undefined) {
        // Scoped to the caller: one caller's sessions are invisible to another.
        const id = JSON.stringify([caller, options.session]);
        try {
          await this.#sessions.store.touch(id, this.#sessions.limits.ttlMs);
        } catch (error) {
          return failed(
            "internal_error",
            `Session store failed: ${(error as Error).message}`,
          );
        }
        state = sessionMethods(this.#sessions.store, id, this.#sessions.limits);
      }
      let skills;
      if (this.#skills !== undefined) {
        try {
          await this.#skills.ready();
          await this.#skills.refresh(caller);
        } catch (error) {
          return failed(
            "internal_error",
            `Skill store failed: ${(error as Error).message}`,
          );
        }
        skills = {
          methods: this.#skills.methods(caller, limits.timeoutMs),
          sources: this.#skills.sources(caller),
        };
      }
      if (this.#privacy !== undefined) {
        try {
          privacy = await this.#privacy.open(
            options.session === undefined
              ? undefined
              : JSON.stringify([caller, options.session]),
            { store: this.#sessions.store, ttlMs: this.#sessions.limits.ttlMs },
          );
        } catch (error) {
          return failed(
            "internal_error",
            `Privacy tokens of the session cannot be loaded: ${
              (error as Error).message
            }`,
          );
        }
      }
      let acquired: {
        process: RuntimeProcess;
        cold: boolean;
        baselineBytes?: number;
      };
      try {
        acquired = this.#isolate === undefined
          ? await this.#pool.acquire(limits.memoryMb)
          : await this.#isolate.acquire(caller, limits.memoryMb);
      } catch (error) {
        return failed("internal_error", (error as Error).message);
      }
      // Isolate mode keeps a process for the caller's next run unless the
      // broker stopped this one.
      const release = (result?: ExecuteResult) => {
        if (this.#isolate === undefined) this.#pool.release(acquired.process);
        else this.#isolate.release(acquired.process, result);
      };
      if (signal.aborted) {
        release();
        return cancelled();
      }
      try {
        await this.#watchdog.ready();
      } catch (error) {
        // No run executes without its deadline and memory cap enforced.
        release();
        return failed("internal_error", (error as Error).message);
      }
      const result = await runInProcess({
        process: acquired.process,
        cold: acquired.cold,
        ...(acquired.baselineBytes === undefined
          ? {}
          : { rssBaselineBytes: acquired.baselineBytes }),
        js: prepared.result.js,
        catalog: this.#sources.catalog,
        onToolCall: this.#onToolCall,
        limits,
        remainingMs: Math.max(1, limits.timeoutMs - prepared.elapsedMs),
        watchdog: this.#watchdog,
        signal,
        startedAt,
        // Calls are recorded (and their arguments hashed) only for a hook.
        ...(this.#onRun === undefined ? {} : {
          audit: calls,
          auditArgs: this.#auditOptions.includeArgs ?? false,
        }),
        ...(state === undefined ? {} : { state }),
        ...(skills === undefined ? {} : { skills }),
        ...(privacy === undefined ? {} : { privacy: privacy.privacy }),
        approval: this.#runApproval(code, options, runId),
        ...(this.#network.enabled
          ? {
            fetch: this.#network.forRun(
              privacy === undefined
                ? undefined
                : (text) => privacy!.privacy.detokenizeText(text),
            ),
          }
          : {}),
        ...(options.onLog === undefined ? {} : { onLog: options.onLog }),
        ...(options.onToolCallCount === undefined
          ? {}
          : { onToolCallCount: options.onToolCallCount }),
        telemetry,
      });
      release(result);
      try {
        await privacy?.close();
      } catch (error) {
        // Tokens the model would see but a later run could not resolve, or
        // could give to other values: none are shown.
        return failed(
          "internal_error",
          `Privacy tokens of the session cannot be saved: ${
            (error as Error).message
          }`,
        );
      }
      if (
        !result.ok && result.error.code === "cancelled" &&
        this.#closing.signal.aborted
      ) {
        result.error.message = "The broker was closed";
      }
      return result;
    } finally {
      // Saved before the caller has the result, so its next run sees them.
      await privacy?.close().catch(() => {});
      this.#admission.leave(options.caller);
    }
  }

  #runApproval(
    code: string,
    options: ExecuteOptions,
    runId: string,
  ): RunApproval {
    let digest: string | undefined;
    return {
      handler: options.onApproval ?? this.#onApproval,
      timeoutMs: this.#approvalTimeoutMs,
      runId,
      caller: options.caller ?? "library",
      session: options.session,
      // Hashed only when a call asks for approval.
      get codeSha256() {
        return digest ??= sha256Hex(code);
      },
      secrets: this.#secrets,
    };
  }

  /**
   * TypeScript declarations of the whole guest namespace, for the model. A
   * tool without an output schema shows the return type learned from its
   * results so far (`inference`), else `Promise<unknown>`.
   *
   * When the caller has saved skills, the `skills` global follows with
   * them (and its `save`, `list` and `delete`).
   *
   * @param options Whose skills to declare.
   * @returns Declarations such as `declare namespace tools { ... }`.
   */
  types(options: TypesOptions = {}): string {
    const catalog = this.#sources.catalog;
    let text = namespaceDeclarations(this.tools(), catalog.declarations) +
      fetchDeclaration(this.networkRules());
    if (catalog.declarations.size > 0) text += MCP_RESOURCE_INTERFACES;
    // Declared once the caller has a skill: until then `skills.save` costs
    // no tokens here (the MCP `execute` description mentions it).
    const caller = options.caller ?? "library";
    if (this.#skills !== undefined && this.#skills.list(caller).length > 0) {
      text += this.#skills.declaration(caller);
    }
    return text;
  }

  /** Whether runs get the `skills` global (the `skills` option). */
  get skillsEnabled(): boolean {
    return this.#skills !== undefined;
  }

  /**
   * The saved skills a caller's runs see (pre-loaded ones first), or none
   * when skills are disabled.
   *
   * @param options Whose skills.
   * @returns Each skill's name, description and signature.
   */
  skills(options: TypesOptions = {}): SkillInfo[] {
    return this.#skills?.list(options.caller ?? "library") ?? [];
  }

  /**
   * What the guest's `fetch` may reach (`network.allow`, without the headers
   * the broker adds); empty when the guest has no `fetch`.
   *
   * @returns The rules, in order.
   */
  networkRules(): NetworkRuleInfo[] {
    return this.#network.rules;
  }

  /**
   * Finds tools by words in their names and descriptions (case-insensitive).
   *
   * @param query Words that must all occur; empty for every tool.
   * @param options How many matches and how much of each.
   * @returns The matches, best first.
   * @throws {RangeError} When `limit` is not a positive whole number.
   */
  searchTools(query: string, options?: SearchToolsOptions): ToolMatch[] {
    if (this.#skills === undefined) {
      return searchTools(this.tools(), query, options);
    }
    return searchToolsAndSkills(
      this.tools(),
      this.#skills.list(options?.caller ?? "library"),
      query,
      options,
    );
  }

  /**
   * Every tool of the guest namespace, with the return type learned so far
   * (`inferredOutputType`) for those without an output schema.
   *
   * @returns The tools, in declaration order.
   */
  tools(): readonly ToolInfo[] {
    const tools = this.#sources.catalog.tools;
    if (this.#learned === undefined) return tools;
    // What replicas sharing the store learned shows up on a later call.
    void this.#learned.refresh();
    return this.#learned.annotate(tools);
  }

  /**
   * Cancels running and queued runs and kills every subprocess. Resolves when
   * none is left and every temporary directory is removed.
   */
  async close(): Promise<void> {
    this.#closing.abort();
    this.#preparer.close();
    try {
      await Promise.all([
        this.#isolate?.close().then(() => this.#pool.close()) ??
          this.#pool.close(),
        this.#sources.close(),
      ]);
      await Promise.all([
        this.#sessions.store.close?.(),
        this.#learned?.close(),
        this.#skills?.close(),
      ]);
      await this.#store?.close?.();
    } finally {
      // A live thread would keep the process running.
      this.#watchdog.close();
    }
  }

  /** Same as {@linkcode Broker.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Creates a broker and waits until its warm pool is ready.
 *
 * @param options Tools, limits, pool and admission settings.
 * @returns The ready broker.
 * @throws {TypeError} On a bad provider name or tool definition.
 * @throws {RangeError} On a limit or count out of range.
 * @throws {ExecboxError} When the runtime cannot start (`runtime_start`) or its
 * Deno is older than the supported minimum (`deno_version`).
 *
 * @example Run code that calls a host tool
 * ```ts
 * import { z } from "zod";
 * import { createBroker, defineTool } from "../mod.ts";
 *
 * await using broker = await createBroker({
 *   providers: {
 *     tools: {
 *       "search-docs": defineTool({
 *         description: "Searches the docs",
 *         input: z.object({ query: z.string() }),
 *         execute: ({ query }) => [`${query}.md`],
 *       }),
 *     },
 *   },
 *   pool: { size: 1 },
 * });
 * const r = await broker.execute(`(await tools.search_docs({ query: "intro" }))[0]`);
 * console.log(r.ok && r.result); // "intro.md"
 * ```
 */
export async function createBroker(
  options: BrokerOptions = {},
): Promise<Broker> {
  const broker = new Broker(options);
  try {
    await broker.ready();
  } catch (error) {
    await broker.close();
    throw error;
  }
  return broker;
}

const _MAX_PREPARE_THREADS = 4;

/** Options of {@linkcode Broker.types} and {@linkcode Broker.skills}. */
export interface TypesOptions {
  /**
   * Whose saved skills to include; the MCP server and the HTTP service pass
   * their caller.
   * @default {"library"}
   */
  caller?: string;
}

/** Why code is over `maxBytes` in UTF-8, or `undefined` when it is not. */
function _codeBytesProblem(
  code: string,
  maxBytes: number,
): string | undefined {
  if (typeof code !== "string") {
    throw new TypeError(`Code must be a string, got ${typeof code}`);
  }
  // Each UTF-16 code unit is 1 to 3 bytes: most code needs no encoding.
  if (code.length > maxBytes) {
    return `Code is more than the limit of ${maxBytes} bytes (${code.length} characters)`;
  }
  if (code.length * 3 <= maxBytes) return undefined;
  const bytes = new TextEncoder().encode(code).byteLength;
  return bytes > maxBytes
    ? `Code is ${bytes} bytes, more than the limit of ${maxBytes}`
    : undefined;
}

/**
 * One run in one runtime subprocess, with every limit enforced on the broker's
 * side: time, resident memory, tool calls, log and result bytes, cancellation.
 * What the subprocess sends is checked; what it claims about limits is never
 * believed.
 *
 * @module
 */

import { sha256Hex } from "../sha256.ts";
import { type AuditCall, keepAuditArgs } from "../audit/record.ts";
import type {
  Catalog,
  ProviderMethod,
  ProviderTool,
} from "../tools/catalog.ts";
import { encodeToolPayload } from "../transfer/tool_payload.ts";
import { ToolResultBudget } from "../transfer/tool_result_budget.ts";
import { releaseText } from "../transfer/release_text.ts";
import { type ArrayPiece, arrayPieces } from "../transfer/array_pieces.ts";
import { sendPieces } from "../transfer/send_pieces.ts";
import { ResultPieces } from "../transfer/result_pieces.ts";
import { type ErrorCode, ExecboxError } from "../errors.ts";
import { type Limits, RUNTIME_BASELINE_MB } from "../limits.ts";
import type { ExecuteError, ExecuteResult, LogEntry } from "../result.ts";
import type { RuntimeProcess } from "../subprocess/runtime_process.ts";
import {
  FETCH_NAMESPACE,
  type LogLevel,
  type RuntimeFrame,
} from "../../runtime/protocol.ts";
import { FetchRefusedError, type RunFetch } from "../network/network_access.ts";
import { ArgumentBudget } from "./argument_budget.ts";
import { RunLogs } from "./logs.ts";
import { guestMessage, MAX_MESSAGE_CHARS, parsePayload } from "./payload.ts";
import type { ToolCallHook } from "./tool_call.ts";
import {
  cutTokenized,
  dropPartialValue,
  type RunPrivacy,
} from "../privacy/run_privacy.ts";
import { PrivacyLimitError } from "../privacy/token_map.ts";
import { approveCall, type RunApproval } from "../approval/approve_call.ts";
import type { Watchdog, WatchdogVerdict } from "./watchdog.ts";
import type { RunTelemetry } from "../telemetry/run_telemetry.ts";

const _MIB = 1024 * 1024;
const _BROKER_CODES: ReadonlySet<ErrorCode> = new Set([
  "timeout",
  "memory_limit",
  "cancelled",
  "limit_exceeded",
  "internal_error",
]);
const _MIN_PAYLOAD_BYTES = 65_536;
const _PAUSE_SLACK_MS = 1000;
const _NO_APPROVER: RunApproval = {
  handler: undefined,
  timeoutMs: 0,
  runId: "",
  caller: "",
  session: undefined,
  codeSha256: "",
  secrets: [],
};

/** What {@linkcode runInProcess} needs. */
export interface RunOptions {
  /** A ready subprocess; it serves only this run. */
  process: RuntimeProcess;
  /** Whether it was started for this run. */
  cold: boolean;
  /**
   * Isolate mode: the process's resident memory when the run starts, in
   * bytes. The run is then charged for what it adds to it (`memoryMb`), and
   * its peak is the highest reading during the run, not the process's.
   */
  rssBaselineBytes?: number;
  /** Prepared JavaScript from `prepareCode`. */
  js: string;
  /** The guest namespace for this run. */
  catalog: Catalog;
  /** The broker's hook on every tool call. */
  onToolCall: ToolCallHook | undefined;
  /** Limits of this run. */
  limits: Limits;
  /**
   * Milliseconds left of `limits.timeoutMs` when the code reaches the
   * subprocess (preparation took the rest).
   */
  remainingMs: number;
  /** Enforces the deadline and the memory cap from its own thread. */
  watchdog: Watchdog;
  /** The caller's signal. */
  signal: AbortSignal | undefined;
  /** `performance.now()` when `execute` was called. */
  startedAt: number;
  /** The `state` methods of the run's session, when it has one. */
  state?: readonly ProviderMethod[];
  /**
   * The caller's saved skills: the `skills` methods (save, list, delete) and
   * each skill's prepared code, when skills are enabled.
   */
  skills?: {
    methods: readonly ProviderMethod[];
    sources: readonly { name: string; js: string }[];
  };
  /** Receives one entry per call, for the audit record. */
  audit?: AuditCall[];
  /** Keep each call's arguments in `audit` (else only their hash). */
  auditArgs?: boolean;
  /** Sees each log entry the result will hold, while the run goes. */
  onLog?: (entry: LogEntry) => void;
  /** Sees the number of tool calls each time it grows. */
  onToolCallCount?: (count: number) => void;
  /**
   * PII tokenization (`BrokerOptions.privacy`): the result, logs and error
   * messages are tokenized, tool arguments detokenized right before a call
   * leaves, and audit entries and approval prompts keep the tokenized form. A
   * feature that sends guest data out of the broker (a network request) calls
   * its `detokenizeValue` / `detokenizeText` right before it leaves, and its
   * `tokenizeValue` / `tokenizeText` on what a person or the model sees.
   */
  privacy?: RunPrivacy;
  /**
   * Who approves calls of tools that need approval; without it, they are
   * denied.
   */
  approval?: RunApproval;
  /** The guest's `fetch`, when the broker allows some origins. */
  fetch?: RunFetch;
  /**
   * The run's spans and metrics: each tool call is
   * `telemetry.toolCall(ns, name, extra?)` (a guest `fetch`,
   * `telemetry.fetchCall(extra?)`), ended with its outcome; a feature that
   * starts its own span parents it on `telemetry.context` with
   * `startChildSpan`.
   */
  telemetry?: RunTelemetry;
}

/**
 * Runs prepared code in a ready subprocess and resolves with the outcome. A
 * subprocess the broker stops (timeout, memory, cancel, limit) is killed at
 * once; the caller disposes of it in every case.
 *
 * @param options The run.
 * @returns The outcome; never rejects.
 */
export function runInProcess(options: RunOptions): Promise<ExecuteResult> {
  const { process, limits, catalog, signal } = options;
  const decoder = new TextDecoder();
  const { privacy } = options;
  const logs = new RunLogs(limits.maxLogBytes, privacy, options.onLog);
  const tools = new AbortController();
  const argBudget = new ArgumentBudget(limits.maxInFlightArgBytes);
  const results = new ToolResultBudget(
    limits.maxToolResultBytes,
    limits.maxRunToolResultBytes,
  );
  const baseline = options.rssBaselineBytes;
  const rssLimit = baseline === undefined
    ? (limits.memoryMb + RUNTIME_BASELINE_MB) * _MIB
    : baseline + limits.memoryMb * _MIB;
  let toolCalls = 0;
  let settled = false;
  const running = new Map<AuditCall, number>();

  return new Promise((resolve) => {
    function finish(outcome: { result: unknown } | ExecuteError): void {
      if (settled) return;
      settled = true;
      // The watchdog decides first: it may have killed the process while
      // this thread was busy, before the frames it had sent were read.
      const decided = watch.verdict();
      if (decided !== undefined) outcome = verdictError(decided);
      if (privacy !== undefined) outcome = _tokenizeOutcome(privacy, outcome);
      watch.stop();
      for (const [entry, started] of running) {
        entry.durationMs = performance.now() - started;
        entry.outcome = "cancelled";
      }
      running.clear();
      // A run the broker stops is killed now; one that ended by itself is
      // killed by the pool right after the caller has its result (a kill
      // costs the broker's core ~1 ms while the kernel tears the process down).
      if ("code" in outcome && _BROKER_CODES.has(outcome.code)) {
        process.dispose();
      }
      clearTimeout(fallback);
      signal?.removeEventListener("abort", onAbort);
      tools.abort();
      argBudget.close();
      const stats = {
        durationMs: performance.now() - options.startedAt,
        toolCalls,
        coldStart: options.cold,
        peakMemoryBytes: watch.peakBytes(),
      };
      if ("code" in outcome) {
        resolve({ ok: false, error: outcome, logs: logs.entries, stats });
      } else {
        resolve(
          outcome.result === undefined
            ? { ok: true, logs: logs.entries, stats }
            : { ok: true, result: outcome.result, logs: logs.entries, stats },
        );
      }
    }
    const fail = (code: ErrorCode, message: string, limit?: string) =>
      finish(
        limit === undefined ? { code, message } : { code, message, limit },
      );

    function verdictError(verdict: WatchdogVerdict): ExecuteError {
      if (verdict === "timeout") {
        return {
          code: "timeout",
          message: `Run exceeded the time limit of ${limits.timeoutMs} ms`,
        };
      }
      return {
        code: "memory_limit",
        message: baseline === undefined
          ? `Run exceeded the memory limit of ${limits.memoryMb} MiB (resident memory reached ${
            Math.round(watch.residentBytes() / _MIB)
          } MiB)`
          : `Run exceeded the memory limit of ${limits.memoryMb} MiB (resident memory grew by ${
            Math.round((watch.residentBytes() - baseline) / _MIB)
          } MiB)`,
      };
    }
    const deadline = performance.now() + options.remainingMs;
    let fallback: ReturnType<typeof setTimeout> | undefined;
    const watch = options.watchdog.watch(process.pid, {
      timeoutMs: options.remainingMs,
      rssLimitBytes: rssLimit,
      ...(baseline === undefined ? {} : { peakFromSamples: true }),
      // A little past the approval timeout, in case this thread is too busy
      // to end the wait in time.
      maxPauseMs: (options.approval?.timeoutMs ?? 0) + _PAUSE_SLACK_MS,
      onVerdict: (verdict) => finish(verdictError(verdict)),
      // Only if the watchdog thread dies mid-run: this thread's timer is then
      // the deadline's last keeper.
      onLost: () => {
        fallback = setTimeout(
          () => finish(verdictError("timeout")),
          Math.max(0, deadline - performance.now()),
        );
      },
    });
    const onAbort = () => fail("cancelled", "Run was cancelled");
    signal?.addEventListener("abort", onAbort, { once: true });

    // Adding a log entry tokenizes it, which fails when the scope is full.
    const addLog = (level: LogLevel, message: string) => {
      try {
        logs.add(level, message);
      } catch (error) {
        if (!(error instanceof PrivacyLimitError)) throw error;
        fail("limit_exceeded", error.message, error.limit);
      }
    };
    const toolLog = (level: LogLevel, message: string) => {
      if (!settled) addLog(level, String(message));
    };

    const stateByPath = new Map((options.state ?? []).map((m) => [m.path, m]));
    const runFetch = options.fetch;
    const skillsByPath = new Map(
      (options.skills?.methods ?? []).map((m) => [m.path, m]),
    );
    const skillNames = new Set(
      (options.skills?.sources ?? []).map((s) => s.name),
    );
    const lookup = (
      ns: string,
      name: string,
    ): ProviderTool | ProviderMethod | undefined =>
      ns === "state"
        ? stateByPath.get(name)
        : ns === "skills"
        ? skillsByPath.get(name)
        : catalog.lookup(ns, name);
    // The guest's fetch is a call like a tool's: counted, bounded, audited
    // and aborted with the run. Its policy is `network.allow`, not onToolCall.
    const isFetch = (frame: Extract<RuntimeFrame, { t: "call" }>) =>
      runFetch !== undefined && frame.ns === FETCH_NAMESPACE &&
      frame.name === FETCH_NAMESPACE;

    // `refused`: why the call fails before it starts; else its argument's
    // bytes are in flight until it settles.
    async function call(
      frame: Extract<RuntimeFrame, { t: "call" }>,
      args: unknown,
      argsText: string,
      argBytes: number,
      refused?: string,
    ) {
      const fetching = isFetch(frame);
      const path = fetching ? "fetch" : `${frame.ns}.${frame.name}`;
      const started = performance.now();
      // The runtime's tag is untrusted: kept for the record only, and only
      // when it names one of this run's skills.
      const skill = frame.skill !== undefined && skillNames.has(frame.skill)
        ? frame.skill
        : undefined;
      let outcome: AuditCall["outcome"] = "ok";
      // Audit entries carry tokens, and hash the tokenized form.
      let audited = args;
      if (options.audit !== undefined && privacy !== undefined) {
        try {
          audited = privacy.tokenizeValue(args);
        } catch (error) {
          if (refused === undefined) argBudget.give(argBytes);
          if (!(error instanceof PrivacyLimitError)) throw error;
          return fail("limit_exceeded", error.message, error.limit);
        }
        argsText = JSON.stringify(audited);
      }
      // Entered when the call starts, so the record lists calls in that order
      // and still has one that is running when the run ends.
      const entry: AuditCall | undefined = options.audit === undefined
        ? undefined
        : {
          tool: path,
          atMs: Math.round(started - options.startedAt),
          durationMs: 0,
          outcome: "cancelled",
          argsSha256: sha256Hex(argsText),
          ...(skill === undefined ? {} : { skill }),
        };
      if (entry !== undefined) {
        if (options.auditArgs) keepAuditArgs(entry, audited, argBytes);
        options.audit!.push(entry);
        running.set(entry, started);
      }
      // Not kept while the tool runs: only `args` counts as in flight.
      argsText = "";
      // A name the catalog does not know is the subprocess's text: not recorded.
      const traced = skill === undefined ? undefined : { skill };
      const span = fetching
        ? options.telemetry?.fetchCall(traced)
        : lookup(frame.ns, frame.name) === undefined
        ? options.telemetry?.toolCall("(unknown)", "(unknown)", traced)
        : options.telemetry?.toolCall(frame.ns, frame.name, traced);
      let reply: Parameters<RuntimeProcess["send"]> | undefined;
      let pieces: Iterable<ArrayPiece> | undefined;
      try {
        if (refused !== undefined) throw new Error(refused);
        const tool = fetching
          ? { path, call: (a: unknown) => runFetch!(a, tools.signal, entry) }
          : lookup(frame.ns, frame.name);
        if (tool === undefined) throw new Error(`Unknown tool ${path}`);
        // Real values go back in right before the call leaves the broker;
        // `state` stays inside it and keeps what the guest wrote. What a
        // skill keeps reaches the model (declarations, search): it is saved
        // as the model may see it, with tokens, never the values.
        if (privacy !== undefined && frame.ns === "skills") {
          try {
            args = privacy.tokenizeValue(args);
          } catch (error) {
            if (!(error instanceof PrivacyLimitError)) throw error;
            return fail("limit_exceeded", error.message, error.limit);
          }
        } else if (privacy !== undefined && frame.ns !== "state") {
          args = privacy.detokenizeValue(args);
        }
        if (options.onToolCall !== undefined && !fetching) {
          let decision;
          try {
            decision = await options.onToolCall({
              namespace: frame.ns,
              tool: frame.name,
              originalName: "name" in tool ? tool.name : frame.name,
              args,
              ...(skill === undefined ? {} : { skill }),
            });
          } catch (error) {
            decision = { deny: guestMessage(error) };
          }
          if (decision && typeof decision.deny === "string") {
            outcome = "denied";
            throw new Error(`Call to ${path} was denied: ${decision.deny}`);
          }
        }
        if ("approval" in tool && tool.approval === "required") {
          const approval = await approveCall(
            options.approval ?? _NO_APPROVER,
            {
              tool: path,
              // The approver sees what the model may see: tokens, not the
              // personal values they stand for.
              args: privacy === undefined ? args : privacy.tokenizeValue(args),
              signal: tools.signal,
              pause: watch.pause,
              record: (record) => {
                if (entry !== undefined) entry.approval = record;
              },
            },
          );
          if (approval.outcome !== "approved") {
            outcome = "denied";
            throw new Error(
              `Call to ${path} was not approved: ${approval.reason}`,
            );
          }
        }
        if (settled) return;
        const value = await tool.call(args, {
          signal: tools.signal,
          log: toolLog,
          ...(span === undefined ? {} : { traceContext: span.context }),
        });
        // A large array goes in pieces, each encoded as the last is sent.
        pieces = arrayPieces(value);
        if (pieces === undefined) {
          const payload = encodeToolPayload(value);
          const refusal = results.admit(path, payload.bytes.length);
          if (refusal !== undefined) {
            outcome = "tool_error";
            return fail("limit_exceeded", refusal.message, refusal.limit);
          }
          reply = [
            payload.text
              ? { t: "result", id: frame.id, ok: true, text: true }
              : { t: "result", id: frame.id, ok: true },
            payload.bytes,
          ];
        }
      } catch (error) {
        // The run ended while the call ran: aborted, whatever it threw.
        if (settled) outcome = "cancelled";
        if (error instanceof ExecboxError && error.code === "limit_exceeded") {
          // A broker limit reached through a call (session state size).
          if (entry !== undefined && running.delete(entry)) {
            entry.durationMs = performance.now() - started;
            entry.outcome = "tool_error";
          }
          outcome = "tool_error";
          return fail("limit_exceeded", error.message, "sessionBytes");
        }
        if (error instanceof FetchRefusedError) outcome = "denied";
        const invalid = error instanceof ExecboxError &&
          error.code === "validation_error";
        if (outcome === "ok") {
          outcome = invalid ? "validation_error" : "tool_error";
        }
        reply = [
          {
            t: "result",
            id: frame.id,
            ok: false,
            code: invalid ? "validation_error" : "tool_error",
            tool: path,
          },
          invalid
            ? `Invalid input for ${path}: ${guestMessage(error)}`
            : guestMessage(error),
        ];
      } finally {
        // A call still running when the run ended was cut short.
        span?.end(settled && outcome === "ok" ? "cancelled" : outcome);
        if (refused === undefined) argBudget.give(argBytes);
        // A call still running when the run ended was closed by finish().
        if (entry !== undefined && running.delete(entry)) {
          entry.durationMs = performance.now() - started;
          entry.outcome = outcome;
        }
      }
      if (pieces !== undefined && !settled) {
        const sent = await sendPieces(pieces, {
          id: frame.id,
          tool: path,
          send: (f, p) => process.send(f, p),
          budget: results,
          ended: () => settled,
        });
        // The call's record was closed as ok before the pieces went.
        if (sent !== undefined && entry !== undefined) {
          entry.outcome = "tool_error";
        }
        if (sent !== undefined && "refusal" in sent) {
          return fail(
            "limit_exceeded",
            sent.refusal.message,
            sent.refusal.limit,
          );
        }
      } else if (!settled && reply !== undefined) {
        await process.send(...reply);
      }
    }

    // Tool arguments share the result's bound; logs are cut by the runtime.
    const payloadLimit = Math.max(limits.maxResultBytes, _MIN_PAYLOAD_BYTES);
    process.maxPayloadBytes = Math.max(
      payloadLimit,
      limits.maxLogBytes * 3 + 16,
    );
    // A large array result arrives in pieces, each parsed as it lands.
    const resultPieces = new ResultPieces(limits.maxResultBytes, parsePayload);
    process.listen((event) => {
      if (settled) return;
      switch (event.kind) {
        case "exit":
          // V8 ends the process with SIGTRAP when the heap cap is reached;
          // a signal is observed by the OS, not claimed by the guest.
          if (event.status.signal === "SIGTRAP") {
            return fail(
              "memory_limit",
              `Run exceeded the memory limit of ${limits.memoryMb} MiB (JavaScript heap)`,
            );
          }
          return fail(
            "internal_error",
            `Runtime exited unexpectedly (exit code ${event.status.code})`,
          );
        case "fault":
          return fail("internal_error", event.message);
        case "oversize":
          switch (event.frame.t) {
            case "done":
            case "piece":
              return fail(
                "limit_exceeded",
                `Result is ${event.payloadBytes} bytes, more than the limit of ${limits.maxResultBytes}`,
                "maxResultBytes",
              );
            case "call":
              return fail(
                "limit_exceeded",
                `Tool call argument is ${event.payloadBytes} bytes, more than the limit of ${payloadLimit}`,
                "toolArgumentBytes",
              );
            default:
              return fail(
                "internal_error",
                `Runtime sent a "${event.frame.t}" frame of ${event.payloadBytes} bytes`,
              );
          }
      }
      const { frame, payload } = event;
      switch (frame.t) {
        case "log":
          return addLog(frame.level, decoder.decode(payload));
        case "fail": {
          const message = decoder.decode(payload);
          if (privacy === undefined) {
            return fail(frame.code, message.slice(0, MAX_MESSAGE_CHARS));
          }
          // Tokenized before the cut, so the cut cannot split a value; one
          // the runtime cut already may end inside one, so it loses its end.
          try {
            const text = privacy.tokenizeText(message);
            return fail(
              frame.code,
              message.length >= MAX_MESSAGE_CHARS
                ? dropPartialValue(text.slice(0, MAX_MESSAGE_CHARS))
                : cutTokenized(text, MAX_MESSAGE_CHARS),
            );
          } catch (error) {
            if (!(error instanceof PrivacyLimitError)) throw error;
            return fail("limit_exceeded", error.message, error.limit);
          }
        }
        case "piece": {
          const refusal = resultPieces.add(payload);
          if (refusal !== undefined) {
            return fail(refusal.code, refusal.message, refusal.limit);
          }
          return;
        }
        case "done": {
          if (frame.pieces !== undefined || resultPieces.count > 0) {
            const whole = resultPieces.finish(payload, frame.pieces ?? 1);
            return "result" in whole
              ? finish(whole)
              : fail(whole.code, whole.message, whole.limit);
          }
          if (payload.length > limits.maxResultBytes) {
            return fail(
              "limit_exceeded",
              `Result is ${payload.length} bytes, more than the limit of ${limits.maxResultBytes}`,
              "maxResultBytes",
            );
          }
          try {
            return finish({ result: parsePayload(releaseText(payload)) });
          } catch (error) {
            return fail(
              "internal_error",
              `Runtime sent a bad result: ${(error as Error).message}`,
            );
          }
        }
        case "call": {
          // The frame bound can be the log bound, which may be larger.
          if (payload.length > payloadLimit) {
            return fail(
              "limit_exceeded",
              `Tool call argument is ${payload.length} bytes, more than the limit of ${payloadLimit}`,
              "toolArgumentBytes",
            );
          }
          if (toolCalls >= limits.maxToolCalls) {
            return fail(
              "limit_exceeded",
              `Run made more than ${limits.maxToolCalls} tool calls`,
              "maxToolCalls",
            );
          }
          toolCalls++;
          if (options.onToolCallCount !== undefined) {
            try {
              options.onToolCallCount(toolCalls);
            } catch {
              // An observer's failure is its own; the run goes on.
            }
          }
          const start = (refused?: string) => {
            if (settled) return;
            let args: unknown;
            const argsText = decoder.decode(payload);
            try {
              args = parsePayload(argsText);
            } catch (error) {
              return fail(
                "internal_error",
                `Runtime sent bad tool arguments: ${(error as Error).message}`,
              );
            }
            call(frame, args, argsText, payload.length, refused);
          };
          if (!argBudget.fits(payload.length)) {
            return start(
              `Tool call argument is ${payload.length} bytes, more than the ${limits.maxInFlightArgBytes} bytes of arguments a run may have in flight (maxInFlightArgBytes)`,
            );
          }
          // Holds back the next frame until this call's bytes fit.
          return argBudget.take(payload.length)?.then(() => start()) ??
            start();
        }
        case "ready":
          return fail("internal_error", "Runtime sent a second ready frame");
      }
    });
    const methods = { ...catalog.methods };
    if (options.state !== undefined) methods.state = [...stateByPath.keys()];
    if (options.skills !== undefined) {
      methods.skills = [...skillsByPath.keys()];
    }
    // Each skill's code goes first in the payload, then the run's own.
    const sources = options.skills?.sources ?? [];
    process.send(
      {
        t: "exec",
        namespaces: { ...catalog.namespaces },
        methods,
        maxLogBytes: limits.maxLogBytes,
        skills: sources.map(({ name, js }) => ({ name, chars: js.length })),
        ...(runFetch === undefined ? {} : { fetch: true }),
      },
      sources.length === 0
        ? options.js
        : sources.map(({ js }) => js).join("") + options.js,
    );
  });
}

// What leaves the run toward the model, tokenized; a full scope turns it into
// the limit's error, so no value leaves untokenized.
function _tokenizeOutcome(
  privacy: RunPrivacy,
  outcome: { result: unknown } | ExecuteError,
): { result: unknown } | ExecuteError {
  try {
    if ("code" in outcome) {
      return { ...outcome, message: privacy.tokenizeText(outcome.message) };
    }
    return { result: privacy.tokenizeValue(outcome.result) };
  } catch (error) {
    if (!(error instanceof PrivacyLimitError)) throw error;
    return {
      code: "limit_exceeded",
      message: error.message,
      limit: error.limit,
    };
  }
}

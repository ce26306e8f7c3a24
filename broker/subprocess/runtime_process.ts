/**
 * One runtime subprocess, seen from the broker: it starts it, reads and
 * checks every frame it writes, and kills it. Nothing the subprocess writes is
 * trusted: a malformed frame becomes a `fault` event, never an exception.
 *
 * @module
 */

import { ExecboxError } from "../errors.ts";
import type { Host, HostProcess, ProcessStatus } from "../host/host.ts";
import type { RuntimeFiles } from "./runtime_files.ts";
import { freeBuffer } from "../transfer/free_buffer.ts";
import {
  type BrokerFrame,
  createFrameDecoder,
  encodeFrame,
  encodeFrameHead,
  type FrameDecoder,
  MAX_HEADER_BYTES,
  PROTOCOL_VERSION,
  type RuntimeFrame,
} from "../../runtime/protocol.ts";

/** The oldest Deno the runtime is known to be safe on (see DENO_SANDBOX_FACTS). */
export const MIN_DENO_VERSION = "2.9.6";

/** Something the subprocess did, delivered in order. */
export type RuntimeEvent =
  | { kind: "frame"; frame: RuntimeFrame; payload: Uint8Array }
  | { kind: "oversize"; frame: RuntimeFrame; payloadBytes: number }
  | { kind: "fault"; message: string }
  | { kind: "exit"; status: ProcessStatus };

/**
 * Receives the events of a subprocess. A promise returned for a frame holds
 * back the next one: nothing more is read from the subprocess until it
 * settles, so the subprocess, not the broker, holds what it sends meanwhile.
 */
export type RuntimeListener = (event: RuntimeEvent) => void | Promise<void>;

/** What {@linkcode RuntimeProcess.start} needs. */
export interface RuntimeProcessOptions {
  /** The operating-system seam. */
  host: Host;
  /** The Deno binary. */
  denoPath: string;
  /** V8 heap cap in MiB. */
  memoryMb: number;
  /** How long the subprocess may take to report ready. */
  startTimeoutMs: number;
  /** The runtime program, its import map and the shared `DENO_DIR`. */
  files: RuntimeFiles;
}

const _STDERR_TAIL_BYTES = 4096;
const _LOG_LEVELS = new Set(["log", "info", "debug", "warn", "error"]);
const _GUEST_CODES = new Set([
  "syntax_error",
  "runtime_error",
  "tool_error",
  "validation_error",
  "serialization_error",
]);

function _compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((p) => parseInt(p, 10) || 0);
  const pb = b.split(/[.-]/).map((p) => parseInt(p, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Parses and checks a frame header from the subprocess.
 *
 * @returns The frame, or a string saying what is wrong with it.
 */
function _parseHeader(text: string): RuntimeFrame | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "header is not JSON";
  }
  if (typeof value !== "object" || value === null) {
    return "header is not an object";
  }
  const f = value as Record<string, unknown>;
  switch (f.t) {
    case "ready":
      return typeof f.v === "number" && typeof f.deno === "string"
        ? { t: "ready", v: f.v, deno: f.deno }
        : "bad ready frame";
    case "call":
      if (
        !Number.isSafeInteger(f.id) || (f.id as number) <= 0 ||
        typeof f.ns !== "string" || typeof f.name !== "string" ||
        (f.skill !== undefined && typeof f.skill !== "string")
      ) return "bad call frame";
      return typeof f.skill === "string"
        ? {
          t: "call",
          id: f.id as number,
          ns: f.ns,
          name: f.name,
          skill: f.skill,
        }
        : { t: "call", id: f.id as number, ns: f.ns, name: f.name };
    case "log":
      return _LOG_LEVELS.has(f.level as string)
        ? { t: "log", level: f.level as "log" }
        : "bad log frame";
    case "done":
      if (f.pieces === undefined) return { t: "done" };
      return Number.isSafeInteger(f.pieces) && (f.pieces as number) >= 1
        ? { t: "done", pieces: f.pieces as number }
        : "bad done frame";
    case "piece":
      return { t: "piece" };
    case "fail":
      return _GUEST_CODES.has(f.code as string)
        ? { t: "fail", code: f.code as "runtime_error" }
        : `fail frame with code ${JSON.stringify(String(f.code)).slice(0, 40)}`;
    default:
      return `unknown frame type ${JSON.stringify(String(f.t)).slice(0, 40)}`;
  }
}

/** A started runtime subprocess. */
export class RuntimeProcess {
  /** Operating-system process id. */
  readonly pid: number;
  /** The V8 heap cap it was started with. */
  readonly memoryMb: number;
  /** Settles when the process has exited. */
  readonly exited: Promise<ProcessStatus>;
  readonly #proc: HostProcess;
  readonly #decoder: FrameDecoder;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #listener: RuntimeListener | undefined;
  #backlog: RuntimeEvent[] = [];
  #stderrTail = "";
  #broken = false;
  #disposed: Promise<void> | undefined;

  private constructor(proc: HostProcess, memoryMb: number) {
    this.#proc = proc;
    this.pid = proc.pid;
    this.memoryMb = memoryMb;
    this.exited = proc.status;
    this.#decoder = createFrameDecoder(MAX_HEADER_BYTES, 65_536);
    this.#writer = proc.stdin.getWriter();
    this.#writer.closed.catch(() => {}); // a dead child's pipe; `exit` reports it
    this.#readStdout();
    this.#drainStderr();
    proc.status.then((status) => this.#emit({ kind: "exit", status }));
  }

  /**
   * Starts a subprocess and waits until it reports ready.
   *
   * @param options How to start it.
   * @returns The ready process.
   * @throws {ExecboxError} `runtime_start` when it cannot start or does not
   * become ready in time; `deno_version` when its Deno is too old.
   */
  static async start(options: RuntimeProcessOptions): Promise<RuntimeProcess> {
    const { host, files } = options;
    let proc: HostProcess;
    try {
      proc = host.spawn({
        command: options.denoPath,
        args: files.args(options.memoryMb),
        cwd: files.dir,
        env: files.env(),
      });
    } catch (error) {
      throw new ExecboxError(
        "runtime_start",
        `Cannot start the runtime with Deno at "${options.denoPath}": ${
          (error as Error).message
        }`,
        { cause: error },
      );
    }
    const runtime = new RuntimeProcess(proc, options.memoryMb);
    try {
      const ready = await runtime.#waitReady(options.startTimeoutMs);
      if (ready.v !== PROTOCOL_VERSION) {
        throw new ExecboxError(
          "runtime_start",
          `Runtime speaks protocol ${ready.v}, expected ${PROTOCOL_VERSION}`,
        );
      }
      if (_compareVersions(ready.deno, MIN_DENO_VERSION) < 0) {
        throw new ExecboxError(
          "deno_version",
          `Deno ${ready.deno} at "${options.denoPath}" is older than the minimum ${MIN_DENO_VERSION}`,
        );
      }
      return runtime;
    } catch (error) {
      await runtime.dispose();
      throw error;
    }
  }

  /**
   * Isolate mode: asks the runtime to end the Worker of the run that just
   * ended and start a fresh one, and waits until it reports ready again.
   *
   * @param timeoutMs How long the fresh Worker may take.
   * @throws {ExecboxError} `runtime_start` when it does not become ready in
   * time, exits or sends anything else first.
   */
  async next(timeoutMs: number): Promise<void> {
    if (this.#disposed !== undefined) {
      throw new ExecboxError("runtime_start", "Runtime process was killed");
    }
    const ready = this.#waitReady(timeoutMs);
    await this.send({ t: "next" });
    await ready;
  }

  /** Whether {@linkcode RuntimeProcess.dispose} was called. */
  get disposed(): boolean {
    return this.#disposed !== undefined;
  }

  #waitReady(timeoutMs: number): Promise<{ v: number; deno: string }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#listener = undefined;
        reject(
          new ExecboxError(
            "runtime_start",
            `Runtime did not become ready within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.listen((event) => {
        clearTimeout(timer);
        this.#listener = undefined;
        if (event.kind === "frame" && event.frame.t === "ready") {
          resolve(event.frame);
          return;
        }
        const why = event.kind === "exit"
          ? `exited with code ${event.status.code}`
          : event.kind === "fault"
          ? event.message
          : `sent "${event.frame.t}" before ready`;
        reject(
          new ExecboxError(
            "runtime_start",
            `Runtime failed to start: ${why}${
              this.#stderrTail ? `: ${this.#stderrTail.trim().slice(-500)}` : ""
            }`,
          ),
        );
      });
    });
  }

  /**
   * Sets the one listener for events; events that arrived while there was no
   * listener are delivered first.
   *
   * @param listener Receives every event in order.
   */
  listen(listener: RuntimeListener): void {
    this.#listener = listener;
    while (this.#backlog.length > 0 && this.#listener === listener) {
      listener(this.#backlog.shift()!);
    }
  }

  /**
   * Sets the largest payload read from now on; a larger one arrives as an
   * `oversize` event without being read.
   */
  set maxPayloadBytes(bytes: number) {
    this.#decoder.maxPayloadBytes = bytes;
  }

  /** The last bytes the subprocess wrote to stderr, for diagnostics only. */
  get stderrTail(): string {
    return this.#stderrTail;
  }

  /**
   * Sends a frame; a write to a dead process is dropped (its `exit` event
   * reports what happened).
   */
  async send(frame: BrokerFrame, payload?: string | Uint8Array): Promise<void> {
    try {
      // A large payload is written after its head, not copied in with it.
      if (payload instanceof Uint8Array && payload.length >= 65_536) {
        const head = encodeFrameHead(frame, payload.length);
        await Promise.all([
          this.#writer.write(head),
          this.#writer.write(payload),
        ]);
        return;
      }
      await this.#writer.write(encodeFrame(frame, payload));
    } catch {
      // The process is gone; the exit event tells the run.
    }
  }

  /** Kills the process and waits for it to exit. Idempotent. */
  dispose(): Promise<void> {
    this.#disposed ??= (async () => {
      this.#proc.kill();
      await this.#proc.status;
      await this.#writer.close().catch(() => {});
    })();
    return this.#disposed;
  }

  #emit(event: RuntimeEvent): void | Promise<void> {
    if (this.#listener) return this.#listener(event);
    this.#backlog.push(event);
  }

  async #readStdout(): Promise<void> {
    try {
      for await (const chunk of this.#proc.stdout) {
        if (this.#broken) continue; // keep draining so the child never blocks
        // A chunk the decoder copied out whole is garbage: detached, its
        // memory is free now, not at the next collection, so a large result
        // is not held twice while it arrives.
        const kept = this.#decoder.push(chunk);
        if (!kept && this.#proc.stdoutChunksOwned === true) {
          freeBuffer(chunk);
        }
        for (let raw = this.#decoder.next(); raw; raw = this.#decoder.next()) {
          const frame = _parseHeader(raw.header);
          if (typeof frame === "string") {
            this.#fault(`malformed frame from the runtime: ${frame}`);
            break;
          }
          if ("payloadBytes" in raw) {
            this.#broken = true;
            this.#emit({
              kind: "oversize",
              frame,
              payloadBytes: raw.payloadBytes,
            });
            break;
          }
          const held = this.#emit({
            kind: "frame",
            frame,
            payload: raw.payload,
          });
          if (held !== undefined) await held;
        }
      }
    } catch (error) {
      this.#fault(
        `malformed output from the runtime: ${(error as Error).message}`,
      );
    }
  }

  #fault(message: string): void {
    if (this.#broken) return;
    this.#broken = true;
    this.#emit({ kind: "fault", message });
  }

  async #drainStderr(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of this.#proc.stderr) {
        this.#stderrTail =
          (this.#stderrTail + decoder.decode(chunk, { stream: true }))
            .slice(-_STDERR_TAIL_BYTES);
      }
    } catch {
      // The pipe closed with the process.
    }
  }
}

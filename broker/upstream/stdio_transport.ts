/**
 * An MCP client transport over a subprocess's stdio, started through the
 * {@linkcode Host} seam in its own process group, so that closing it ends the
 * server and everything the server started (`npx` starts a second process).
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/shared/stdio"
import {
  deserializeMessage,
  serializeMessage,
} from "@modelcontextprotocol/sdk/shared/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/shared/transport"
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { Host, HostProcess } from "../host/host.ts";

/** What {@linkcode HostStdioTransport} starts. */
export interface HostStdioTransportOptions {
  /** The operating-system seam. */
  host: Host;
  /** The executable. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** The complete environment. */
  env: Record<string, string>;
  /** Working directory; the broker's own when absent. */
  cwd?: string;
  /**
   * How long `close` waits after SIGTERM before SIGKILL, in milliseconds.
   * @default {2000}
   */
  killGraceMs?: number;
}

const _STDERR_TAIL_CHARS = 4096;
const _MAX_LINE_CHARS = 64 * 1024 * 1024;

/** The MCP SDK `Transport` for a stdio server started through the host seam. */
export class HostStdioTransport implements Transport {
  /** Called with each message from the server. */
  onmessage?: (message: JSONRPCMessage) => void;
  /** Called when the connection fails. */
  onerror?: (error: Error) => void;
  /** Called once when the connection is closed, by either side. */
  onclose?: () => void;
  readonly #options: HostStdioTransportOptions;
  #process: HostProcess | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #stderrTail = "";
  #closed = false;
  #readers: Promise<void>[] = [];

  /** @param options What to start. */
  constructor(options: HostStdioTransportOptions) {
    this.#options = options;
  }

  /** The last output of the server on stderr, for error messages. */
  get stderrTail(): string {
    return this.#stderrTail;
  }

  /** Starts the server process. */
  start(): Promise<void> {
    const { host, command, args, env, cwd } = this.#options;
    const process = host.spawn({
      command,
      args,
      env,
      processGroup: true,
      ...(cwd === undefined ? {} : { cwd }),
    });
    this.#process = process;
    this.#writer = process.stdin.getWriter();
    this.#writer.closed.catch(() => {});
    this.#readers = [
      this.#readStdout(process.stdout),
      this.#readStderr(process.stderr),
    ];
    process.status.then(() => this.#finish());
    return Promise.resolve();
  }

  /** Sends one message. */
  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#writer === undefined || this.#closed) {
      throw new Error("Not connected");
    }
    await this.#writer.write(
      new TextEncoder().encode(serializeMessage(message)),
    );
  }

  /** Closes stdin, then ends the process group: SIGTERM, then SIGKILL. */
  async close(): Promise<void> {
    const process = this.#process;
    if (process === undefined) return;
    await this.#writer?.close().catch(() => {});
    process.kill("SIGTERM");
    const grace = this.#options.killGraceMs ?? 2000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      process.status,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, grace))),
    ]);
    clearTimeout(timer);
    process.kill("SIGKILL"); // the group may outlive its leader
    await process.status;
    // Let the pipe readers see the end, so nothing outlives close (bounded: a
    // process of the group that escaped could hold the pipes open).
    let readersTimer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled(this.#readers),
      new Promise<void>((
        resolve,
      ) => (readersTimer = setTimeout(resolve, grace))),
    ]);
    clearTimeout(readersTimer);
    this.#finish();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.();
  }

  async #readStdout(stdout: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of stdout) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, "");
          buffer = buffer.slice(newline + 1);
          if (line.trim() === "") continue;
          let message: JSONRPCMessage;
          try {
            message = deserializeMessage(line);
          } catch (error) {
            this.onerror?.(error as Error);
            continue;
          }
          this.onmessage?.(message);
        }
        if (buffer.length > _MAX_LINE_CHARS) {
          this.onerror?.(new Error("MCP server sent a line over 64 MiB"));
          buffer = "";
        }
      }
    } catch (error) {
      this.onerror?.(error as Error);
    }
  }

  async #readStderr(stderr: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stderr) {
        this.#stderrTail =
          (this.#stderrTail + decoder.decode(chunk, { stream: true }))
            .slice(-_STDERR_TAIL_CHARS);
      }
    } catch {
      // closed with the process
    }
  }
}

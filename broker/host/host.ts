/**
 * The one seam between the broker and the operating system. Everything else
 * in the broker uses Web APIs, so a Node.js build swaps this file's Deno
 * implementation for a Node one and nothing else.
 *
 * @module
 */

/** How a finished process ended. */
export interface ProcessStatus {
  /** Exit code (128 + signal number when a signal ended it). */
  code: number;
  /** The signal that ended the process, such as `"SIGKILL"`, or `null`. */
  signal: string | null;
}

/** Memory use of a process, as the operating system counts it. */
export interface MemoryUsage {
  /** Resident memory now, in bytes. */
  residentBytes: number;
  /** The highest resident memory so far (the high-water mark), in bytes. */
  peakResidentBytes: number;
}

/** What {@linkcode Host.spawn} needs. */
export interface SpawnOptions {
  /** Path of the executable. */
  command: string;
  /** Arguments, without the executable. */
  args: string[];
  /** Working directory; the broker's own when absent. */
  cwd?: string;
  /** The complete environment: nothing else from the host is passed on. */
  env: Record<string, string>;
  /**
   * Start the process in a new process group and make `kill` signal the whole
   * group, so that whatever it starts (as `npx` starts `node`) dies with it.
   * @default {false}
   */
  processGroup?: boolean;
}

/** A running child process with piped standard streams. */
export interface HostProcess {
  /** Operating-system process id. */
  readonly pid: number;
  /** The child's standard input. */
  readonly stdin: WritableStream<Uint8Array>;
  /** The child's standard output. */
  readonly stdout: ReadableStream<Uint8Array>;
  /**
   * Whether each chunk `stdout` yields is a view of an `ArrayBuffer` of its
   * own that nothing else uses, so that the reader may detach it (freeing
   * its memory at once) when it has copied the bytes out.
   * @default {false}
   */
  readonly stdoutChunksOwned?: boolean;
  /** The child's standard error. */
  readonly stderr: ReadableStream<Uint8Array>;
  /** Settles when the process has exited. */
  readonly status: Promise<ProcessStatus>;
  /**
   * Sends a signal (to the whole group when started with `processGroup`);
   * does nothing once the process (and its group) is gone.
   */
  kill(signal?: "SIGKILL" | "SIGTERM"): void;
}

/** Default of {@linkcode ServeOptions.headersTimeoutMs}. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** Default of {@linkcode ServeOptions.requestTimeoutMs}. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Default of {@linkcode ServeOptions.maxConnections}. */
export const DEFAULT_MAX_CONNECTIONS = 256;

/** What {@linkcode Host.serve} needs. */
export interface ServeOptions {
  /** Interface to bind, such as `"127.0.0.1"`. */
  hostname: string;
  /** Port to bind; `0` picks a free one. */
  port: number;
  /** Called once the socket listens, with the bound address. */
  onListen?: (address: { hostname: string; port: number }) => void;
  /**
   * How long a client has to send a request's headers, in milliseconds,
   * counted from the connection (or, kept alive, from the request's first
   * byte); past it the client gets a 408 and the connection is closed.
   * @default {10000}
   */
  headersTimeoutMs?: number;
  /**
   * How long a client has to send a whole request, headers and body, in
   * milliseconds, so a body that stalls cannot hold the connection; past it
   * the client gets a 408 and the connection is closed. Not less than
   * `headersTimeoutMs`. The time to answer does not count.
   * @default {30000}
   */
  requestTimeoutMs?: number;
  /**
   * Connections open at once; one accepted past it is closed at once. A
   * kept-alive connection with no request closes after 5 s idle.
   * @default {256}
   */
  maxConnections?: number;
  /**
   * Told of every connection the server answers or closes itself, without
   * the handler: so a log can show what the handler never saw.
   * @default {undefined}
   */
  onClientError?: (error: ClientError) => void;
}

/** A connection the server closed without asking the handler. */
export interface ClientError {
  /**
   * `"timeout"`: headers or body did not arrive in time (answered 408);
   * `"bad_request"`: not a request the server could parse (400, or 431 for
   * headers over 16 KiB); `"too_many_connections"`: past `maxConnections`
   * (closed without an answer).
   */
  reason: "timeout" | "bad_request" | "too_many_connections";
  /** The status sent before closing, if any. */
  status: 400 | 408 | 431 | undefined;
}

/** A running HTTP server. */
export interface HostServer {
  /** The bound address. */
  readonly address: { hostname: string; port: number };
  /** Settles when the server has stopped. */
  readonly finished: Promise<void>;
  /** Stops accepting connections and waits for open requests to finish. */
  shutdown(): Promise<void>;
}

/** Operating-system services the broker uses. */
export interface Host {
  /** Path of the Deno binary to run the runtime with when none is configured. */
  defaultDenoPath(): string;
  /** Starts a process with piped stdin, stdout and stderr. */
  spawn(options: SpawnOptions): HostProcess;
  /** Memory use of a process, or `undefined` once it is gone. */
  memoryUsage(pid: number): Promise<MemoryUsage | undefined>;
  /** Creates an empty private temporary directory and returns its path. */
  makeTempDir(prefix: string): Promise<string>;
  /** Removes a directory and everything in it; a missing one is fine. */
  removeDir(path: string): Promise<void>;
  /**
   * Serves HTTP with a Web-standard handler. The request's `signal` aborts
   * when the client disconnects. Slow clients are bounded by the options'
   * deadlines and connection cap.
   */
  serve(
    handler: (request: Request) => Response | Promise<Response>,
    options: ServeOptions,
  ): Promise<HostServer>;
}

/** A thread of the broker's own, started by `startThread` (`thread.ts`). */
export interface HostThread {
  /** Sends a message (structured clone) to the thread. */
  postMessage(message: unknown): void;
  /** Receives the thread's messages. */
  onMessage(listener: (message: unknown) => void): void;
  /** Receives an uncaught error that ended the thread. */
  onError(listener: (error: Error) => void): void;
  /** Stops the thread at once, even in the middle of synchronous work. */
  terminate(): void;
}

/** The parent, as a thread sees it. */
export interface ParentPort {
  /** Sends a message (structured clone) to the parent. */
  postMessage(message: unknown): void;
  /** Receives the parent's messages. */
  onMessage(listener: (message: unknown) => void): void;
}

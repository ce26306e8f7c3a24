/**
 * Server-sent events: the writer behind `POST /v1/execute` with
 * `Accept: text/event-stream`.
 *
 * @module
 */

/** Options of {@linkcode EventStream}. */
export interface EventStreamOptions {
  /**
   * Milliseconds between two keep-alive comments while nothing is sent, so
   * a proxy does not close a quiet stream; 0 for none.
   * @default {15000}
   */
  keepAliveMs?: number;
}

/** Whether an `Accept` header asks for `text/event-stream`. */
export function acceptsEventStream(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept.split(",").some((part) => {
    const [type, ...params] = part.split(";").map((s) => s.trim());
    if (type?.toLowerCase() !== "text/event-stream") return false;
    // `q=0` means "not acceptable".
    const q = params.find((p) => /^q\s*=/i.test(p));
    return q === undefined || Number(q.split("=")[1]) > 0;
  });
}

/**
 * One `text/event-stream` response body. Events are queued in the stream
 * until the client reads them; whoever writes bounds how much it writes (a
 * run's logs are bounded by `maxLogBytes`, its result by `maxResultBytes`).
 * When the client goes away, {@linkcode EventStream.signal} aborts and
 * further events are dropped.
 */
export class EventStream {
  /** The body to answer with. */
  readonly readable: ReadableStream<Uint8Array>;
  readonly #gone = new AbortController();
  readonly #encoder = new TextEncoder();
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  #keepAlive: ReturnType<typeof setInterval> | undefined;

  /** @param options How often to send a keep-alive comment. */
  constructor(options: EventStreamOptions = {}) {
    this.readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      cancel: () => {
        this.#end();
        this.#gone.abort();
      },
    });
    const keepAliveMs = options.keepAliveMs ?? 15_000;
    if (keepAliveMs > 0) {
      this.#keepAlive = setInterval(
        () => this.#write(": keep-alive\n\n"),
        keepAliveMs,
      );
    }
  }

  /** Aborts when the client stops reading (cancels the body). */
  get signal(): AbortSignal {
    return this.#gone.signal;
  }

  /** Whether the stream was closed or cancelled. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues one event.
   *
   * @param event Its name (`log`, `result`); no line breaks.
   * @param data Its data; each line becomes a `data:` line.
   * @throws {TypeError} When `event` holds a line break.
   */
  send(event: string, data: string): void {
    if (/[\r\n]/.test(event)) {
      throw new TypeError(
        `An event name must not hold a line break, got ${
          JSON.stringify(event)
        }`,
      );
    }
    const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`);
    this.#write(`event: ${event}\n${lines.join("")}\n`);
  }

  /** Ends the stream once the client has read what is queued. */
  close(): void {
    if (this.#closed) return;
    this.#end();
    this.#controller.close();
  }

  /**
   * The response that carries the stream.
   *
   * @param headers Headers besides `Content-Type` and `Cache-Control`.
   * @returns A `200` response.
   */
  response(headers: Record<string, string> = {}): Response {
    return new Response(this.readable, {
      headers: {
        ...headers,
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
      },
    });
  }

  #write(text: string): void {
    if (this.#closed) return;
    this.#controller.enqueue(this.#encoder.encode(text));
  }

  #end(): void {
    this.#closed = true;
    clearInterval(this.#keepAlive);
  }
}

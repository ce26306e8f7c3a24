/**
 * The runtime's main thread: trusted code that starts the guest Worker and
 * relays between it and the broker over stdin/stdout. Guest code never runs
 * here: on the main thread, dynamic imports skip permission checks.
 *
 * `runtimeMain` is self-contained: the broker injects its source with
 * `Function.prototype.toString`, so it must not reference anything outside
 * its own body and parameters.
 *
 * @module
 */

import type {
  BrokerFrame,
  createFrameDecoder,
  encodeFrame,
  RuntimeFrame,
} from "./protocol.ts";
import type { FromWorkerMessage, ToWorkerMessage } from "./worker.ts";

/** What the runtime script passes to {@linkcode runtimeMain}. */
export interface RuntimeDeps {
  /** The guest Worker's full source. */
  workerSource: string;
  /** From `protocol.ts`. */
  encodeFrame: typeof encodeFrame;
  /** From `protocol.ts`. */
  createFrameDecoder: typeof createFrameDecoder;
  /** From `protocol.ts`. */
  protocolVersion: number;
  /** From `protocol.ts`. */
  maxHeaderBytes: number;
}

/**
 * Starts the runtime: spawns the guest Worker and relays frames until the
 * broker closes stdin or the process is killed.
 *
 * @param deps Injected protocol helpers and the Worker source.
 */
export function runtimeMain(deps: RuntimeDeps): void {
  const stdout = Deno.stdout;
  const decoder = new TextDecoder();
  let writing: Promise<void> = Promise.resolve();

  function send(header: RuntimeFrame, payload?: string): void {
    const bytes = deps.encodeFrame(header, payload);
    writing = writing.then(async () => {
      let offset = 0;
      while (offset < bytes.length) {
        offset += await stdout.write(bytes.subarray(offset));
      }
    });
  }

  // A blob: URL keeps error messages that name the module short (a data: URL
  // would put the whole prelude into every import error).
  const url = URL.createObjectURL(
    new Blob([deps.workerSource], { type: "text/javascript" }),
  );
  const worker = new Worker(url, { type: "module", name: "execbox-guest" });
  const toWorker = (message: ToWorkerMessage) => worker.postMessage(message);

  // The Worker is the guest's realm: its messages are checked before relaying.
  worker.onmessage = (event: MessageEvent<FromWorkerMessage>) => {
    const m = event.data;
    if (m === null || typeof m !== "object") return;
    switch (m.type) {
      case "booted":
        // Each process serves one run, so its first exec would run every
        // function on this path cold: send one warm-up frame down the same
        // path (decoder, handler, postMessage) while the pool fills.
        receive(deps.encodeFrame({ t: "warm" }));
        break;
      case "ready":
        send({ t: "ready", v: deps.protocolVersion, deno: Deno.version.deno });
        break;
      case "call":
        send({ t: "call", id: m.id, ns: m.ns, name: m.name }, String(m.json));
        break;
      case "log":
        send({ t: "log", level: m.level }, String(m.message));
        break;
      case "done":
        send({ t: "done" }, m.json === undefined ? "" : String(m.json));
        break;
      case "fail":
        send({ t: "fail", code: m.code }, String(m.message));
        break;
    }
  };
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    // Deno's message already starts with "Uncaught".
    send({ t: "fail", code: "runtime_error" }, String(event.message));
  };

  function handle(header: BrokerFrame, payload: Uint8Array): void {
    switch (header.t) {
      case "exec":
        toWorker({
          type: "exec",
          code: decoder.decode(payload),
          namespaces: header.namespaces,
          methods: header.methods,
          maxLogBytes: header.maxLogBytes,
        });
        break;
      case "result":
        toWorker(
          header.ok
            ? {
              type: "result",
              id: header.id,
              ok: true,
              json: decoder.decode(payload),
            }
            : {
              type: "result",
              id: header.id,
              ok: false,
              code: header.code,
              tool: header.tool,
              message: decoder.decode(payload),
            },
        );
        break;
      case "warm":
        toWorker({ type: "warm" });
        break;
      case "cancel":
        Deno.exit(0);
    }
  }

  // The broker is trusted; the bound only protects against a broken pipe.
  const frames = deps.createFrameDecoder(deps.maxHeaderBytes, 2 ** 31);
  function receive(chunk: Uint8Array): void {
    frames.push(chunk);
    for (let f = frames.next(); f !== undefined; f = frames.next()) {
      if (!("payload" in f)) Deno.exit(70);
      handle(JSON.parse(f.header), f.payload);
    }
  }
  (async () => {
    for await (const chunk of Deno.stdin.readable) receive(chunk);
    Deno.exit(0);
  })();
}

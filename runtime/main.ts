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
  createFrameSplitter,
  encodeFrame,
  encodeFrameHead,
  RuntimeFrame,
} from "./protocol.ts";
import type { createInboxWriter } from "./inbox.ts";
import type { splitArrayJson } from "./array_splitter.ts";
import type { FromWorkerMessage, ToWorkerMessage } from "./worker.ts";

/** What the runtime script passes to {@linkcode runtimeMain}. */
export interface RuntimeDeps {
  /** The guest Worker's full source. */
  workerSource: string;
  /** From `protocol.ts`. */
  encodeFrame: typeof encodeFrame;
  /** From `protocol.ts`. */
  encodeFrameHead: typeof encodeFrameHead;
  /** From `protocol.ts`. */
  createFrameSplitter: typeof createFrameSplitter;
  /** From `protocol.ts`. */
  protocolVersion: number;
  /** From `protocol.ts`. */
  maxHeaderBytes: number;
  /** From `inbox.ts`. */
  createInboxWriter: typeof createInboxWriter;
  /** From `array_splitter.ts`. */
  splitArrayJson: typeof splitArrayJson;
  /** `PIECES_FROM_BYTES` from `protocol.ts`. */
  piecesFromBytes: number;
  /** `PIECE_BYTES` from `protocol.ts`. */
  pieceBytes: number;
}

/**
 * Starts the runtime: spawns the guest Worker and relays frames until the
 * broker closes stdin or the process is killed.
 *
 * @param deps Injected protocol helpers and the Worker source.
 */
export function runtimeMain(deps: RuntimeDeps): void {
  const stdout = Deno.stdout;
  let writing: Promise<void> = Promise.resolve();
  // What the Worker may forward, cut again here: the guest realm is hostile,
  // and a frame over the broker's payload bound would end the run with
  // internal_error, which is for execbox's own faults.
  const MAX_MESSAGE_CHARS = 4096;
  let maxLogBytes = 0;
  const cut = (text: unknown, chars: number): string => {
    const s = String(text);
    return s.length > chars ? s.slice(0, chars) : s;
  };

  // Only the first done or fail counts; the broker ignores the rest anyway.
  let ended = false;
  function end(header: RuntimeFrame, payload: string): void {
    if (ended) return;
    ended = true;
    send(header, payload);
  }

  const encoder = new TextEncoder();
  async function writeAll(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      offset += await stdout.write(bytes.subarray(offset));
    }
  }
  // A large payload (a result, a tool argument) is written after its head,
  // not copied into one buffer with it.
  function send(header: RuntimeFrame, payload?: string): void {
    const body = payload === undefined || payload === ""
      ? undefined
      : encoder.encode(payload);
    if (body === undefined || body.length < 65_536) {
      const bytes = deps.encodeFrame(header, body);
      writing = writing.then(() => writeAll(bytes));
      return;
    }
    const head = deps.encodeFrameHead(header, body.length);
    writing = writing.then(async () => {
      await writeAll(head);
      await writeAll(body);
    });
  }

  // A large array result goes in pieces the broker parses as they land;
  // each is cut out only when the one before it is written, so the broker
  // parses one while the next is found.
  function sendResult(body: Uint8Array): void {
    ended = true;
    writing = writing.then(async () => {
      const pieces = deps.splitArrayJson(
        body,
        deps.piecesFromBytes,
        deps.pieceBytes,
      );
      let count = 0;
      let last: Uint8Array | undefined;
      for (const piece of pieces) {
        if (last !== undefined) await writeFrame({ t: "piece" }, last);
        last = piece;
        count++;
      }
      if (last === undefined) await writeFrame({ t: "done" }, body);
      else await writeFrame({ t: "done", pieces: count }, last);
    });
  }
  async function writeFrame(
    header: RuntimeFrame,
    body: Uint8Array,
  ): Promise<void> {
    await writeAll(deps.encodeFrameHead(header, body.length));
    await writeAll(body);
  }

  // A blob: URL keeps error messages that name the module short (a data: URL
  // would put the whole prelude into every import error).
  const url = URL.createObjectURL(
    new Blob([deps.workerSource], { type: "text/javascript" }),
  );

  // One Worker per run. In isolate mode the broker sends `next` after a run:
  // the Worker is terminated and a fresh one (a new V8 isolate, a new
  // prelude, a new inbox) is started, so nothing of a run reaches the next.
  let worker: Worker;
  let toWorker: (header: ToWorkerMessage, payload?: Uint8Array) => void;
  let inbox: ReturnType<typeof deps.createInboxWriter>;
  function startWorker(): void {
    ended = false;
    relaying = false;
    const current = new Worker(url, { type: "module", name: "execbox-guest" });
    worker = current;
    // Messages to the Worker travel through the inbox, shared memory that
    // guest code cannot reach (`inbox.ts`). Handed over first, before the
    // Worker has any guest code; nothing is posted to the Worker after it.
    const own = deps.createInboxWriter(1_048_576);
    inbox = own;
    current.postMessage(own.buffer);
    toWorker = (header, payload) => own.write(header, payload);
    // The Worker is the guest's realm: its messages are checked before
    // relaying, and once its run has ended (or it was replaced) nothing it
    // sends is relayed.
    current.onmessage = (event: MessageEvent<FromWorkerMessage>) => {
      if (current !== worker) return;
      fromWorker(event.data);
    };
    current.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      if (current !== worker) return;
      // Deno's message already starts with "Uncaught".
      end(
        { t: "fail", code: "runtime_error" },
        cut(event.message, MAX_MESSAGE_CHARS),
      );
    };
  }

  function fromWorker(m: FromWorkerMessage): void {
    if (m === null || typeof m !== "object") return;
    switch (m.type) {
      case "booted":
        // Each Worker serves one run, so its first exec would run every
        // function on this path cold: send one warm-up frame down the same
        // path (decoder, handler, inbox) while the pool fills.
        receive(deps.encodeFrame({ t: "warm" }));
        break;
      case "ready":
        send({ t: "ready", v: deps.protocolVersion, deno: Deno.version.deno });
        break;
      case "call":
        if (ended) break;
        send(
          typeof m.skill === "string"
            ? { t: "call", id: m.id, ns: m.ns, name: m.name, skill: m.skill }
            : { t: "call", id: m.id, ns: m.ns, name: m.name },
          String(m.json),
        );
        break;
      case "log":
        if (ended) break;
        send({ t: "log", level: m.level }, cut(m.message, maxLogBytes + 1));
        break;
      case "done": {
        const json = m.json === undefined ? "" : String(m.json);
        if (json.length < deps.piecesFromBytes / 3 || ended) {
          end({ t: "done" }, json);
        } else sendResult(encoder.encode(json));
        break;
      }
      case "fail":
        end({ t: "fail", code: m.code }, cut(m.message, MAX_MESSAGE_CHARS));
        break;
    }
  }
  // A guest that breaks what the Worker's own runtime code calls (its task
  // queue, Function.prototype.call) can make Deno report the Worker's failure
  // here as well. Left alone, that would end the process, and the broker
  // would have to call the guest's doing its own fault.
  function guestRealmFailed(event: Event, what: unknown): void {
    event.preventDefault();
    const message = what instanceof Error ? what.message : String(what);
    end(
      { t: "fail", code: "runtime_error" },
      cut(`Uncaught ${message}`, MAX_MESSAGE_CHARS),
    );
  }
  addEventListener("error", (event) => guestRealmFailed(event, event.error));
  addEventListener(
    "unhandledrejection",
    (event) => guestRealmFailed(event, event.reason),
  );

  // A payload is relayed to the Worker as it arrives from the pipe: the
  // inbox takes its bytes in parts, and the Worker decodes them as they come.
  let relaying = false;
  startWorker();
  function handle(header: BrokerFrame, payloadBytes: number): void {
    relaying = false;
    switch (header.t) {
      case "exec":
        maxLogBytes = header.maxLogBytes;
        inbox.begin({
          type: "exec",
          namespaces: header.namespaces,
          methods: header.methods,
          maxLogBytes: header.maxLogBytes,
          fetch: header.fetch === true,
          skills: header.skills,
        }, payloadBytes);
        relaying = true;
        break;
      case "piece":
        inbox.begin({ type: "piece", id: header.id }, payloadBytes);
        relaying = true;
        break;
      case "result":
        inbox.begin(
          header.ok
            ? "pieces" in header
              ? {
                type: "result",
                id: header.id,
                ok: true,
                pieces: header.pieces,
              }
              : header.text === true
              ? { type: "result", id: header.id, ok: true, text: true }
              : { type: "result", id: header.id, ok: true }
            : {
              type: "result",
              id: header.id,
              ok: false,
              code: header.code,
              tool: header.tool,
            },
          payloadBytes,
        );
        relaying = true;
        break;
      case "warm":
        toWorker({ type: "warm" });
        break;
      case "next":
        worker.terminate();
        startWorker();
        break;
      case "cancel":
        Deno.exit(0);
    }
  }

  // The broker is trusted; a header over the bound means a broken pipe.
  const split = deps.createFrameSplitter(deps.maxHeaderBytes, {
    header: (text, payloadBytes) => handle(JSON.parse(text), payloadBytes),
    payload: (bytes) => {
      if (relaying) inbox.append(bytes);
    },
  });
  function receive(chunk: Uint8Array): void {
    try {
      split(chunk);
    } catch {
      Deno.exit(70);
    }
  }
  // Read into 1 MiB slabs rather than through `Deno.stdin.readable`, which
  // makes a fresh 64 KiB array and a round of stream promises per read: an
  // 11 MB payload arrives in about half the time. Each read fills the slab
  // further and its bytes are handed on as a view; a slab is never written
  // twice, since the splitter and the inbox may keep the views.
  const SLAB_BYTES = 1_048_576;
  const MIN_READ_BYTES = 65_536;
  (async () => {
    let slab = new Uint8Array(SLAB_BYTES);
    let used = 0;
    for (;;) {
      if (slab.length - used < MIN_READ_BYTES) {
        slab = new Uint8Array(SLAB_BYTES);
        used = 0;
      }
      const n = await Deno.stdin.read(slab.subarray(used));
      if (n === null) break;
      const chunk = slab.subarray(used, used + n);
      used += n;
      receive(chunk);
    }
    Deno.exit(0);
  })();
}

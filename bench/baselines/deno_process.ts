/**
 * Two baselines built from plain `deno run` subprocesses, speaking the same
 * framed protocol shape as execbox but with nothing else:
 *
 * - **naive**: one `deno run` per execution, guest code evaluated on the
 *   subprocess's main thread; no pool, no Worker.
 * - **raw ceiling**: this design's floor cost: processes started ahead of time
 *   with a Worker already running, one process per run, no broker (no checks,
 *   no limits but the V8 heap flag, no memory watch, no code transform, no
 *   temporary directory, no import map).
 *
 * @module
 */

import type {
  HostTools,
  RunOutcome,
  Sandbox,
  SandboxOptions,
} from "../_sandbox.ts";
import { residentMemory, sleep } from "../_sandbox.ts";
import { createFrameReader, encodeFrame, type Frame } from "./_frames.ts";

/** The guest side: runs code and turns tool calls into frames. Self-contained. */
function guestMain(
  post: (h: Record<string, unknown>, p?: string) => void,
): (h: Record<string, unknown>, p: string) => void {
  const pending = new Map<
    number,
    { resolve(v: unknown): void; reject(e: unknown): void }
  >();
  let next = 1;
  const call = (ns: string, name: string, args: unknown) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      post({ t: "call", id, ns, name }, JSON.stringify(args ?? {}));
    });
  return async (h, p) => {
    if (h.t === "exec") {
      const scope = globalThis as Record<string, unknown>;
      for (
        const [ns, names] of Object.entries(h.ns as Record<string, string[]>)
      ) {
        const members: Record<string, (a: unknown) => Promise<unknown>> = {};
        for (const name of names) members[name] = (a) => call(ns, name, a);
        scope[ns] = members;
      }
      try {
        const fn = (0, eval)(`(async function () {${p}\n})`);
        const value = await fn();
        post({ t: "done" }, value === undefined ? "" : JSON.stringify(value));
      } catch (error) {
        post({ t: "fail" }, String(error));
      }
    } else if (h.t === "result") {
      const waiter = pending.get(h.id as number)!;
      pending.delete(h.id as number);
      if (h.ok) waiter.resolve(p === "" ? undefined : JSON.parse(p));
      else waiter.reject(new Error(p));
    }
  };
}

/** The subprocess's main thread. Self-contained but for injected helpers. */
function processMain(
  mode: BaselineMode,
  workerSource: string,
  encode: typeof encodeFrame,
  createReader: typeof createFrameReader,
  guest: typeof guestMain,
): void {
  let writing = Promise.resolve();
  const write = (h: Record<string, unknown>, p?: string) => {
    const bytes = encode(h, p);
    writing = writing.then(async () => {
      let offset = 0;
      while (offset < bytes.length) {
        offset += await Deno.stdout.write(bytes.subarray(offset));
      }
    });
  };
  if (mode === "direct") {
    // The Worker reads and writes the pipes itself; this thread only starts it.
    new Worker(
      URL.createObjectURL(
        new Blob([workerSource], { type: "text/javascript" }),
      ),
      { type: "module" },
    );
    return;
  }
  let deliver: (h: Record<string, unknown>, p: string) => void;
  if (mode === "worker") {
    const url = URL.createObjectURL(
      new Blob([workerSource], { type: "text/javascript" }),
    );
    const worker = new Worker(url, { type: "module" });
    worker.onmessage = (e) => write(e.data.h, e.data.p);
    deliver = (h, p) => worker.postMessage({ h, p });
  } else {
    deliver = guest(write);
    write({ t: "ready" });
  }
  const reader = createReader();
  (async () => {
    for await (const chunk of Deno.stdin.readable) {
      for (const f of reader.push(chunk)) deliver(f.h, f.p);
    }
  })();
}

/**
 * How guest code runs in a baseline subprocess: on the main thread (naive), in
 * a Worker that the main thread relays frames to (raw ceiling, execbox's
 * shape), or in a Worker that reads and writes the pipes itself.
 */
export type BaselineMode = "main" | "worker" | "direct";

// Like execbox's runtime, the Worker runs one exec before it reports ready, so
// the first real run does not take the cold path (a pool hides the cost).
function _workerSource(mode: BaselineMode): string {
  const io = mode === "direct"
    ? `const encode = ${encodeFrame};
const createReader = ${createFrameReader};
let writing = Promise.resolve();
const post = (h, p) => {
  const bytes = encode(h, p);
  writing = writing.then(async () => {
    let offset = 0;
    while (offset < bytes.length) offset += await Deno.stdout.write(bytes.subarray(offset));
  });
};
const reader = createReader();
(async () => {
  for await (const chunk of Deno.stdin.readable) {
    for (const f of reader.push(chunk)) handle(f.h, f.p);
  }
})();`
    : `const post = (h, p) => postMessage({ h, p });
onmessage = (e) => handle(e.data.h, e.data.p);`;
  return `let warming = true;
const handle = (${guestMain})((h, p) => {
  if (!warming) return post(h, p);
  warming = false;
  post({ t: "ready" });
});
${io}
handle({ t: "exec", ns: {} }, 'return { a: [1, "b", null] };');`;
}

function _dataUrl(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:text/javascript;base64,${btoa(binary)}`;
}

const _scripts = new Map<BaselineMode, string>();

/** The `deno run` arguments of a baseline subprocess. */
export function baselineArgs(mode: BaselineMode, memoryMb: number): string[] {
  let script = _scripts.get(mode);
  if (script === undefined) {
    script = _dataUrl(
      `(${processMain})(${JSON.stringify(mode)}, ${
        JSON.stringify(_workerSource(mode))
      }, ` +
        `${encodeFrame}, ${createFrameReader}, ${guestMain});`,
    );
    _scripts.set(mode, script);
  }
  return [
    "run",
    "--no-prompt",
    "--no-remote",
    "--no-npm",
    "--no-config",
    "--no-lock",
    "--quiet",
    `--v8-flags=--max-old-space-size=${memoryMb}`,
    script,
  ];
}

/** One baseline subprocess that serves one run. */
class _Process {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly ready: Promise<void>;
  /** The high-water mark read when the run ended. */
  peakBytes: number | undefined;
  #onFrame: (f: Frame) => void = () => {};
  #exited = false;

  constructor(
    mode: BaselineMode,
    memoryMb: number,
    env: Record<string, string>,
  ) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: baselineArgs(mode, memoryMb),
      env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#child.status.then(() => (this.#exited = true));
    this.#writer = this.#child.stdin.getWriter();
    this.#writer.closed.catch(() => {});
    let started: () => void;
    this.ready = new Promise((resolve) => (started = resolve));
    this.#onFrame = (f) => {
      if (f.h.t === "ready") started();
    };
    const stdout = this.#child.stdout;
    (async () => {
      const reader = createFrameReader();
      try {
        for await (const chunk of stdout) {
          for (const f of reader.push(chunk)) this.#onFrame(f);
        }
      } catch {
        // killed
      }
    })();
  }

  run(
    code: string,
    tools: HostTools,
    measureMemory: boolean,
  ): Promise<RunOutcome> {
    return new Promise((resolve) => {
      this.#onFrame = async ({ h, p }) => {
        if (h.t === "call") {
          let reply: Uint8Array;
          try {
            const value = await tools[h.ns as string]![h.name as string]!(
              JSON.parse(p),
            );
            reply = encodeFrame(
              { t: "result", id: h.id, ok: true },
              value === undefined ? "" : JSON.stringify(value),
            );
          } catch (error) {
            reply = encodeFrame(
              { t: "result", id: h.id, ok: false },
              String(error),
            );
          }
          await this.#writer.write(reply).catch(() => {});
          return;
        }
        if (measureMemory) {
          this.peakBytes = residentMemory(this.#child.pid)?.hwm;
        }
        if (h.t === "done") {
          resolve({ ok: true, result: p === "" ? undefined : JSON.parse(p) });
        } else resolve({ ok: false, error: p });
      };
      const ns: Record<string, string[]> = {};
      for (const [name, members] of Object.entries(tools)) {
        ns[name] = Object.keys(members);
      }
      this.#writer.write(encodeFrame({ t: "exec", ns }, code)).catch(() => {});
    });
  }

  async kill(): Promise<void> {
    if (!this.#exited) {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // gone
      }
    }
    await this.#child.status;
  }
}

/**
 * A pool of baseline processes, refilled after each run like execbox's.
 * `poolSize` 0 (or `warm: false`) starts every run's process on demand.
 */
class _DenoSandbox implements Sandbox {
  readonly #options: SandboxOptions;
  readonly #mode: BaselineMode;
  readonly #size: number;
  readonly #idle: _Process[] = [];
  readonly #pending = new Set<Promise<unknown>>();
  readonly #env: Record<string, string>;
  readonly #dir: string;
  #starting = 0;
  #closed = false;
  #lastPeak: number | undefined;

  constructor(mode: BaselineMode, options: SandboxOptions) {
    this.#options = options;
    this.#mode = mode;
    this.#size = options.warm ? options.poolSize : 0;
    this.#dir = Deno.makeTempDirSync({ prefix: "execbox-bench-" });
    this.#env = {
      DENO_DIR: `${this.#dir}/deno`,
      DENO_NO_UPDATE_CHECK: "1",
      NO_COLOR: "1",
    };
    this.#refill();
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#pending.add(p);
    p.finally(() => this.#pending.delete(p)).catch(() => {});
    return p;
  }

  async #start(): Promise<_Process> {
    const process = new _Process(
      this.#mode,
      this.#options.memoryMb,
      this.#env,
    );
    await this.#track(process.ready);
    return process;
  }

  #refill(): void {
    while (!this.#closed && this.#idle.length + this.#starting < this.#size) {
      this.#starting++;
      this.#track(
        this.#start().then((p) => {
          this.#starting--;
          if (this.#closed) return p.kill();
          this.#idle.push(p);
        }),
      );
    }
  }

  lastPeakBytes(): Promise<number | undefined> {
    return Promise.resolve(this.#lastPeak);
  }

  async settle(): Promise<void> {
    while (this.#idle.length < this.#size || this.#starting > 0) await sleep(2);
  }

  async execute(code: string): Promise<RunOutcome> {
    let process = this.#idle.shift();
    if (process === undefined) {
      this.#refill();
      process = await this.#start();
    } else if (this.#idle.length === 0) this.#refill();
    const outcome = await process.run(
      code,
      this.#options.tools,
      this.#options.measureMemory ?? false,
    );
    this.#lastPeak = process.peakBytes;
    this.#track(
      sleep(0).then(() => {
        this.#refill();
        return process.kill();
      }),
    );
    return outcome;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#idle.splice(0)) this.#track(p.kill());
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}

/** The naive sandbox: one plain `deno run` per execution, no pool, no Worker. */
export function createNaiveSandbox(options: SandboxOptions): Sandbox {
  return new _DenoSandbox("main", { ...options, warm: false });
}

/** The raw ceiling: pooled `deno run` processes with a Worker, and no broker. */
export function createRawSandbox(options: SandboxOptions): Sandbox {
  return new _DenoSandbox("worker", options);
}

/**
 * The raw ceiling with the Worker reading and writing the pipes itself (no
 * relay through the main thread): what that change to the design could gain.
 */
export function createRawDirectSandbox(options: SandboxOptions): Sandbox {
  return new _DenoSandbox("direct", options);
}

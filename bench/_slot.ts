/**
 * What one ready Worker costs in isolate mode (issue 15, part 2): the memory
 * of one real runtime process with its ready Worker against the same process
 * with no Worker at all.
 *
 * The process is the broker's own runtime program, started by the broker's
 * `RuntimeProcess` with the broker's arguments and environment, with one
 * bench-only line in front: `new Worker()` returns a stand-in that makes the
 * real Worker only when the bench sends SIGUSR1. So the bench can read the
 * process at rest in two states, several times over:
 *
 * - at start, before its first Worker exists;
 * - after a run, when `next` has ended the run's Worker and the fresh one is
 *   not made yet (the state between two runs, with the garbage the runs left);
 *
 * and, after SIGUSR1 and `ready`, the same process with its ready Worker.
 * Nothing of this is in the library: the gate is written only into the bench's
 * copy of the program.
 *
 * @module
 */

import { denoHost } from "../broker/host/deno.ts";
import type { Host } from "../broker/host/host.ts";
import { RuntimeFiles } from "../broker/subprocess/runtime_files.ts";
import { RuntimeProcess } from "../broker/subprocess/runtime_process.ts";
import { runtimeSource } from "../broker/subprocess/runtime_script.ts";
import { sleep } from "./_sandbox.ts";
import { median } from "./_stats.ts";

/** One reading of `/proc/PID/smaps_rollup` and `/proc/PID/status`, in MiB. */
export interface SlotReading {
  rss: number;
  pss: number;
  /** Private_Clean + Private_Dirty: what ending the process gives back. */
  uss: number;
  threads: number;
}

/** Medians over the cycles of one process. */
export interface SlotSample {
  /** At start, before the first Worker. */
  fresh: SlotReading;
  /** At start, with the first ready Worker. */
  freshReady: SlotReading;
  /** Between runs: the run's Worker ended, the next not made yet. */
  between: SlotReading;
  /** After a run, with the next ready Worker (a ready slot). */
  ready: SlotReading;
  /** Per cycle, ready minus between, medians. */
  worker: SlotReading;
}

// Bench-only: holds back every `new Worker()` until SIGUSR1. Deno lets a
// zero-permission process listen to signals.
const _GATE = `(() => {
  const RealWorker = globalThis.Worker;
  const waiting = [];
  let credit = 0;
  Deno.addSignalListener("SIGUSR1", () => {
    const create = waiting.shift();
    if (create) create(); else credit++;
  });
  globalThis.Worker = function (url, options) {
    let real;
    let ended = false;
    const queue = [];
    const stand = {
      onmessage: null,
      onerror: null,
      postMessage(message) {
        if (real) real.postMessage(message); else queue.push(message);
      },
      terminate() {
        ended = true;
        real?.terminate();
      },
    };
    const create = () => {
      if (ended) return;
      real = new RealWorker(url, options);
      real.onmessage = (event) => stand.onmessage?.(event);
      real.onerror = (event) => stand.onerror?.(event);
      for (const message of queue) real.postMessage(message);
    };
    if (credit > 0) {
      credit--;
      create();
    } else waiting.push(create);
    return stand;
  };
})();
`;

// What the broker's preparer makes of `1 + 1`.
const _ONE_PLUS_ONE = '(async function () {"use strict";return 1 + 1;\n})';

/**
 * Reads a process's memory.
 *
 * @param pid The process.
 * @returns Its memory, or `undefined` when it is gone.
 */
export function readSlot(pid: number): SlotReading | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(text)?.[1] ?? NaN);
    return {
      rss: kb("Rss") / 1024,
      pss: kb("Pss") / 1024,
      uss: (kb("Private_Clean") + kb("Private_Dirty")) / 1024,
      threads: Number(/^Threads:\s+(\d+)$/m.exec(status)?.[1] ?? NaN),
    };
  } catch {
    return undefined;
  }
}

// Waits until the process is at rest: two readings 150 ms apart within
// 64 KiB of each other (at most 3 s).
async function _settled(pid: number): Promise<SlotReading> {
  let last = readSlot(pid);
  for (let i = 0; i < 20; i++) {
    await sleep(150);
    const now = readSlot(pid);
    if (now === undefined) throw new Error(`Runtime process ${pid} is gone`);
    if (last !== undefined && Math.abs(now.rss - last.rss) < 1 / 16) {
      return now;
    }
    last = now;
  }
  return last!;
}

function _median(readings: SlotReading[]): SlotReading {
  const pick = (key: keyof SlotReading) => median(readings.map((r) => r[key]));
  return {
    rss: pick("rss"),
    pss: pick("pss"),
    uss: pick("uss"),
    threads: pick("threads"),
  };
}

/** What {@linkcode measureSlot} may change, to compare candidate settings. */
export interface SlotOptions {
  /** Runs (and so `next` cycles) in the one process. */
  cycles: number;
  /** The heap cap the process starts with (the broker's default: 64). */
  memoryMb?: number;
  /** Replaces the `--v8-flags=` argument, for trying flags. */
  v8Flags?: string;
  /** Extra environment for the process, for trying allocator settings. */
  env?: Record<string, string>;
}

/**
 * Starts one gated runtime process and reads it with and without its Worker.
 *
 * @param options How many cycles, and what to try.
 * @returns The medians of the cycles.
 */
export async function measureSlot(options: SlotOptions): Promise<SlotSample> {
  const files = await RuntimeFiles.create(denoHost);
  const program = `${files.dir}/slot.js`;
  await Deno.writeTextFile(program, _GATE + runtimeSource());
  const host: Host = {
    ...denoHost,
    spawn: (spawn) =>
      denoHost.spawn({
        ...spawn,
        args: [
          ...spawn.args.slice(0, -1).map((arg) =>
            options.v8Flags !== undefined && arg.startsWith("--v8-flags=")
              ? `--v8-flags=${options.v8Flags}`
              : arg
          ),
          program,
        ],
        env: { ...spawn.env, ...options.env },
      }),
  };
  let pid = 0;
  const spawned = new Promise<number>((resolve) => {
    const spawn = host.spawn;
    host.spawn = (o) => {
      const proc = spawn(o);
      resolve(proc.pid);
      return proc;
    };
  });
  const starting = RuntimeProcess.start({
    host,
    files,
    denoPath: Deno.execPath(),
    memoryMb: options.memoryMb ?? 64,
    startTimeoutMs: 60_000,
  });
  pid = await spawned;
  let process: RuntimeProcess | undefined;
  try {
    const fresh = await _settled(pid);
    Deno.kill(pid, "SIGUSR1");
    process = await starting;
    const freshReady = await _settled(pid);
    const between: SlotReading[] = [];
    const ready: SlotReading[] = [];
    const worker: SlotReading[] = [];
    for (let i = 0; i < options.cycles; i++) {
      await _run(process);
      const next = process.next(60_000);
      const without = await _settled(pid);
      Deno.kill(pid, "SIGUSR1");
      await next;
      const withWorker = await _settled(pid);
      between.push(without);
      ready.push(withWorker);
      worker.push({
        rss: withWorker.rss - without.rss,
        pss: withWorker.pss - without.pss,
        uss: withWorker.uss - without.uss,
        threads: withWorker.threads - without.threads,
      });
    }
    return {
      fresh,
      freshReady,
      between: _median(between),
      ready: _median(ready),
      worker: _median(worker),
    };
  } finally {
    process ??= await starting.catch(() => undefined);
    await process?.dispose();
    await files.remove();
  }
}

// One `1 + 1` run through the real protocol, as the broker sends it.
function _run(process: RuntimeProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    process.listen((event) => {
      if (event.kind !== "frame") return reject(new Error("Runtime exited"));
      if (event.frame.t === "done") resolve();
      else if (event.frame.t === "fail") {
        reject(new Error(`Run failed: ${event.frame.code}`));
      }
    });
    process.send(
      { t: "exec", namespaces: {}, methods: {}, maxLogBytes: 1024, skills: [] },
      _ONE_PLUS_ONE,
    );
  });
}

if (import.meta.main) {
  const sample = await measureSlot({
    cycles: Number(Deno.args[0] ?? 5),
    ...(Deno.args[1] === undefined ? {} : { v8Flags: Deno.args[1] }),
  });
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(sample)));
}

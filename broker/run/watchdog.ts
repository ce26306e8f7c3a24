/**
 * The broker's side of the watchdog thread (`watchdog_thread.ts`): one thread
 * per broker, started on the first run, that enforces deadlines and resident
 * memory even while the broker's main thread is busy.
 *
 * @module
 */

import { ExecboxError } from "../errors.ts";
import { type HostThread, startThread } from "../host/thread.ts";
import {
  CELL_LENGTH,
  CELL_PEAK_KIB,
  CELL_RESIDENT_KIB,
  CELL_STOPPED,
  CELL_VERDICT,
  CELL_WAITING,
  CELL_WAITS_BEGUN,
  type FromWatchdog,
  type ToWatchdog,
  VERDICT_MEMORY,
  VERDICT_TIMEOUT,
} from "./watchdog_protocol.ts";

/** What the watchdog decided about a run. */
export type WatchdogVerdict = "timeout" | "memory_limit";

/** What {@linkcode Watchdog.watch} needs. */
export interface WatchOptions {
  /** Milliseconds from now until the process is killed for `timeout`. */
  timeoutMs: number;
  /** Resident bytes above which it is killed for `memory_limit`. */
  rssLimitBytes: number;
  /**
   * Report as the peak the highest resident memory sampled while watching,
   * not the process's lifetime high-water mark (a process that serves many
   * runs).
   * @default {false}
   */
  peakFromSamples?: boolean;
  /**
   * The longest the wall clock stays paused after the latest call began to
   * wait for an approver (see {@linkcode ProcessWatch.pause}), in
   * milliseconds: a bound kept by the watchdog even if the main thread
   * never ends the wait.
   * @default {0 (never paused)}
   */
  maxPauseMs?: number;
  /** Called once, on the main thread, after the watchdog killed the process. */
  onVerdict: (verdict: WatchdogVerdict) => void;
  /**
   * Called if the watchdog thread dies before a verdict: the run must then
   * keep its own deadline (on the main thread, which is all that is left).
   */
  onLost: () => void;
}

/** One watched process. */
export interface ProcessWatch {
  /**
   * The watchdog's verdict, read synchronously: set before the kill, so a
   * process found dead was killed for this reason when it is set.
   */
  verdict(): WatchdogVerdict | undefined;
  /** The highest resident memory the watchdog saw, in bytes. */
  peakBytes(): number;
  /** The resident memory that broke the cap, in bytes (0 when it did not). */
  residentBytes(): number;
  /**
   * Marks one call as waiting for an approver: until the returned function
   * is called, the wall clock toward `timeoutMs` pauses (for at most
   * `maxPauseMs`) and the subprocess's CPU time counts instead, so guest code
   * cannot compute for free while a person decides.
   *
   * @returns Ends this wait; calling it again does nothing.
   */
  pause(): () => void;
  /** Stops watching; the verdict stays readable. */
  stop(): void;
}

/** Enforces deadlines and memory caps from its own thread. */
export class Watchdog {
  #thread: HostThread | undefined;
  #ready: Promise<void> | undefined;
  #nextId = 1;
  readonly #watches = new Map<
    number,
    { decided: () => void; lost: () => void }
  >();

  /**
   * Starts the thread if needed and waits until it can enforce.
   *
   * @throws {ExecboxError} `runtime_start` when the thread cannot start or
   * lacks a permission it needs (unrestricted `--allow-run`, read access to
   * `/proc` and to execbox's own modules).
   */
  ready(): Promise<void> {
    this.#thread ??= this.#start();
    return this.#ready!;
  }

  /**
   * Starts watching a process.
   *
   * @param pid The process the watchdog kills (SIGKILL) when a limit is hit.
   * @param options Its deadline, memory cap and verdict listener.
   * @returns The watch.
   */
  watch(pid: number, options: WatchOptions): ProcessWatch {
    const id = this.#nextId++;
    const cell = new Int32Array(
      new SharedArrayBuffer(CELL_LENGTH * Int32Array.BYTES_PER_ELEMENT),
    );
    const verdict = (): WatchdogVerdict | undefined => {
      switch (Atomics.load(cell, CELL_VERDICT)) {
        case VERDICT_TIMEOUT:
          return "timeout";
        case VERDICT_MEMORY:
          return "memory_limit";
        default:
          return undefined;
      }
    };
    this.#watches.set(id, {
      decided: () => {
        this.#watches.delete(id);
        const decided = verdict();
        if (decided !== undefined) options.onVerdict(decided);
      },
      lost: options.onLost,
    });
    this.#send({
      t: "watch",
      id,
      pid,
      timeoutMs: options.timeoutMs,
      rssLimit: options.rssLimitBytes,
      maxPauseMs: options.maxPauseMs ?? 0,
      peakFromSamples: options.peakFromSamples === true,
      cell: cell.buffer as SharedArrayBuffer,
    });
    return {
      verdict,
      peakBytes: () => Atomics.load(cell, CELL_PEAK_KIB) * 1024,
      residentBytes: () => Atomics.load(cell, CELL_RESIDENT_KIB) * 1024,
      pause: () => {
        Atomics.add(cell, CELL_WAITING, 1);
        Atomics.add(cell, CELL_WAITS_BEGUN, 1);
        let ended = false;
        return () => {
          if (ended) return;
          ended = true;
          Atomics.sub(cell, CELL_WAITING, 1);
        };
      },
      stop: () => {
        // Read by the watchdog before its next check of this run.
        if (this.#watches.delete(id)) Atomics.store(cell, CELL_STOPPED, 1);
      },
    };
  }

  /** Stops the thread; watches still open are abandoned. */
  close(): void {
    this.#thread?.terminate();
    this.#thread = undefined;
    this.#ready = undefined;
    this.#watches.clear();
  }

  #send(message: ToWatchdog): void {
    this.#thread ??= this.#start();
    this.#thread.postMessage(message);
  }

  #start(): HostThread {
    const thread = startThread(
      new URL("./watchdog_thread.ts", import.meta.url),
    );
    let settle!: { resolve: () => void; reject: (error: Error) => void };
    this.#ready = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Awaited by each run; a rejection nobody awaited yet is not unhandled.
    this.#ready.catch(() => {});
    const unusable = (reason: string) => {
      // The next run tries a new thread (and fails the same way if the
      // permissions did not change).
      if (this.#thread === thread) {
        this.#thread = undefined;
        thread.terminate();
        const orphans = [...this.#watches.values()];
        this.#watches.clear();
        for (const watch of orphans) watch.lost();
      }
      settle.reject(
        new ExecboxError(
          "runtime_start",
          `The watchdog thread cannot enforce limits: ${reason}`,
        ),
      );
    };
    thread.onMessage((data: unknown) => {
      const message = data as FromWatchdog;
      switch (message.t) {
        case "ready":
          return settle.resolve();
        case "unusable":
          return unusable(message.message);
        case "verdict":
          return this.#watches.get(message.id)?.decided();
      }
    });
    // A thread that died takes its watches with it: their runs keep their
    // deadlines themselves, and the next run starts a new thread.
    thread.onError((error: Error) => unusable(error.message));
    return thread;
  }
}

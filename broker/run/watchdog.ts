/**
 * The broker's side of the watchdog thread (`watchdog_thread.ts`): one thread
 * per broker that enforces deadlines and resident memory even while the
 * broker's main thread is busy. Runs are handed over through shared memory
 * (`watchdog_protocol.ts`), never as messages, which could wait for this
 * thread's event loop.
 *
 * @module
 */

import { ExecboxError } from "../errors.ts";
import { type HostThread, startThread } from "../host/thread.ts";
import {
  F_RSS_LIMIT,
  F_TIMEOUT_MS,
  FLOAT_FIELDS,
  type FromWatchdog,
  I_HIGH_WATER,
  I_PEAK_KIB,
  I_PID,
  I_RESIDENT_KIB,
  I_SEQ,
  I_STATE,
  I_VERDICT,
  INT_FIELDS,
  SLOT_FREE,
  SLOT_NEW,
  SLOT_STOP,
  type ToWatchdog,
  VERDICT_MEMORY,
  VERDICT_TIMEOUT,
  WATCH_SLOTS,
} from "./watchdog_protocol.ts";

/** What the watchdog decided about a run. */
export type WatchdogVerdict = "timeout" | "memory_limit";

/** What {@linkcode Watchdog.watch} needs. */
export interface WatchOptions {
  /** Milliseconds from now until the process is killed for `timeout`. */
  timeoutMs: number;
  /** Resident bytes above which it is killed for `memory_limit`. */
  rssLimitBytes: number;
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
  /** Stops watching; what was read stays readable. */
  stop(): void;
}

interface _Active {
  seq: number;
  decided: () => void;
  lost: () => void;
}

/** Enforces deadlines and memory caps from its own thread. */
export class Watchdog {
  #thread: HostThread | undefined;
  #ready: Promise<void> | undefined;
  readonly #ints = new Int32Array(
    new SharedArrayBuffer((WATCH_SLOTS * INT_FIELDS + 1) * 4),
  );
  readonly #floats = new Float64Array(
    new SharedArrayBuffer(WATCH_SLOTS * FLOAT_FIELDS * 8),
  );
  /** Slots this thread handed out and has not stopped, by slot. */
  readonly #active = new Map<number, _Active>();
  #seq = 0;

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
   * Starts watching a process. Call after {@linkcode Watchdog.ready}.
   *
   * @param pid The process the watchdog kills (SIGKILL) when a limit is hit.
   * @param options Its deadline, memory cap and listeners.
   * @returns The watch.
   * @throws {ExecboxError} `limit_exceeded` when every slot is in use.
   */
  watch(pid: number, options: WatchOptions): ProcessWatch {
    this.#thread ??= this.#start();
    const slot = this.#freeSlot();
    const seq = ++this.#seq;
    const int = (field: number) =>
      Atomics.load(this.#ints, slot * INT_FIELDS + field);
    const setInt = (field: number, value: number) =>
      Atomics.store(this.#ints, slot * INT_FIELDS + field, value);
    setInt(I_PID, pid);
    setInt(I_SEQ, seq);
    setInt(I_VERDICT, 0);
    setInt(I_PEAK_KIB, 0);
    setInt(I_RESIDENT_KIB, 0);
    this.#floats[slot * FLOAT_FIELDS + F_TIMEOUT_MS] = options.timeoutMs;
    this.#floats[slot * FLOAT_FIELDS + F_RSS_LIMIT] = options.rssLimitBytes;
    // Last: the watchdog reads the fields once it sees the slot is new.
    setInt(I_STATE, SLOT_NEW);
    if (slot >= Atomics.load(this.#ints, I_HIGH_WATER)) {
      Atomics.store(this.#ints, I_HIGH_WATER, slot + 1);
    }

    let stopped:
      | { verdict: number; peak: number; resident: number }
      | undefined;
    const read = () =>
      stopped ?? {
        verdict: int(I_VERDICT),
        peak: int(I_PEAK_KIB),
        resident: int(I_RESIDENT_KIB),
      };
    const verdict = (): WatchdogVerdict | undefined => {
      switch (read().verdict) {
        case VERDICT_TIMEOUT:
          return "timeout";
        case VERDICT_MEMORY:
          return "memory_limit";
        default:
          return undefined;
      }
    };
    this.#active.set(slot, {
      seq,
      decided: () => {
        const decided = verdict();
        if (decided !== undefined) options.onVerdict(decided);
      },
      lost: options.onLost,
    });
    return {
      verdict,
      peakBytes: () => read().peak * 1024,
      residentBytes: () => read().resident * 1024,
      stop: () => {
        if (this.#active.get(slot)?.seq !== seq) return;
        stopped = read();
        this.#active.delete(slot);
        setInt(I_STATE, SLOT_STOP);
      },
    };
  }

  /** Stops the thread; watches still open are abandoned. */
  close(): void {
    this.#thread?.terminate();
    this.#thread = undefined;
    this.#ready = undefined;
    this.#active.clear();
    this.#ints.fill(0);
  }

  #freeSlot(): number {
    // A slot is free once the watchdog let go of it, and not handed out here.
    for (let slot = 0; slot < WATCH_SLOTS; slot++) {
      if (
        !this.#active.has(slot) &&
        Atomics.load(this.#ints, slot * INT_FIELDS + I_STATE) === SLOT_FREE
      ) {
        return slot;
      }
    }
    throw new ExecboxError(
      "limit_exceeded",
      `More than ${WATCH_SLOTS} runs are being watched at once`,
    );
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
        const orphans = [...this.#active.values()];
        this.#active.clear();
        // A new thread starts from an empty table.
        this.#ints.fill(0);
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
        case "verdict": {
          const active = this.#active.get(message.slot);
          if (active?.seq === message.seq) active.decided();
          return;
        }
      }
    });
    // A thread that died takes its watches with it: their runs keep their
    // deadlines themselves, and the next run starts a new thread.
    thread.onError((error: Error) => unusable(error.message));
    thread.postMessage(
      {
        t: "table",
        table: {
          ints: this.#ints.buffer as SharedArrayBuffer,
          floats: this.#floats.buffer as SharedArrayBuffer,
        },
      } satisfies ToWatchdog,
    );
    return thread;
  }
}

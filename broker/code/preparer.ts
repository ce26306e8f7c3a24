/**
 * Guest code preparation off the broker's main thread: a few threads
 * (`prepare_thread.ts`) that each run the TypeScript parse and transform. A
 * preparation that outlives its run's deadline is stopped by terminating its
 * thread, which ends even a synchronous parse at once.
 *
 * @module
 */

import { ExecboxError } from "../errors.ts";
import { type HostThread, startThread } from "../host/thread.ts";
import type { PrepareResult } from "./transform.ts";

/** A job for a preparation thread. */
export interface ToPrepareThread {
  /** The job's id. */
  id: number;
  /** The code as the guest submitted it. */
  code: string;
  /** `"signature"` checks a skill's function type instead of preparing code. */
  kind?: "signature";
  /**
   * One Int32 the thread sets to 1 before it answers, so a deadline timer
   * that fires late (a busy main thread) sees the answer is on its way.
   */
  finished: SharedArrayBuffer;
}

/** What a preparation thread answers. */
export type FromPrepareThread =
  | { t: "ready" }
  | { t: "prepared"; id: number; result: PrepareResult; elapsedMs: number }
  | { t: "failed"; id: number; message: string };

/** How a preparation ended. */
export type PrepareOutcome =
  | { t: "prepared"; result: PrepareResult; elapsedMs: number }
  | { t: "timeout" }
  | { t: "cancelled" }
  | { t: "failed"; message: string };

interface _Job {
  code: string;
  /** When it entered the queue, on this thread's clock. */
  queuedAt: number;
  kind?: "signature";
  timeoutMs: number;
  signal: AbortSignal | undefined;
  resolve: (outcome: PrepareOutcome) => void;
}

interface _Worker {
  thread: HostThread;
  ready: Promise<void>;
  /** Settles the job it runs, if any, with a thread's answer or error. */
  settle: ((message: FromPrepareThread | Error) => void) | undefined;
  /** Ends the job it runs, if any, as cancelled. */
  cancel: (() => void) | undefined;
}

/** Prepares guest code in threads, each job bounded by its run's deadline. */
export class CodePreparer {
  readonly #maxThreads: number;
  readonly #growAfterMs: number;
  readonly #idle: _Worker[] = [];
  readonly #queue: _Job[] = [];
  readonly #all = new Set<_Worker>();
  #threads = 0;
  #starting = 0;
  #startFailures = 0;
  #nextId = 1;
  #closed = false;
  /** Starts another thread once the oldest queued job has waited too long. */
  #growTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param maxThreads The most threads preparing at once (each holds its own
   * copy of the TypeScript compiler, ~50 MiB).
   * @param growAfterMs How long the oldest queued job waits behind busy
   * threads before another thread starts, in milliseconds.
   */
  constructor(maxThreads: number, growAfterMs: number = _GROW_AFTER_MS) {
    this.#maxThreads = maxThreads;
    this.#growAfterMs = growAfterMs;
  }

  /** The threads started or starting. */
  get threads(): number {
    return this.#threads;
  }

  /**
   * Starts one thread ahead of the first run, unless one exists.
   *
   * @throws {ExecboxError} `runtime_start` when the thread cannot start.
   */
  warm(): Promise<void> {
    if (this.#threads > 0 || this.#closed) return Promise.resolve();
    return this.#spawn();
  }

  /**
   * Prepares code. The time counted against `timeoutMs` starts when a ready
   * thread takes the job: waiting for a thread to start is not the run's.
   *
   * @param code The code as submitted.
   * @param timeoutMs Milliseconds the preparation may take.
   * @param signal Cancels the preparation.
   * @returns How it ended; never rejects.
   */
  prepare(
    code: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<PrepareOutcome> {
    return this.#enqueue(code, timeoutMs, signal, undefined);
  }

  /**
   * Checks that a saved skill's signature parses as one TypeScript function
   * type (`checkSignature` in `signature.ts`), in a thread like
   * {@linkcode CodePreparer.prepare}.
   *
   * @param signature The signature text.
   * @param timeoutMs Milliseconds the check may take.
   * @param signal Cancels the check.
   * @returns How it ended; on success `result.js` is the trimmed signature.
   */
  checkSignature(
    signature: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<PrepareOutcome> {
    return this.#enqueue(signature, timeoutMs, signal, "signature");
  }

  #enqueue(
    code: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    kind: "signature" | undefined,
  ): Promise<PrepareOutcome> {
    if (this.#closed) {
      return Promise.resolve({ t: "cancelled" });
    }
    return new Promise((resolve) => {
      const job: _Job = {
        code,
        queuedAt: performance.now(),
        timeoutMs,
        signal,
        resolve,
        ...(kind === undefined ? {} : { kind }),
      };
      // Cancelled while it waits for a thread: it leaves the queue at once.
      const onAbort = () => {
        const index = this.#queue.indexOf(job);
        if (index >= 0) {
          this.#queue.splice(index, 1);
          resolve({ t: "cancelled" });
        }
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      job.resolve = (outcome) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(outcome);
      };
      this.#queue.push(job);
      this.#dispatch();
    });
  }

  /** Terminates every thread; pending jobs end `cancelled`. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#growTimer);
    this.#growTimer = undefined;
    for (const job of this.#queue.splice(0)) job.resolve({ t: "cancelled" });
    for (const worker of [...this.#all]) {
      worker.cancel?.();
      this.#retire(worker);
    }
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && this.#idle.length > 0) {
      this.#run(this.#idle.pop()!, this.#queue.shift()!);
    }
    const oldest = this.#queue[0];
    if (oldest === undefined || this.#closed) {
      clearTimeout(this.#growTimer);
      this.#growTimer = undefined;
      return;
    }
    // A thread costs ~200 ms of CPU to load the compiler, and preparing
    // ordinary code takes microseconds: jobs that arrive together wait for
    // the thread there is. Another thread starts only when nothing can take
    // the job (none at all, or the oldest job has waited behind busy threads
    // past a short bound, so a pathological parse holds only its own run).
    if (this.#threads >= this.#maxThreads || this.#starting > 0) return;
    const waitedMs = performance.now() - oldest.queuedAt;
    if (this.#threads === 0 || waitedMs >= this.#growAfterMs) {
      clearTimeout(this.#growTimer);
      this.#growTimer = undefined;
      // Its failure reaches the waiting jobs through #spawn.
      this.#spawn().catch(() => {});
      return;
    }
    if (this.#growTimer !== undefined) return;
    this.#growTimer = setTimeout(() => {
      this.#growTimer = undefined;
      this.#dispatch();
    }, this.#growAfterMs - waitedMs);
  }

  /**
   * Starts a thread and, once it is ready, hands it the next job. Rejects
   * when it cannot start.
   */
  #spawn(): Promise<void> {
    this.#starting++;
    const worker = this.#start();
    return worker.ready.then(
      () => {
        this.#starting--;
        this.#startFailures = 0;
        this.#release(worker);
      },
      (error: Error) => {
        this.#starting--;
        const failure = _cannotStart(error);
        // A thread that cannot start will not start on the next try
        // either: fail the waiting jobs instead of retrying forever.
        if (++this.#startFailures >= _MAX_START_FAILURES) {
          this.#startFailures = 0;
          for (const job of this.#queue.splice(0)) {
            job.resolve({ t: "failed", message: failure.message });
          }
        }
        this.#dispatch();
        throw failure;
      },
    );
  }

  #start(): _Worker {
    this.#threads++;
    const thread = startThread(
      new URL("./prepare_thread.ts", import.meta.url),
    );
    // (Not Promise.withResolvers: the npm build runs on Node 20.)
    let ready!: { resolve: () => void; reject: (error: Error) => void };
    const readyPromise = new Promise<void>((resolve, reject) => {
      ready = { resolve, reject };
    });
    const worker: _Worker = {
      thread,
      ready: readyPromise,
      settle: undefined,
      cancel: undefined,
    };
    this.#all.add(worker);
    thread.onMessage((data: unknown) => {
      const message = data as FromPrepareThread;
      if (message.t === "ready") ready.resolve();
      else worker.settle?.(message);
    });
    thread.onError((error: Error) => {
      // A thread that dies is replaced by the next job that needs one.
      this.#retire(worker);
      ready.reject(error);
      worker.settle?.(error);
    });
    return worker;
  }

  #retire(worker: _Worker): void {
    if (!this.#all.delete(worker)) return;
    worker.thread.terminate();
    const index = this.#idle.indexOf(worker);
    if (index >= 0) this.#idle.splice(index, 1);
    this.#threads--;
  }

  #release(worker: _Worker): void {
    if (this.#closed) {
      this.#retire(worker);
      return;
    }
    this.#idle.push(worker);
    this.#dispatch();
  }

  #run(worker: _Worker, job: _Job): void {
    if (job.signal?.aborted) {
      job.resolve({ t: "cancelled" });
      this.#release(worker);
      return;
    }
    const id = this.#nextId++;
    const finished = new Int32Array(new SharedArrayBuffer(4));
    const end = (outcome: PrepareOutcome, healthy: boolean) => {
      clearTimeout(timer);
      job.signal?.removeEventListener("abort", onAbort);
      worker.settle = undefined;
      worker.cancel = undefined;
      // A thread stopped mid-parse cannot be reused: it is terminated, and
      // the next job that needs one starts a fresh thread.
      if (healthy) this.#release(worker);
      else {
        this.#retire(worker);
        this.#dispatch();
      }
      job.resolve(outcome);
    };
    const timer = setTimeout(() => {
      // Answered in time, but this thread was busy: the answer is queued.
      if (Atomics.load(finished, 0) === 1) return;
      end({ t: "timeout" }, false);
    }, job.timeoutMs);
    const onAbort = () => end({ t: "cancelled" }, false);
    worker.cancel = onAbort;
    job.signal?.addEventListener("abort", onAbort, { once: true });
    worker.settle = (message) => {
      if (message instanceof Error) {
        return end({ t: "failed", message: message.message }, false);
      }
      if (message.t === "ready" || message.id !== id) return;
      if (message.t === "failed") {
        return end({ t: "failed", message: message.message }, true);
      }
      // Measured by the thread: a busy main thread reading the answer late
      // does not take the run's time.
      end({
        t: "prepared",
        result: message.result,
        elapsedMs: message.elapsedMs,
      }, true);
    };
    worker.thread.postMessage(
      {
        id,
        code: job.code,
        ...(job.kind === undefined ? {} : { kind: job.kind }),
        finished: finished.buffer as SharedArrayBuffer,
      } satisfies ToPrepareThread,
    );
  }
}

const _MAX_START_FAILURES = 2;

/**
 * How long the oldest queued job waits behind busy preparation threads
 * before another thread starts, in milliseconds.
 */
const _GROW_AFTER_MS = 25;

function _cannotStart(error: Error): ExecboxError {
  return new ExecboxError(
    "runtime_start",
    `The code preparation thread cannot start: ${error.message}`,
    { cause: error },
  );
}

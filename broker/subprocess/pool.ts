/**
 * Runtime subprocesses started ahead of time. Each serves exactly one run and
 * is then killed; the pool refills in the background. The pool owns the
 * files its subprocesses start from (one directory, written on the first
 * start and removed on close).
 *
 * @module
 */

import type { Host } from "../host/host.ts";
import { RuntimeFiles } from "./runtime_files.ts";
import { RuntimeProcess } from "./runtime_process.ts";

/** Options of the warm pool. */
export interface PoolOptions {
  /**
   * Subprocesses kept started and ready, for runs with the broker's default
   * `memoryMb`. `0` starts every run cold.
   * @default {2}
   */
  size?: number;
}

/** What {@linkcode RuntimePool} needs. */
export interface RuntimePoolOptions {
  /** The operating-system seam. */
  host: Host;
  /** The Deno binary. */
  denoPath: string;
  /** Warm subprocesses to keep. */
  size: number;
  /** The heap cap warm subprocesses are started with. */
  memoryMb: number;
  /** How long a subprocess may take to become ready. */
  startTimeoutMs: number;
}

/** Counters, for status reports and tests. */
export interface PoolStats {
  /** Warm subprocesses ready now. */
  idle: number;
  /** Subprocesses being started for the pool now. */
  starting: number;
  /** Subprocesses started since the pool was created. */
  spawned: number;
}

/** A pool of ready runtime subprocesses. */
export class RuntimePool {
  readonly #options: RuntimePoolOptions;
  readonly #idle: RuntimeProcess[] = [];
  readonly #pending = new Set<Promise<unknown>>();
  readonly #warming = new Set<Promise<void>>();
  #files: Promise<RuntimeFiles> | undefined;
  #spawned = 0;
  #closed = false;
  #lastError: unknown;

  /** @param options How to start subprocesses. */
  constructor(options: RuntimePoolOptions) {
    this.#options = options;
  }

  /** Counters of the pool. */
  get stats(): PoolStats {
    return {
      idle: this.#idle.length,
      starting: this.#warming.size,
      spawned: this.#spawned,
    };
  }

  /**
   * Fills the pool and waits until it is full.
   *
   * @throws {ExecboxError} When a subprocess cannot start.
   */
  async warm(): Promise<void> {
    this.#lastError = undefined;
    this.#refill();
    await Promise.all(this.#warming);
    if (
      this.#lastError !== undefined && this.#idle.length < this.#options.size
    ) {
      throw this.#lastError;
    }
  }

  /**
   * Hands out a ready subprocess: a warm one when the heap cap matches and one
   * is idle, else a cold one started now.
   *
   * @param memoryMb The heap cap the run needs.
   * @returns The process, and whether it was started for this run.
   */
  async acquire(
    memoryMb: number,
  ): Promise<{ process: RuntimeProcess; cold: boolean }> {
    if (memoryMb === this.#options.memoryMb) {
      const warm = this.#idle.shift();
      if (warm !== undefined) {
        // Starting a process costs a core for tens of milliseconds: refill
        // when this run ends (see release), unless the pool is now empty.
        if (this.#idle.length === 0) this.#refill();
        return { process: warm, cold: false };
      }
    }
    this.#refill();
    return { process: await this.#start(memoryMb), cold: true };
  }

  /**
   * Starts warm processes in the background until the pool is full again
   * (isolate mode takes processes out of the pool for good).
   */
  replenish(): void {
    setTimeout(() => this.#refill(), 0);
  }

  /**
   * Kills a process that served its run, in the background: after the
   * current task, so the caller gets its result before the kill costs time.
   */
  release(process: RuntimeProcess): void {
    this.#track(
      new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => {
        this.#refill();
        return process.dispose();
      }),
    );
  }

  /**
   * Kills every subprocess, waits until all have exited, and removes the
   * files they started from.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const process of this.#idle.splice(0)) this.release(process);
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    const files = await this.#files?.catch(() => undefined);
    await files?.remove();
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    promise.finally(() => this.#pending.delete(promise)).catch(() => {});
    return promise;
  }

  #start(memoryMb: number): Promise<RuntimeProcess> {
    this.#spawned++;
    const { host, denoPath, startTimeoutMs } = this.#options;
    return this.#track((async () => {
      const files = await this.#prepareFiles();
      return RuntimeProcess.start({
        host,
        denoPath,
        memoryMb,
        startTimeoutMs,
        files,
      });
    })());
  }

  // Written once; a failure (a full disk) is retried by the next start.
  #prepareFiles(): Promise<RuntimeFiles> {
    const files = this.#files ??= RuntimeFiles.create(this.#options.host);
    files.catch(() => {
      if (this.#files === files) this.#files = undefined;
    });
    return files;
  }

  // Called on acquire and when an idle process dies, never after a failed
  // start, so a Deno that cannot start is not retried in a loop.
  #refill(): void {
    while (
      !this.#closed &&
      this.#idle.length + this.#warming.size < this.#options.size
    ) {
      const start = this.#startWarm();
      this.#warming.add(start);
      start.finally(() => this.#warming.delete(start));
    }
  }

  async #startWarm(): Promise<void> {
    try {
      const process = await this.#start(this.#options.memoryMb);
      if (this.#closed) {
        this.release(process);
        return;
      }
      this.#idle.push(process);
      // A warm process that dies while idle is replaced.
      process.listen((event) => {
        if (event.kind !== "exit") return;
        const index = this.#idle.indexOf(process);
        if (index >= 0) {
          this.#idle.splice(index, 1);
          this.release(process);
          this.#refill();
        }
      });
    } catch (error) {
      this.#lastError = error;
    }
  }
}

/**
 * A JSON-lines writer for the audit trail that never blocks or fails a run:
 * records wait in a bounded queue and one background pump writes them to a
 * Web `WritableStream`; what does not fit, cannot be serialised, or meets a
 * broken sink is dropped and counted. `sinks.ts` opens the usual sinks.
 *
 * @module
 */

import {
  type AuditHook,
  type AuditRecord,
  compactAuditRecord,
} from "./record.ts";

/** How an {@linkcode AuditLog} bounds its memory and reports losses. */
export interface AuditLogOptions {
  /**
   * The most UTF-8 bytes of lines held at once: queued, plus the batch the
   * sink has not yet acknowledged. A record that would pass it is written
   * without its code and its calls' arguments (`truncated: true`, the hashes
   * stay); if even that would pass it, the record is dropped.
   *
   * @default {4194304} (4 MiB)
   */
  maxQueuedBytes?: number;
  /**
   * Called with the running total of dropped records: at the first drop, then
   * at the first drop at least one second after the previous call, and once
   * more from `close()` if drops happened since (so a burst costs one call a
   * second, and no timer is left running). Called synchronously from `write`;
   * whatever it throws is ignored.
   *
   * @default {undefined} (drops are only counted in `dropped`)
   */
  onDrop?: (dropped: number) => void;
}

/** How long {@linkcode AuditLog.close} may wait for a slow sink. */
export interface AuditLogCloseOptions {
  /**
   * Milliseconds to wait for the queue to drain and the sink to close. At the
   * deadline the remaining records are dropped, the stream is aborted without
   * waiting, and `close()` resolves.
   *
   * @default {2000}
   */
  timeoutMs?: number;
}

const DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024;
const DEFAULT_CLOSE_TIMEOUT_MS = 2000;
const DROP_REPORT_INTERVAL_MS = 1000;
const encoder = new TextEncoder();

/**
 * Writes {@linkcode AuditRecord}s as JSON lines (`JSON.stringify` plus
 * `"\n"`) to a `WritableStream`, in order, without ever blocking or throwing
 * into the caller.
 *
 * `dropped` counts every record that will not be written: it could not be
 * serialised (a `BigInt`, a cycle), it would have passed `maxQueuedBytes` even
 * without its code and arguments, it arrived after `close()`, or it was queued
 * or in flight when the sink failed or `close()` gave up waiting. After the
 * sink errors, every later record is dropped.
 *
 * @example Log runs to a stream
 * ```ts
 * import assert from "node:assert/strict";
 * import { AuditLog } from "./log.ts";
 *
 * const chunks: Uint8Array[] = [];
 * const log = new AuditLog(new WritableStream({ write: (c) => { chunks.push(c); } }));
 * log.hook({
 *   runId: "7c1f0e1e-3f6b-4c8e-9a36-5d1b1d8a2f10",
 *   time: new Date().toISOString(),
 *   caller: "library",
 *   codeSha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
 *   outcome: "ok",
 *   durationMs: 12,
 *   peakMemoryBytes: 0,
 *   calls: [],
 * });
 * await log.close();
 * const text = new TextDecoder().decode(chunks[0]);
 * assert.equal(JSON.parse(text).caller, "library");
 * assert.equal(log.dropped, 0);
 * ```
 */
export class AuditLog {
  /** {@linkcode AuditLog.write} bound to this log, to pass as the broker's `onRun`. */
  readonly hook: AuditHook = (record) => this.write(record);

  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #maxQueuedBytes: number;
  #onDrop: ((dropped: number) => void) | undefined;
  #state: "open" | "closing" | "closed" | "failed" = "open";
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #inFlight = 0;
  #pumping: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #dropped = 0;
  #reported = 0;
  #reportedAt = -Infinity;

  /**
   * Takes the stream's writer; the stream belongs to the log from now on.
   *
   * @param stream Where the lines go.
   * @param options The queue's bound and the drop callback.
   * @throws {RangeError} When `maxQueuedBytes` is not a positive integer.
   * @throws {TypeError} When the stream is already locked to a writer.
   */
  constructor(
    stream: WritableStream<Uint8Array>,
    options: AuditLogOptions = {},
  ) {
    const max = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    if (!Number.isSafeInteger(max) || max <= 0) {
      throw new RangeError(
        `Cannot create an audit log: maxQueuedBytes must be a positive integer, got ${max}`,
      );
    }
    this.#maxQueuedBytes = max;
    this.#onDrop = options.onDrop;
    // The writer's `closed` promise is marked handled by the Streams spec, so
    // a failing sink surfaces only through the pump's awaited write.
    this.#writer = stream.getWriter();
  }

  /** How many records were dropped so far (see the class description). */
  get dropped(): number {
    return this.#dropped;
  }

  /** UTF-8 bytes accepted but not yet acknowledged by the sink. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /**
   * Queues one record and returns at once; never throws and never waits for
   * the sink. A record that cannot be queued is dropped and counted.
   *
   * @param record The run to log. It is serialised now, so later changes to
   * the object do not reach the log.
   */
  write(record: AuditRecord): void {
    try {
      if (this.#state !== "open") return this.#drop(1);
      let line = _line(record);
      // `JSON.stringify(undefined)` and friends return `undefined`.
      if (line === undefined) return this.#drop(1);
      if (this.#queuedBytes + line.byteLength > this.#maxQueuedBytes) {
        // Rather than lose a record for its size, keep it without its code
        // and arguments (their hashes stay).
        const compact = compactAuditRecord(record);
        line = compact === undefined ? undefined : _line(compact);
        if (
          line === undefined ||
          this.#queuedBytes + line.byteLength > this.#maxQueuedBytes
        ) {
          return this.#drop(1);
        }
      }
      this.#queue.push(line);
      this.#queuedBytes += line.byteLength;
      this.#pumping ??= this.#pump();
    } catch {
      this.#drop(1);
    }
  }

  /**
   * Stops accepting records, waits (at most `timeoutMs`) for the queue to
   * drain, then closes the stream; the stream's own errors are ignored.
   * Calling it again returns the same promise.
   *
   * @param options How long to wait for a slow sink.
   * @returns A promise that resolves when the log is closed or given up on;
   * it rejects only for a bad `timeoutMs`.
   * @throws {RangeError} (as a rejection) When `timeoutMs` is negative or not
   * a finite number.
   */
  close(options: AuditLogCloseOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      return Promise.reject(
        new RangeError(
          `Cannot close the audit log: timeoutMs must be a non-negative number, got ${timeoutMs}`,
        ),
      );
    }
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  /**
   * Closes the log with the default timeout, for `await using`.
   *
   * @returns What {@linkcode AuditLog.close} returns.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #pump(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        this.#inFlight = batch.length;
        const bytes = _concat(batch);
        try {
          await this.#writer.write(bytes);
        } catch {
          // Already counted when `close()` gave up on this batch.
          if (this.#state !== "failed") this.#fail();
          return;
        }
        if (this.#state === "failed") return;
        this.#inFlight = 0;
        this.#queuedBytes -= bytes.byteLength;
      }
    } finally {
      this.#pumping = undefined;
    }
  }

  async #close(timeoutMs: number): Promise<void> {
    if (this.#state === "open") this.#state = "closing";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      const finished = await Promise.race([
        this.#finish().then(() => true),
        deadline,
      ]);
      if (!finished && this.#state !== "failed") {
        this.#fail();
        // Not awaited: a stream aborts only after its write in flight settles,
        // which for a sink that never drains is never.
        this.#writer.abort(
          new Error("The audit log was closed before its sink drained"),
        ).catch(() => {});
      }
    } finally {
      clearTimeout(timer);
    }
    if (this.#dropped > this.#reported) this.#report();
  }

  async #finish(): Promise<void> {
    await this.#pumping;
    if (this.#state !== "closing") return;
    try {
      await this.#writer.close();
      this.#state = "closed";
    } catch {
      // Closing is best effort; the lines were already acknowledged.
    }
  }

  /** Stops the pump for good, counting what is queued or in flight as lost. */
  #fail(): void {
    this.#state = "failed";
    const lost = this.#inFlight + this.#queue.length;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#inFlight = 0;
    if (lost > 0) this.#drop(lost);
  }

  #drop(count: number): void {
    this.#dropped += count;
    if (performance.now() - this.#reportedAt >= DROP_REPORT_INTERVAL_MS) {
      this.#report();
    }
  }

  #report(): void {
    this.#reportedAt = performance.now();
    this.#reported = this.#dropped;
    try {
      this.#onDrop?.(this.#dropped);
    } catch {
      // A failing callback must not fail the run that logged.
    }
  }
}

function _line(record: AuditRecord): Uint8Array | undefined {
  const text = JSON.stringify(record);
  return typeof text === "string" ? encoder.encode(`${text}\n`) : undefined;
}

function _concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let length = 0;
  for (const chunk of chunks) length += chunk.byteLength;
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

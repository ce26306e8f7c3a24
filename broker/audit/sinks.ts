/**
 * The usual sinks of an {@linkcode AuditLog}: a file opened for appending with
 * mode 0600, and the process's stderr. They use `node:` modules only, so the
 * npm build reuses them.
 *
 * @module
 */

import { type FileHandle, open } from "node:fs/promises";
import process from "node:process";
import { AuditLog, type AuditLogOptions } from "./log.ts";

function _noop(): void {}

/**
 * Opens a file for appending (creating it with mode `0600`, since records may
 * hold code and arguments) and returns a log that writes to it. Closing the
 * log closes the file.
 *
 * @param path The file to append to.
 * @param options The queue's bound and the drop callback.
 * @returns A promise of the open log.
 * @throws {Error} When the file cannot be opened, with the system error as
 * `cause`.
 *
 * @example Append runs to a file
 * ```ts
 * import { auditLogToFile } from "./sinks.ts";
 *
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const log = await auditLogToFile(path);
 * log.write({
 *   runId: "7c1f0e1e-3f6b-4c8e-9a36-5d1b1d8a2f10",
 *   time: new Date().toISOString(),
 *   caller: "library",
 *   codeSha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
 *   outcome: "timeout",
 *   durationMs: 30000,
 *   peakMemoryBytes: 52428800,
 *   calls: [],
 * });
 * await log.close();
 * await Deno.remove(path);
 * ```
 */
export async function auditLogToFile(
  path: string,
  options: AuditLogOptions = {},
): Promise<AuditLog> {
  let handle: FileHandle;
  try {
    handle = await open(path, "a", 0o600);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot open audit log "${path}": ${reason}`, {
      cause: error,
    });
  }
  return new AuditLog(_fileStream(handle), options);
}

function _fileStream(handle: FileHandle): WritableStream<Uint8Array> {
  let released: Promise<void> | undefined;
  const release = (): Promise<void> => (released ??= handle.close());
  return new WritableStream({
    async write(chunk) {
      try {
        let offset = 0;
        while (offset < chunk.byteLength) {
          const { bytesWritten } = await handle.write(
            chunk,
            offset,
            chunk.byteLength - offset,
          );
          if (bytesWritten <= 0) throw new Error("The audit log wrote 0 bytes");
          offset += bytesWritten;
        }
      } catch (error) {
        // A stream whose sink fails is errored without calling `close` or
        // `abort`, so the handle is released here.
        await release().catch(_noop);
        throw error;
      }
    },
    close: release,
    abort: release,
  });
}

/**
 * Returns a log that writes to the process's stderr (through `node:process`).
 * Closing the log leaves stderr open; while the log is open, an error event
 * on stderr (such as `EPIPE`) is caught rather than crashing the process, and
 * stops the log.
 *
 * @param options The queue's bound and the drop callback.
 * @returns The log.
 *
 * @example Log runs to stderr
 * ```ts
 * import { auditLogToStderr } from "./sinks.ts";
 *
 * await using log = auditLogToStderr({ maxQueuedBytes: 1024 * 1024 });
 * // pass `log.hook` as the broker's `onRun`
 * ```
 */
export function auditLogToStderr(options: AuditLogOptions = {}): AuditLog {
  return new AuditLog(_stderrStream(), options);
}

function _stderrStream(): WritableStream<Uint8Array> {
  const stderr = process.stderr;
  stderr.on("error", _noop);
  const detach = (): void => {
    stderr.off("error", _noop);
  };
  return new WritableStream({
    write(chunk) {
      return new Promise<void>((resolve, reject) => {
        stderr.write(chunk, (error) => error ? reject(error) : resolve());
      });
    },
    close: detach,
    abort: detach,
  });
}

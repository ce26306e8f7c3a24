/**
 * A Host wrapper for tests: records every spawn, the frames written to each
 * process's stdin, and every temporary directory.
 */

import {
  denoHost,
  type Host,
  type HostProcess,
  type SpawnOptions,
} from "../../mod.ts";
import { createFrameDecoder } from "../../runtime/protocol.ts";

export interface SpawnRecord {
  options: SpawnOptions;
  pid: number;
  /** Frame types written to the process's stdin, in order. */
  sent: string[];
  process: HostProcess;
}

export interface RecordingHost extends Host {
  spawns: SpawnRecord[];
  tempDirs: string[];
}

/**
 * Wraps a host so tests can see what the broker does with it.
 *
 * @param base The host to wrap.
 * @param rewrite Changes spawn options before spawning (for hostile runtimes).
 */
export function recordingHost(
  base: Host = denoHost,
  rewrite: (options: SpawnOptions) => SpawnOptions = (o) => o,
): RecordingHost {
  const spawns: SpawnRecord[] = [];
  const tempDirs: string[] = [];
  return {
    spawns,
    tempDirs,
    defaultDenoPath: () => base.defaultDenoPath(),
    memoryUsage: (pid) => base.memoryUsage(pid),
    removeDir: (path) => base.removeDir(path),
    serve: (handler, options) => base.serve(handler, options),
    async makeTempDir(prefix) {
      const dir = await base.makeTempDir(prefix);
      tempDirs.push(dir);
      return dir;
    },
    spawn(options) {
      const process = base.spawn(rewrite(options));
      const record: SpawnRecord = {
        options,
        pid: process.pid,
        sent: [],
        process,
      };
      spawns.push(record);
      const frames = createFrameDecoder(65_536, 2 ** 31);
      const writer = process.stdin.getWriter();
      const stdin = new WritableStream<Uint8Array>({
        async write(chunk) {
          frames.push(chunk);
          for (let f = frames.next(); f !== undefined; f = frames.next()) {
            record.sent.push(JSON.parse(f.header).t);
          }
          await writer.write(chunk);
        },
        close: () => writer.close(),
        abort: (reason) => writer.abort(reason),
      });
      return {
        ...process,
        pid: process.pid,
        kill: () => process.kill(),
        stdin,
      };
    },
  };
}

/** Whether a process with this id still exists (zombies count as gone). */
export function isAlive(pid: number): boolean {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

/** Whether a path exists. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

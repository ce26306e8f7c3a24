/**
 * The {@linkcode Host} seam implemented with Deno's APIs; HTTP is served
 * with Deno's `node:http`, as on Node.js (`http_server.ts`).
 *
 * @module
 */

import type { Host, HostProcess, MemoryUsage, SpawnOptions } from "./host.ts";
import { parseProcStatus } from "./proc.ts";

function _spawn(options: SpawnOptions): HostProcess {
  // `setsid` (util-linux) makes the child lead a new process group without
  // forking, so its pid is the group's id.
  const [command, args] = options.processGroup
    ? ["setsid", [options.command, ...options.args]]
    : [options.command, options.args];
  const child = new Deno.Command(command, {
    args,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: options.env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return { code: s.code, signal: s.signal ?? null };
  });
  return {
    pid: child.pid,
    stdin: child.stdin,
    stdout: child.stdout,
    // A byte stream that allocates a new buffer for every read.
    stdoutChunksOwned: true,
    stderr: child.stderr,
    status,
    kill(signal = "SIGKILL") {
      try {
        if (options.processGroup) Deno.kill(-child.pid, signal);
        else if (!exited) child.kill(signal);
      } catch {
        // Already gone.
      }
    },
  };
}

// Linux only: /proc/<pid>/status has the resident set and its high-water mark.
async function _memoryUsage(pid: number): Promise<MemoryUsage | undefined> {
  let status: string;
  try {
    status = await Deno.readTextFile(`/proc/${pid}/status`);
  } catch {
    return undefined;
  }
  return parseProcStatus(status);
}

/**
 * Reads a whole UTF-8 text file. A missing file rejects with
 * `Deno.errors.NotFound`, whose `code` is `"ENOENT"`.
 *
 * @param path The file.
 * @returns Its text.
 */
export function readTextFile(path: string): Promise<string> {
  return Deno.readTextFile(path);
}

/** The Deno implementation of the operating-system seam. */
export const denoHost: Host = {
  defaultDenoPath: () => Deno.execPath(),
  spawn: _spawn,
  memoryUsage: _memoryUsage,
  makeTempDir: (prefix) => Deno.makeTempDir({ prefix }),
  // node:http rather than Deno.serve, which has no header deadline or
  // connection cap (see http_server.ts); loaded on first use, as loading
  // Deno's node:http takes a tenth of a second or more.
  serve: async (handler, options) =>
    (await import("./http_server.ts")).serveHttp(handler, options),
  async removeDir(path) {
    await Deno.remove(path, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  },
};

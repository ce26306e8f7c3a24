/**
 * The {@linkcode Host} seam implemented with Deno's APIs.
 *
 * @module
 */

import type { Host, HostProcess, SpawnOptions } from "./host.ts";

function _spawn(options: SpawnOptions): HostProcess {
  const child = new Deno.Command(options.command, {
    args: options.args,
    cwd: options.cwd,
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
    stderr: child.stderr,
    status,
    kill() {
      if (exited) return;
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited between the check and the kill.
      }
    },
  };
}

async function _residentMemoryBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The Deno implementation of the operating-system seam. */
export const denoHost: Host = {
  defaultDenoPath: () => Deno.execPath(),
  spawn: _spawn,
  residentMemoryBytes: _residentMemoryBytes,
  makeTempDir: (prefix) => Deno.makeTempDir({ prefix }),
  async removeDir(path) {
    await Deno.remove(path, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  },
};

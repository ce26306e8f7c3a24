/**
 * The {@linkcode Host} seam implemented with Node.js APIs. The npm build puts
 * this file in place of `host/deno.ts` (see `npm-build.ts`); the guest runtime
 * still runs on Deno, from the npm package `deno`.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { accessSync, constants as fsConstants, existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { constants as osConstants, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { Readable, Writable } from "node:stream";
import { ExecboxError } from "../errors.ts";
import type { Host, HostProcess, MemoryUsage, SpawnOptions } from "./host.ts";
import { serveHttp } from "./http_server.ts";
import { parseProcStatus } from "./proc.ts";

/** The environment variable that names the Deno binary to run guest code with. */
export const DENO_PATH_ENV = "EXECBOX_DENO";

// The npm package `deno` ships its binary in one optional dependency per
// platform (`@deno/linux-x64-glibc`, `@deno/darwin-arm64`, ...). Its
// `.bin/deno` is a Node script that starts that binary, unless an install
// script (skipped by `--ignore-scripts`, and by npm 11 unless approved) has
// replaced it: spawning the shim costs a Node start per run, and a kill
// reaches the shim instead of Deno. So the binary is resolved directly.
function _platformPackages(): string[] {
  const arch = process.arch;
  if (process.platform === "linux") {
    return [`@deno/linux-${arch}-glibc`, `@deno/linux-${arch}-musl`];
  }
  return [`@deno/${process.platform}-${arch}`];
}

function _nativeDeno(): string | undefined {
  const exe = process.platform === "win32" ? "deno.exe" : "deno";
  const require = createRequire(import.meta.url);
  let denoDir: string;
  try {
    denoDir = dirname(require.resolve("deno/package.json"));
  } catch {
    return undefined;
  }
  // Resolved from the `deno` package, as its own installer does, so nested
  // layouts (pnpm) find its optional dependency too.
  const fromDeno = createRequire(join(denoDir, "package.json"));
  for (const name of _platformPackages()) {
    try {
      const path = join(
        dirname(fromDeno.resolve(`${name}/package.json`)),
        exe,
      );
      if (existsSync(path)) return path;
    } catch {
      // Not this platform's package.
    }
  }
  // Where the `deno` package's install script copies the binary, when it ran.
  const copied = join(denoDir, exe);
  return existsSync(copied) ? copied : undefined;
}

let _resolvedDeno: string | undefined;

/**
 * The Deno binary to run guest code with: `$EXECBOX_DENO`, else the native
 * binary of the installed npm package `deno` (never its `.bin/deno` shim).
 *
 * @returns An absolute path, or the value of `$EXECBOX_DENO`.
 * @throws {ExecboxError} `runtime_start` when neither is available.
 */
export function nodeDenoPath(): string {
  const fromEnv = process.env[DENO_PATH_ENV];
  if (fromEnv) return fromEnv;
  _resolvedDeno ??= _nativeDeno();
  if (_resolvedDeno === undefined) {
    throw new ExecboxError(
      "runtime_start",
      `Cannot find the Deno binary of the npm package "deno" for ${process.platform}-${process.arch}: ` +
        `install it (npm install deno), or set ${DENO_PATH_ENV} or the denoPath option to a Deno binary`,
    );
  }
  return _resolvedDeno;
}

// Node reports a failed spawn only in a later tick; this says why now.
function _spawnFailure(command: string): string {
  if (!command.includes("/") && !command.includes("\\")) {
    return `"${command}" was not found on PATH`;
  }
  try {
    accessSync(command, fsConstants.X_OK);
  } catch (error) {
    return (error as Error).message;
  }
  return `cannot execute "${command}"`;
}

function _spawn(options: SpawnOptions): HostProcess {
  // `detached` makes the child lead a new session and process group (setsid),
  // so its pid is the group's id.
  const child = spawn(options.command, options.args, {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: options.env,
    stdio: ["pipe", "pipe", "pipe"],
    detached: options.processGroup ?? false,
    windowsHide: true,
  });
  const pid = child.pid;
  // A failed spawn, and a pipe that breaks when the child dies (EPIPE), are
  // reported as `error` events; unhandled, they would end the host process.
  child.on("error", () => {});
  child.stdin.on("error", () => {});
  child.stdout.on("error", () => {});
  child.stderr.on("error", () => {});
  if (pid === undefined) throw new Error(_spawnFailure(options.command));
  let exited = false;
  const status = new Promise<{ code: number; signal: string | null }>(
    (resolve) => {
      child.once("exit", (code, signal) => {
        exited = true;
        resolve({
          code: code ??
            (signal === null ? 1 : 128 + (osConstants.signals[signal] ?? 0)),
          signal,
        });
      });
    },
  );
  return {
    pid,
    stdin: Writable.toWeb(child.stdin) as WritableStream<Uint8Array>,
    stdout: Readable.toWeb(child.stdout) as ReadableStream<Uint8Array>,
    stderr: Readable.toWeb(child.stderr) as ReadableStream<Uint8Array>,
    status,
    kill(signal = "SIGKILL") {
      try {
        if (options.processGroup) process.kill(-pid, signal);
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
    status = await readFile(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  return parseProcStatus(status);
}

/**
 * Reads a whole UTF-8 text file. A missing file rejects with an error whose
 * `code` is `"ENOENT"`.
 *
 * @param path The file.
 * @returns Its text.
 */
export function readTextFile(path: string): Promise<string> {
  return readFile(path, "utf8");
}

/** The Node.js implementation of the operating-system seam. */
export const nodeHost: Host = {
  defaultDenoPath: nodeDenoPath,
  spawn: _spawn,
  memoryUsage: _memoryUsage,
  makeTempDir: (prefix) => mkdtemp(join(tmpdir(), prefix)),
  removeDir: (path) => rm(path, { recursive: true, force: true }),
  serve: serveHttp,
};

/**
 * The host of the runtime this build runs on. The npm build maps
 * `host/deno.ts` to this file, so the name its importers use is exported too:
 * in the npm package, `denoHost` is {@linkcode nodeHost}.
 */
export const denoHost: Host = nodeHost;

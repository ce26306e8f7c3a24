/**
 * Real MCP servers for tests, started as stdio subprocesses of the running
 * Deno through `npm:` specifiers (pinned versions), plus a host that records
 * what the broker spawns and a way to see which processes are left.
 *
 * @module
 */

import {
  denoHost,
  type Host,
  type HostProcess,
  type McpStdioServerConfig,
  type SpawnOptions,
} from "../mod.ts";

const _DENO_RUN = ["run", "-A", "--no-config", "--no-lock"];

// Deno reaches the npm registry only with this machine's CA bundle; the
// upstream gets the SDK's default environment plus `env`, so pass it on.
function _env(extra: Record<string, string> = {}): Record<string, string> {
  const ca = Deno.env.get("NODE_EXTRA_CA_CERTS");
  return ca === undefined ? extra : { NODE_EXTRA_CA_CERTS: ca, ...extra };
}

/**
 * `@modelcontextprotocol/server-everything`: `echo`, `get-sum`, `get-env`,
 * `get-structured-content` and more.
 *
 * @param env Extra environment variables for the server.
 */
export function everythingServer(
  env: Record<string, string> = {},
): McpStdioServerConfig {
  return {
    command: Deno.execPath(),
    args: [
      ..._DENO_RUN,
      "npm:@modelcontextprotocol/server-everything@2026.8.31",
      "stdio",
    ],
    env: _env(env),
  };
}

/**
 * `@modelcontextprotocol/server-memory`: a knowledge graph kept in a file.
 *
 * @param file Where the graph is stored (put it in a temporary directory).
 */
export function memoryServer(file: string): McpStdioServerConfig {
  return {
    command: Deno.execPath(),
    args: [..._DENO_RUN, "npm:@modelcontextprotocol/server-memory@2026.8.31"],
    env: _env({ MEMORY_FILE_PATH: file }),
  };
}

/**
 * `@modelcontextprotocol/server-filesystem` limited to one directory.
 *
 * @param dir The only directory it may touch.
 */
export function filesystemServer(dir: string): McpStdioServerConfig {
  return {
    command: Deno.execPath(),
    args: [
      ..._DENO_RUN,
      "npm:@modelcontextprotocol/server-filesystem@2026.8.31",
      dir,
    ],
    env: _env(),
  };
}

/** Path of the project's `deno.json`, whose imports the fixtures use. */
const _CONFIG = new URL("../deno.json", import.meta.url).pathname;

const _SLOW_SERVER =
  new URL("./broker/upstream/fixtures/slow_server.ts", import.meta.url)
    .pathname;

/**
 * The fixture server (`slow`, `pid`, `sample`, `chatty`), leaving its marker
 * files in `markerDir`.
 *
 * @param markerDir Where its tools leave marker files.
 */
export function slowServer(markerDir: string): McpStdioServerConfig {
  return {
    command: Deno.execPath(),
    args: ["run", "-A", "--config", _CONFIG, _SLOW_SERVER],
    env: _env({ MARKER_DIR: markerDir }),
  };
}

/** One process the broker started through {@linkcode SpawnLog}. */
export interface Spawned {
  /** What was spawned. */
  options: SpawnOptions;
  /** Its process id (the group id when `options.processGroup` is set). */
  pid: number;
  /** The process. */
  process: HostProcess;
  /** What the broker wrote to its stdin so far, when recorded. */
  stdin: () => string;
}

/** A host that records every spawn and otherwise leaves it alone. */
export interface SpawnLog extends Host {
  /** Every spawn, in order. */
  spawns: Spawned[];
}

/** Options of {@linkcode spawnLog}. */
export interface SpawnLogOptions {
  /** Keep what the broker writes to each process's stdin (JSON lines for MCP). */
  recordStdin?: boolean;
}

/**
 * Wraps a host to record its spawns. Unlike `tests/broker/_recording_host.ts`
 * it does not decode frames on stdin, so it suits MCP servers, whose stdin is
 * JSON lines (kept as text with `recordStdin`).
 *
 * @param base The host to wrap.
 * @param options Whether to keep what is written to stdin.
 * @returns The recording host.
 */
export function spawnLog(
  base: Host = denoHost,
  options: SpawnLogOptions = {},
): SpawnLog {
  const spawns: Spawned[] = [];
  return {
    defaultDenoPath: () => base.defaultDenoPath(),
    memoryUsage: (pid) => base.memoryUsage(pid),
    makeTempDir: (prefix) => base.makeTempDir(prefix),
    removeDir: (path) => base.removeDir(path),
    serve: (handler, options) => base.serve(handler, options),
    spawns,
    spawn(spawnOptions) {
      let process = base.spawn(spawnOptions);
      let text = "";
      if (options.recordStdin) {
        const decoder = new TextDecoder();
        const writer = process.stdin.getWriter();
        process = {
          ...process,
          stdin: new WritableStream({
            write(chunk) {
              text += decoder.decode(chunk, { stream: true });
              return writer.write(chunk);
            },
            close: () => writer.close(),
            abort: (reason) => writer.abort(reason),
          }),
        };
      }
      spawns.push({
        options: spawnOptions,
        pid: process.pid,
        process,
        stdin: () => text,
      });
      return process;
    },
  };
}

/**
 * Live (non-zombie) processes in a process group, from `/proc` (Linux).
 *
 * @param pgid The group id.
 * @returns Their process ids.
 */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] !== "Z" && Number(fields[2]) === pgid) {
      members.push(Number(entry.name));
    }
  }
  return members;
}

/**
 * Waits until a file exists, checking every 10 ms (the file is the event: a
 * server in another process wrote it).
 *
 * @param path The file.
 * @param timeoutMs How long to wait before throwing.
 * @throws {Error} When it does not appear in time.
 */
export async function waitForFile(
  path: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      await Deno.stat(path);
      return;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

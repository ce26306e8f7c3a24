/**
 * The names of the runtimes' temporary directories, and the sweep that
 * removes those of a broker that died without cleaning up (SIGKILL, a
 * crash, the OOM killer). Each name carries its owner: the broker's pid
 * namespace, pid and start time, read from `/proc`, so a later broker can
 * tell a dead owner from a live one, even when the pid was reused. It uses
 * only `node:` modules, so the npm build runs it on Node unchanged.
 *
 * @module
 */

import { lstat, readdir, readFile, readlink, rm } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { parseStartTime } from "../host/proc.ts";

/** The fixed start of every runtime directory's name. */
const _BASE = "execbox-";

// `execbox-<pid namespace>.<pid>.<start time>-<random>`.
const _OWNED = /^execbox-(\d+)\.(\d+)\.(\d+)-[^/]+$/;

// A sweep reads the whole temporary directory: at most this often.
const _SWEEP_INTERVAL_MS = 60_000;

interface _Owner {
  namespace: string;
  pid: number;
  start: string;
}

let _self: Promise<_Owner | undefined> | undefined;
const _lastSweep = new Map<string, number>();

/**
 * The prefix for this process's runtime directories: `execbox-` and the
 * owner's tag, or only `execbox-` where `/proc` cannot be read (then nothing
 * is swept).
 *
 * @returns The prefix, such as `"execbox-4026531836.4242.278934-"`.
 */
export async function runtimeDirPrefix(): Promise<string> {
  const self = await _ownSelf();
  return self === undefined
    ? _BASE
    : `${_BASE}${self.namespace}.${self.pid}.${self.start}-`;
}

/** Options of {@linkcode sweepRuntimeDirs}. */
export interface SweepOptions {
  /**
   * Sweep even if this directory was swept less than a minute ago.
   * @default {false}
   */
  force?: boolean;
}

/**
 * Removes the runtime directories in `root` whose owning broker is gone: a
 * name that carries this process's pid namespace, and a pid that no longer
 * runs or now belongs to a process started at another time. Directories of
 * live brokers, of other pid namespaces (another container), of other users,
 * symbolic links and names without an owner are left alone. Failures are
 * ignored: this is housekeeping.
 *
 * @param root The directory the runtimes' directories are made in.
 * @param options Whether to sweep again within the minute.
 * @returns How many directories were removed.
 */
export async function sweepRuntimeDirs(
  root: string,
  options: SweepOptions = {},
): Promise<number> {
  const now = Date.now();
  if (
    !options.force &&
    now - (_lastSweep.get(root) ?? -Infinity) < _SWEEP_INTERVAL_MS
  ) {
    return 0;
  }
  _lastSweep.set(root, now);
  const self = await _ownSelf();
  if (self === undefined) return 0;
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const match = _OWNED.exec(name);
    if (match === null || match[1] !== self.namespace) continue;
    const owner = {
      namespace: match[1],
      pid: Number(match[2]),
      start: match[3]!,
    };
    if (await _isAlive(owner)) continue;
    const path = join(root, name);
    try {
      const stat = await lstat(path);
      if (!stat.isDirectory() || stat.uid !== process.getuid?.()) continue;
      await rm(path, { recursive: true, force: true });
      removed++;
    } catch {
      // Gone meanwhile, or not ours to remove.
    }
  }
  return removed;
}

function _ownSelf(): Promise<_Owner | undefined> {
  _self ??= (async () => {
    const namespace = await _namespace("self");
    const start = await _startTime("self");
    return namespace === undefined || start === undefined
      ? undefined
      : { namespace, pid: process.pid, start };
  })();
  return _self;
}

async function _isAlive(owner: _Owner): Promise<boolean> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${owner.pid}/stat`, "utf8");
  } catch (error) {
    // Only a missing process is dead; a read refused (permissions) is not
    // proof of anything, so its directories stay.
    return (error as { code?: string }).code !== "ENOENT";
  }
  return parseStartTime(stat) === owner.start;
}

// The inode of the pid namespace: `pid:[4026531836]` gives "4026531836".
async function _namespace(pid: string): Promise<string | undefined> {
  try {
    return /^pid:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/ns/pid`))?.[1];
  } catch {
    return undefined;
  }
}

// When the process started (field 22 of /proc/<pid>/stat).
async function _startTime(pid: string): Promise<string | undefined> {
  try {
    return parseStartTime(await readFile(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

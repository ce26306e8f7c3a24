/**
 * What every system under test offers the benchmarks: run code that calls host
 * tools, and report how the run ended. execbox and each baseline implement it.
 *
 * @module
 */

/** A host tool: takes the guest's argument, returns a JSON value. */
export type HostFunction = (args: Record<string, unknown>) => unknown;

/** Host tools by namespace and name, as guest globals: `t.echo({ i: 1 })`. */
export type HostTools = Record<string, Record<string, HostFunction>>;

/** How a run ended. */
export interface RunOutcome {
  /** Whether the code ran to completion. */
  ok: boolean;
  /** The result value, when `ok`. */
  result?: unknown;
  /** What went wrong, when not `ok`. */
  error?: string;
}

/** Options every system takes. */
export interface SandboxOptions {
  /** Host tools the guest may call. */
  tools: HostTools;
  /** Keep processes started ahead of time (systems that have a pool). */
  warm: boolean;
  /** Ready processes kept (systems that have a pool). */
  poolSize: number;
  /** Runs at once (systems with admission control). */
  concurrency: number;
  /** Heap limit per run, in MiB. */
  memoryMb: number;
  /** Time limit per run, in milliseconds. */
  timeoutMs: number;
  /** Read the peak resident memory of each run's process. */
  measureMemory?: boolean;
}

/** A system under test. */
export interface Sandbox {
  /** Runs code: JavaScript whose `return` gives the result. */
  execute(code: string): Promise<RunOutcome>;
  /**
   * Peak resident memory of the process that ran the last run (with
   * `measureMemory`), or of this process for in-process systems.
   */
  lastPeakBytes(): Promise<number | undefined>;
  /** Resolves once a run would start warm (the pool is full), if it has one. */
  settle(): Promise<void>;
  /** Stops everything it started. */
  close(): Promise<void>;
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resident memory of a process from `/proc` (Linux), in bytes. */
export function residentMemory(
  pid: number | "self",
): { rss: number; hwm: number } | undefined {
  let status: string;
  try {
    status = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return undefined;
  }
  const rss = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (!rss || !hwm) return undefined;
  return { rss: Number(rss[1]) * 1024, hwm: Number(hwm[1]) * 1024 };
}

/** CPU time (user + system, all threads) this process has used, in ms. */
export function cpuTimeMs(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15, in clock ticks (100 per second).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * CPU time (user + system) of this process's children that have exited and
 * been waited for, in ms (Linux `cutime` + `cstime`).
 */
export function childrenCpuTimeMs(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/**
 * Reading Linux's `/proc` files, shared by both hosts and their threads.
 *
 * @module
 */

/** What the broker reads of a process from `/proc/<pid>/status`. */
export interface ProcessSample {
  /** Resident memory now, in bytes. */
  residentBytes: number;
  /** The highest resident memory so far (the high-water mark), in bytes. */
  peakResidentBytes: number;
}

/**
 * Parses the memory lines of `/proc/<pid>/status`.
 *
 * @param status The file's text.
 * @returns The sample, or `undefined` when the lines are missing.
 */
export function parseProcStatus(status: string): ProcessSample | undefined {
  const rss = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (!rss || !hwm) return undefined;
  return {
    residentBytes: Number(rss[1]) * 1024,
    peakResidentBytes: Number(hwm[1]) * 1024,
  };
}

/**
 * Field 22 of `/proc/<pid>/stat`; the command name (field 2) may hold spaces
 * and parentheses, so fields are counted after its last `)`.
 *
 * @param stat The file's text.
 * @returns The start time, or `undefined` when the text is not a stat line.
 */
export function parseStartTime(stat: string): string | undefined {
  const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

/**
 * Field 3 of `/proc/<pid>/stat`, the state: `"dead"` for a zombie (`Z`) or a
 * dying process (`X`), else `"alive"`.
 *
 * @param stat The file's text.
 * @returns The state.
 */
export function parseState(stat: string): "alive" | "dead" {
  const state = stat.slice(
    stat.lastIndexOf(")") + 2,
    stat.lastIndexOf(")") + 3,
  );
  return state === "Z" || state === "X" ? "dead" : "alive";
}

/**
 * Clock ticks per second of `/proc/<pid>/stat` times (`USER_HZ`), which Linux
 * fixes at 100 for what it exports to user space.
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time a process has used, every thread counted: fields 14 (`utime`) and
 * 15 (`stime`) of `/proc/<pid>/stat`, in milliseconds.
 *
 * @param stat The file's text.
 * @returns The milliseconds, or `undefined` when the text is not a stat line.
 */
export function parseCpuMs(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  if (!Number.isSafeInteger(user) || !Number.isSafeInteger(system)) {
    return undefined;
  }
  return (user + system) * 1000 / CLOCK_TICKS_PER_SECOND;
}

/**
 * The resident memory in `/proc/<pid>/statm` (field 2, in pages). A zombie,
 * whose memory is already released, reads all zeros.
 *
 * @param statm The file's text.
 * @returns The resident pages (`0` for a zombie), or `undefined` when the
 * text is not a statm line.
 */
export function parseStatmResidentPages(statm: string): number | undefined {
  const fields = statm.split(" ");
  const size = Number(fields[0]);
  const resident = Number(fields[1]);
  if (!Number.isSafeInteger(size) || !Number.isSafeInteger(resident)) {
    return undefined;
  }
  return size === 0 ? 0 : resident;
}

/**
 * The page size in KiB that makes `residentPages` pages match `vmRssKib`,
 * read from the same process at about the same time: the nearest of the
 * sizes Linux uses (4, 16 or 64 KiB).
 *
 * @param vmRssKib `VmRSS` of `/proc/<pid>/status`, in KiB.
 * @param residentPages Field 2 of `/proc/<pid>/statm`.
 * @returns The page size in KiB.
 */
export function pageKibFrom(vmRssKib: number, residentPages: number): number {
  const ratio = residentPages > 0 ? vmRssKib / residentPages : 4;
  let best = 4;
  for (const size of [16, 64]) {
    if (Math.abs(Math.log2(ratio / size)) < Math.abs(Math.log2(ratio / best))) {
      best = size;
    }
  }
  return best;
}

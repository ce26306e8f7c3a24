/**
 * The watchdog thread: enforces every run's deadline and resident-memory cap
 * from outside the broker's main thread, so a main thread busy with
 * synchronous work (a host tool, a large JSON value) cannot delay a kill. It
 * kills the subprocess by pid, writes its verdict into memory the main thread
 * reads synchronously, then tells the main thread.
 *
 * @module
 */

import {
  killProcess,
  parentPort,
  processCpuMs,
  processStartTime,
  processState,
  residentBytes,
  sampleProcess,
  watchProblem,
} from "../host/thread.ts";
import {
  CELL_PEAK_KIB,
  CELL_RESIDENT_KIB,
  CELL_STOPPED,
  CELL_VERDICT,
  CELL_WAITING,
  CELL_WAITS_BEGUN,
  type FromWatchdog,
  type ToWatchdog,
  VERDICT_MEMORY,
  VERDICT_TIMEOUT,
  WATCHDOG_MAX_GROWTH_BYTES_PER_MS,
  WATCHDOG_MAX_SAMPLE_MS,
  WATCHDOG_SAMPLE_MS,
} from "./watchdog_protocol.ts";

interface _Watch {
  pid: number;
  /** Milliseconds the run may use: wall time, or CPU time while paused. */
  budgetMs: number;
  /** Milliseconds of the budget used so far. */
  usedMs: number;
  /** When `usedMs` was last brought up to date, on this thread's clock. */
  lastAt: number;
  /** The subprocess's CPU time at `lastAt`, while paused. */
  lastCpuMs: number | undefined;
  /** When the current pause began, if the run is paused. */
  pausedSince: number | undefined;
  /** `CELL_WAITS_BEGUN` when `pausedSince` was set. */
  waitsBegun: number;
  maxPauseMs: number;
  rssLimit: number;
  peakFromSamples: boolean;
  cell: Int32Array;
  startTime: string | undefined;
}

const _port = parentPort();
const _watches = new Map<number, _Watch>();
let _timer: ReturnType<typeof setTimeout> | undefined;
/** When `_timer` fires, on this thread's clock. */
let _timerAt = Infinity;

function _post(message: FromWatchdog): void {
  _port.postMessage(message);
}

function _decide(id: number, watch: _Watch, verdict: number): void {
  // A run the main thread stopped meanwhile has its outcome already (and
  // its process may serve another run): it is not killed for this one.
  if (Atomics.load(watch.cell, CELL_STOPPED) === 1) {
    _watches.delete(id);
    return;
  }
  // The verdict is written before the kill, so the main thread never sees the
  // process gone without knowing why.
  Atomics.store(watch.cell, CELL_VERDICT, verdict);
  _watches.delete(id);
  // The start time tells the watched process from a later one given its pid.
  // Without /proc there is no start time and no reuse check: the pool holds
  // the process until the run's watch stops, so its pid is still its own.
  if (
    watch.startTime === undefined ||
    processStartTime(watch.pid) === watch.startTime
  ) {
    try {
      killProcess(watch.pid);
    } catch (error) {
      // The main thread kills it too, through the host, when it settles.
      _post({ t: "fault", message: String((error as Error)?.message) });
    }
  }
  _post({ t: "verdict", id });
}

/**
 * Brings a run's used time up to `now`: wall time while it runs; while a call
 * waits for an approver, the CPU time its subprocess spent instead (every
 * thread of it), so spinning while a person decides still uses the budget. A
 * pause longer than `maxPauseMs` after the latest wait began counts as wall
 * time again.
 */
function _account(watch: _Watch, now: number): void {
  const elapsed = now - watch.lastAt;
  watch.lastAt = now;
  if (Atomics.load(watch.cell, CELL_WAITING) <= 0) {
    watch.pausedSince = undefined;
    watch.lastCpuMs = undefined;
    watch.usedMs += elapsed;
    return;
  }
  const cpu = processCpuMs(watch.pid);
  const begun = Atomics.load(watch.cell, CELL_WAITS_BEGUN);
  if (begun !== watch.waitsBegun) {
    watch.waitsBegun = begun;
    if (watch.pausedSince !== undefined) watch.pausedSince = now;
  }
  if (watch.pausedSince === undefined || watch.lastCpuMs === undefined) {
    // The pause began within this interval: count it as running.
    watch.pausedSince = now;
    watch.lastCpuMs = cpu;
    watch.usedMs += elapsed;
    return;
  }
  if (cpu === undefined || now - watch.pausedSince > watch.maxPauseMs) {
    // Without /proc there is no CPU time to count: the clock runs.
    watch.usedMs += elapsed;
  } else {
    watch.usedMs += Math.max(0, cpu - watch.lastCpuMs);
  }
  watch.lastCpuMs = cpu;
}

function _kib(bytes: number): number {
  return Math.min(Math.floor(bytes / 1024), 2 ** 31 - 1);
}

/**
 * Checks one run: its process, its deadline, its resident memory.
 *
 * @returns Milliseconds until it needs its next check (`Infinity` once it is
 * no longer watched): its deadline, or, for memory, sooner the nearer it is
 * to its cap (see `WATCHDOG_MAX_GROWTH_BYTES_PER_MS`).
 */
function _check(id: number, watch: _Watch, now: number): number {
  if (Atomics.load(watch.cell, CELL_STOPPED) === 1) {
    _watches.delete(id);
    return Infinity;
  }
  // One small read answers both whether the process still runs and how much
  // memory it holds; a zombie reads zero.
  const resident = residentBytes(watch.pid);
  // A process that already ended (a V8 heap overflow, a crash, a normal
  // exit) is the main thread's to judge from its exit status, later.
  if (
    resident === 0 ||
    (resident === undefined && processState(watch.pid) === "dead")
  ) {
    _watches.delete(id);
    return Infinity;
  }
  _account(watch, now);
  if (watch.usedMs >= watch.budgetMs) {
    _decide(id, watch, VERDICT_TIMEOUT);
    return Infinity;
  }
  let next = Math.min(watch.budgetMs - watch.usedMs, WATCHDOG_MAX_SAMPLE_MS);
  // While paused the subprocess's CPU time counts: read it often.
  if (watch.pausedSince !== undefined) next = WATCHDOG_SAMPLE_MS;
  // Without /proc only the deadline is kept.
  if (resident === undefined) return next;
  const residentKib = _kib(resident);
  const peakKib = Atomics.load(watch.cell, CELL_PEAK_KIB);
  if (watch.peakFromSamples) {
    if (residentKib > peakKib) {
      Atomics.store(watch.cell, CELL_PEAK_KIB, residentKib);
    }
  } else if (residentKib > peakKib) {
    // The high-water mark can only have risen past the peak read last if
    // the resident memory did: read the longer status file only then.
    const sample = sampleProcess(watch.pid);
    Atomics.store(
      watch.cell,
      CELL_PEAK_KIB,
      Math.max(residentKib, _kib(sample?.peakResidentBytes ?? 0)),
    );
  }
  if (resident > watch.rssLimit) {
    Atomics.store(watch.cell, CELL_RESIDENT_KIB, residentKib);
    _decide(id, watch, VERDICT_MEMORY);
    return Infinity;
  }
  const coverMs = (watch.rssLimit - resident) /
    WATCHDOG_MAX_GROWTH_BYTES_PER_MS;
  return Math.min(next, Math.max(WATCHDOG_SAMPLE_MS, coverMs));
}

/** Checks one run, without letting a failed read end this thread. */
function _checkSafely(id: number, watch: _Watch, now: number): number {
  // One run's failed read never stops the watch of the others: an
  // exception here would end this thread and every deadline with it.
  try {
    return _check(id, watch, now);
  } catch {
    return WATCHDOG_SAMPLE_MS;
  }
}

function _tick(): void {
  _timer = undefined;
  _timerAt = Infinity;
  const now = performance.now();
  let next = Infinity;
  for (const [id, watch] of _watches) {
    next = Math.min(next, _checkSafely(id, watch, now));
  }
  _schedule(now, next);
}

/** Makes sure a tick runs within `inMs` of `now` while anything is watched. */
function _schedule(now: number, inMs: number): void {
  if (_watches.size === 0) {
    clearTimeout(_timer);
    _timer = undefined;
    _timerAt = Infinity;
    return;
  }
  // At least a millisecond, so a deadline a fraction away is not a busy loop.
  const at = now + Math.max(1, Math.ceil(inMs));
  if (at >= _timerAt) return;
  clearTimeout(_timer);
  _timerAt = at;
  _timer = setTimeout(_tick, at - now);
}

_port.onMessage((data: unknown) => {
  const message = data as ToWatchdog;
  // The deadline is read on this thread's clock, which is the one it checks.
  const now = performance.now();
  const watch: _Watch = {
    pid: message.pid,
    budgetMs: message.timeoutMs,
    usedMs: 0,
    lastAt: now,
    lastCpuMs: undefined,
    pausedSince: undefined,
    waitsBegun: 0,
    maxPauseMs: message.maxPauseMs,
    rssLimit: message.rssLimit,
    peakFromSamples: message.peakFromSamples === true,
    cell: new Int32Array(message.cell),
    startTime: processStartTime(message.pid),
  };
  _watches.set(message.id, watch);
  // Only the new run is checked now; the others keep their schedule.
  _schedule(now, _checkSafely(message.id, watch, now));
});

const _problem = watchProblem();
_post(
  _problem === undefined
    ? { t: "ready" }
    : { t: "unusable", message: _problem },
);

/**
 * The watchdog thread: enforces every run's deadline and resident-memory cap
 * from outside the broker's main thread, so a main thread busy with
 * synchronous work (a host tool, a large JSON value) cannot delay a kill. It
 * polls the shared table of watched runs (`watchdog_protocol.ts`), kills by
 * pid, and writes its verdict into the run's slot before the kill.
 *
 * @module
 */

import {
  killProcess,
  parentPort,
  processStartTime,
  processState,
  sampleProcess,
  watchProblem,
} from "../host/thread.ts";
import {
  F_RSS_LIMIT,
  F_TIMEOUT_MS,
  FLOAT_FIELDS,
  type FromWatchdog,
  I_HIGH_WATER,
  I_PEAK_KIB,
  I_PID,
  I_RESIDENT_KIB,
  I_SEQ,
  I_STATE,
  I_VERDICT,
  INT_FIELDS,
  SLOT_FREE,
  SLOT_NEW,
  SLOT_STOP,
  SLOT_WATCHING,
  type ToWatchdog,
  VERDICT_MEMORY,
  VERDICT_TIMEOUT,
  WATCHDOG_SAMPLE_MS,
} from "./watchdog_protocol.ts";

interface _Watch {
  pid: number;
  deadline: number;
  rssLimit: number;
  startTime: string | undefined;
}

const _port = parentPort();
const _watches = new Map<number, _Watch>();
let _ints: Int32Array | undefined;
let _floats: Float64Array | undefined;

function _post(message: FromWatchdog): void {
  _port.postMessage(message);
}

function _int(slot: number, field: number): number {
  return Atomics.load(_ints!, slot * INT_FIELDS + field);
}

function _setInt(slot: number, field: number, value: number): void {
  Atomics.store(_ints!, slot * INT_FIELDS + field, value);
}

function _kib(bytes: number): number {
  return Math.min(Math.floor(bytes / 1024), 2 ** 31 - 1);
}

function _release(slot: number): void {
  _watches.delete(slot);
  _setInt(slot, I_STATE, SLOT_FREE);
}

function _decide(slot: number, watch: _Watch, verdict: number): void {
  // The verdict is written before the kill, so the main thread never sees the
  // process gone without knowing why.
  _setInt(slot, I_VERDICT, verdict);
  // The start time tells the watched process from a later one given its pid.
  // Without /proc there is none: the pool holds the process until the run's
  // watch stops, so its pid is still its own.
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
  _watches.delete(slot);
  _post({ t: "verdict", slot, seq: _int(slot, I_SEQ) });
}

function _take(slot: number, now: number): void {
  const pid = _int(slot, I_PID);
  _watches.set(slot, {
    pid,
    deadline: now + _floats![slot * FLOAT_FIELDS + F_TIMEOUT_MS]!,
    rssLimit: _floats![slot * FLOAT_FIELDS + F_RSS_LIMIT]!,
    startTime: processStartTime(pid),
  });
  _setInt(slot, I_STATE, SLOT_WATCHING);
}

function _check(slot: number, watch: _Watch, now: number): void {
  // A process that already ended (a V8 heap overflow, a crash, a normal
  // exit) is the main thread's to judge from its exit status, later.
  if (processState(watch.pid) === "dead") {
    _watches.delete(slot);
    return;
  }
  if (now >= watch.deadline) return _decide(slot, watch, VERDICT_TIMEOUT);
  const sample = sampleProcess(watch.pid);
  if (sample === undefined) return;
  _setInt(slot, I_PEAK_KIB, _kib(sample.peakResidentBytes));
  if (sample.residentBytes > watch.rssLimit) {
    _setInt(slot, I_RESIDENT_KIB, _kib(sample.residentBytes));
    _decide(slot, watch, VERDICT_MEMORY);
  }
}

function _tick(): void {
  const now = performance.now();
  const used = Atomics.load(_ints!, I_HIGH_WATER);
  for (let slot = 0; slot < used; slot++) {
    const state = _int(slot, I_STATE);
    if (state === SLOT_FREE) continue;
    if (state === SLOT_NEW) _take(slot, now);
    else if (state === SLOT_STOP) {
      _release(slot);
      continue;
    }
    const watch = _watches.get(slot);
    if (watch !== undefined) _check(slot, watch, now);
  }
}

_port.onMessage((data: unknown) => {
  const { table } = data as ToWatchdog;
  if (_ints !== undefined) return;
  _ints = new Int32Array(table.ints);
  _floats = new Float64Array(table.floats);
  setInterval(_tick, WATCHDOG_SAMPLE_MS);
});

const _problem = watchProblem();
_post(
  _problem === undefined
    ? { t: "ready" }
    : { t: "unusable", message: _problem },
);

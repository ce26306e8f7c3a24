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
  processStartTime,
  sampleProcess,
} from "../host/thread.ts";
import {
  CELL_PEAK_KIB,
  CELL_RESIDENT_KIB,
  CELL_VERDICT,
  type ToWatchdog,
  VERDICT_MEMORY,
  VERDICT_TIMEOUT,
  WATCHDOG_SAMPLE_MS,
} from "./watchdog_protocol.ts";

interface _Watch {
  pid: number;
  deadline: number;
  rssLimit: number;
  cell: Int32Array;
  startTime: string | undefined;
}

const _port = parentPort();
const _watches = new Map<number, _Watch>();
let _timer: ReturnType<typeof setInterval> | undefined;

function _now(): number {
  return performance.timeOrigin + performance.now();
}

function _decide(id: number, watch: _Watch, verdict: number): void {
  // The verdict is written before the kill, so the main thread never sees the
  // process gone without knowing why.
  Atomics.store(watch.cell, CELL_VERDICT, verdict);
  // A pid freed and reused since the watch began belongs to someone else.
  if (
    watch.startTime === undefined ||
    processStartTime(watch.pid) === watch.startTime
  ) {
    killProcess(watch.pid);
  }
  _watches.delete(id);
  _port.postMessage({ t: "verdict", id });
}

function _tick(): void {
  const now = _now();
  for (const [id, watch] of _watches) {
    if (now >= watch.deadline) {
      _decide(id, watch, VERDICT_TIMEOUT);
      continue;
    }
    const sample = sampleProcess(watch.pid);
    if (sample === undefined) continue;
    const kib = (bytes: number) =>
      Math.min(Math.floor(bytes / 1024), 2 ** 31 - 1);
    Atomics.store(watch.cell, CELL_PEAK_KIB, kib(sample.peakResidentBytes));
    if (sample.residentBytes > watch.rssLimit) {
      Atomics.store(watch.cell, CELL_RESIDENT_KIB, kib(sample.residentBytes));
      _decide(id, watch, VERDICT_MEMORY);
    }
  }
  if (_watches.size === 0 && _timer !== undefined) {
    clearInterval(_timer);
    _timer = undefined;
  }
}

_port.onMessage((data: unknown) => {
  const message = data as ToWatchdog;
  if (message.t === "stop") {
    _watches.delete(message.id);
    return;
  }
  _watches.set(message.id, {
    pid: message.pid,
    deadline: message.deadline,
    rssLimit: message.rssLimit,
    cell: new Int32Array(message.cell),
    startTime: processStartTime(message.pid),
  });
  _tick();
  _timer ??= setInterval(_tick, WATCHDOG_SAMPLE_MS);
});

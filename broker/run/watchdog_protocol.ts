/**
 * The messages between the broker's main thread and its watchdog thread, and
 * the layout of the shared cell where the watchdog writes a run's verdict.
 *
 * @module
 */

/**
 * The shortest time between two readings of a run's resident memory, in
 * milliseconds: the interval once the run is near its cap, or while a call
 * waits for an approver.
 */
export const WATCHDOG_SAMPLE_MS = 5;

/**
 * The longest time between two readings of a run's resident memory, in
 * milliseconds, however far below its cap it is.
 */
export const WATCHDOG_MAX_SAMPLE_MS = 20;

/**
 * The fastest a process is assumed to grow its resident memory, in bytes per
 * millisecond (filling fresh typed arrays measured 2-5 MiB/ms on x86-64):
 * a run is read again before it could have covered its headroom at this
 * speed, so a sparser reading far below the cap lets it overshoot no more
 * than `WATCHDOG_SAMPLE_MS` does near it.
 */
export const WATCHDOG_MAX_GROWTH_BYTES_PER_MS = 16 * 2 ** 20;

/** Index of the verdict in a run's cell: `0` none, else a `VERDICT_*`. */
export const CELL_VERDICT = 0;
/** Index of the highest resident memory seen, in KiB. */
export const CELL_PEAK_KIB = 1;
/** Index of the resident memory that broke the cap, in KiB. */
export const CELL_RESIDENT_KIB = 2;
/**
 * Index of the number of the run's calls waiting for an approver, written by
 * the main thread: while it is above zero the run's wall clock pauses and the
 * subprocess's CPU time counts against its deadline instead.
 */
export const CELL_WAITING = 3;
/**
 * Index of how many waits have begun, written by the main thread: a new one
 * restarts the pause's bound (`maxPauseMs` counts from the latest wait).
 */
export const CELL_WAITS_BEGUN = 4;
/**
 * Index of the stop flag, written by the main thread: `1` once the run is no
 * longer watched. The watchdog reads it before every check, so stopping a
 * watch needs no message (and no wake-up of the watchdog's thread).
 */
export const CELL_STOPPED = 5;
/** Number of `Int32` slots in a cell. */
export const CELL_LENGTH = 6;

/** The run passed its deadline. */
export const VERDICT_TIMEOUT = 1;
/** The run's resident memory passed its cap. */
export const VERDICT_MEMORY = 2;

/** What the main thread tells the watchdog. */
export type ToWatchdog = {
  t: "watch";
  id: number;
  pid: number;
  /** Milliseconds from when the watchdog receives this message. */
  timeoutMs: number;
  /** Resident-memory cap in bytes. */
  rssLimit: number;
  /**
   * The longest the wall clock stays paused after the latest call began to
   * wait for an approver, in milliseconds; past it, waiting counts as
   * running again.
   */
  maxPauseMs: number;
  /** Peak = highest sampled resident memory, not the high-water mark. */
  peakFromSamples: boolean;
  /** A `SharedArrayBuffer` of `CELL_LENGTH` Int32 slots. */
  cell: SharedArrayBuffer;
};

/** What the watchdog tells the main thread. */
export type FromWatchdog =
  /** It started and can kill by pid and read `/proc`. */
  | { t: "ready" }
  /** It started but cannot enforce (missing permissions). */
  | { t: "unusable"; message: string }
  /** It decided about a run; the verdict is in the run's cell. */
  | { t: "verdict"; id: number }
  /** A kill failed; the main thread's own kill follows. */
  | { t: "fault"; message: string };

/**
 * How the broker's main thread and its watchdog thread share the runs being
 * watched: a table in shared memory, because a message posted to a thread
 * can wait for the poster's event loop, and the main thread may be stuck in
 * synchronous work right after it starts a run. The main thread writes a
 * slot and marks it new; the watchdog polls the table, writes its verdict
 * into the slot before it kills, and only then tells the main thread.
 *
 * @module
 */

/** How often the watchdog reads the table and each run's memory, in ms. */
export const WATCHDOG_SAMPLE_MS = 5;

/** Slots in the table: the most runs one broker can have watched at once. */
export const WATCH_SLOTS = 4096;

/** A slot nobody uses, or one the watchdog let go of. */
export const SLOT_FREE = 0;
/** Written by the main thread; the watchdog has not seen it yet. */
export const SLOT_NEW = 1;
/** Watched. */
export const SLOT_WATCHING = 2;
/** The main thread asks the watchdog to let go (the run settled). */
export const SLOT_STOP = 3;

/** No verdict. */
export const VERDICT_NONE = 0;
/** The run passed its deadline. */
export const VERDICT_TIMEOUT = 1;
/** The run's resident memory passed its cap. */
export const VERDICT_MEMORY = 2;

// Int32 fields of a slot, at `slot * INT_FIELDS + field`.
/** The slot's state (`SLOT_*`). */
export const I_STATE = 0;
/** The watched process's pid. */
export const I_PID = 1;
/** A number the main thread changes on every use of the slot. */
export const I_SEQ = 2;
/** The verdict (`VERDICT_*`), written before the kill. */
export const I_VERDICT = 3;
/** The highest resident memory seen, in KiB. */
export const I_PEAK_KIB = 4;
/** The resident memory that broke the cap, in KiB. */
export const I_RESIDENT_KIB = 5;
/** Int32 fields per slot. */
export const INT_FIELDS = 6;
/**
 * Index, after the slots' Int32 fields, of one more than the highest slot
 * the main thread has used: the watchdog reads no further.
 */
export const I_HIGH_WATER = WATCH_SLOTS * INT_FIELDS;

// Float64 fields of a slot, at `slot * FLOAT_FIELDS + field`.
/** Milliseconds from when the watchdog first sees the slot. */
export const F_TIMEOUT_MS = 0;
/** The resident-memory cap in bytes. */
export const F_RSS_LIMIT = 1;
/** Float64 fields per slot. */
export const FLOAT_FIELDS = 2;

/** The shared memory of one broker's watchdog. */
export interface WatchTable {
  /** `WATCH_SLOTS * INT_FIELDS + 1` Int32 values (the last: `I_HIGH_WATER`). */
  ints: SharedArrayBuffer;
  /** `WATCH_SLOTS * FLOAT_FIELDS` Float64 values. */
  floats: SharedArrayBuffer;
}

/** What the main thread tells the watchdog, once, when it starts. */
export type ToWatchdog = { t: "table"; table: WatchTable };

/** What the watchdog tells the main thread. */
export type FromWatchdog =
  /** It started and can kill by pid and read `/proc`. */
  | { t: "ready" }
  /** It started but cannot enforce (missing permissions). */
  | { t: "unusable"; message: string }
  /** It decided about the run in `slot` (used for the `seq`th time). */
  | { t: "verdict"; slot: number; seq: number }
  /** A kill failed; the main thread's own kill follows. */
  | { t: "fault"; message: string };

/**
 * The isolation modes a broker can run in.
 *
 * @module
 */

/**
 * How runs are isolated: `"process"` (a fresh runtime process per run) or
 * `"isolate"` (a fresh V8 isolate per run, in a process that serves many
 * runs of one caller).
 */
export type Isolation = "process" | "isolate";

/** Every {@linkcode Isolation}, in the order the documentation lists them. */
export const ISOLATIONS: readonly Isolation[] = ["process", "isolate"];

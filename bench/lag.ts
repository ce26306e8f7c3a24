/**
 * (8) The broker's event-loop lag: the largest gap between ticks of a 1 ms
 * interval on the broker's thread while it prepares a pathological input at
 * the `maxCodeBytes` limit (256 KiB the TypeScript parser takes seconds on),
 * and while a host tool hands the guest 10 MB of JSON. A gap is time in which
 * nothing else on that thread (another run's frames, an HTTP request) moves.
 * The baseline is the same preparation on the broker's thread, as execbox did
 * before code preparation moved to threads.
 *
 * @module
 */

import { createBroker, defineTool } from "../mod.ts";
import { prepareCode } from "../broker/code/transform.ts";
import { makeRows } from "./data.ts";

/** One lag measurement, run in a fresh process. */
export interface LagSpec {
  kind: "lag";
  /**
   * `prepare`: a run whose code is slow to parse; `prepare-main-thread`: the
   * same parse called on the broker's thread; `tool-result`: a run whose host
   * tool returns 10 MB of rows.
   */
  scenario: "prepare" | "prepare-main-thread" | "tool-result";
}

/** What one repetition measured. */
export interface LagSample {
  /** The largest gap between two ticks of a 1 ms interval, in milliseconds. */
  maxGapMs: number;
  /** How long the measured work took, in milliseconds. */
  workMs: number;
  /** The run's outcome (`ok`, or its error code). */
  outcome: string;
}

/** 262,002 bytes, under the default `maxCodeBytes` of 262,144. */
export const SLOW_TO_PARSE: string = "{" + "x ".repeat(131_000) + "}";

/** Measures one repetition. */
export async function measureLag(spec: LagSpec): Promise<LagSample> {
  const rows = makeRows(62_500); // about 10 MB of JSON
  await using broker = await createBroker({
    pool: { size: 1 },
    limits: { timeoutMs: 60_000, memoryMb: 512, maxResultBytes: 1024 },
    providers: { data: { rows: defineTool({ execute: () => rows }) } },
  });
  // Compiles the host tool path once, outside the measurement.
  await broker.execute("(await data.rows()).length");

  let last = performance.now();
  let maxGapMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
  }, 1);
  // Lets the ticker start before the work does.
  await new Promise((resolve) => setTimeout(resolve, 20));
  maxGapMs = 0;
  last = performance.now();
  const started = performance.now();
  let outcome: string;
  try {
    switch (spec.scenario) {
      case "prepare": {
        const run = await broker.execute(SLOW_TO_PARSE);
        outcome = run.ok ? "ok" : run.error.code;
        break;
      }
      case "prepare-main-thread": {
        // Yields once so the ticker's gap is the parse, not the setup.
        await new Promise((resolve) => setTimeout(resolve, 2));
        const prepared = prepareCode(SLOW_TO_PARSE);
        outcome = prepared.ok ? "ok" : prepared.error.code;
        break;
      }
      case "tool-result": {
        const run = await broker.execute(
          "(await data.rows()).filter((r) => r.amount > 9000).length",
        );
        outcome = run.ok ? "ok" : run.error.code;
        break;
      }
    }
  } finally {
    clearInterval(ticker);
  }
  // The gap still open when the work ended (a synchronous step that ran to
  // the end leaves no tick after it).
  maxGapMs = Math.max(maxGapMs, performance.now() - last);
  return { maxGapMs, workMs: performance.now() - started, outcome };
}

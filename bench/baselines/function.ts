/**
 * The floor, for reference only: the code as a plain `AsyncFunction` in the
 * benchmark's own process, tools passed in as ordinary functions. No
 * boundary at all: no isolation, no copy, no limit.
 *
 * @module
 */

import type { RunOutcome, Sandbox, SandboxOptions } from "../_sandbox.ts";
import { residentMemory } from "../_sandbox.ts";

const AsyncFunction = (async () => {}).constructor as new (
  ...args: string[]
) => (...args: unknown[]) => Promise<unknown>;

/** Creates the in-process `new Function` floor. */
export function createFunctionSandbox(options: SandboxOptions): Sandbox {
  const names = Object.keys(options.tools);
  const values = names.map((ns) => options.tools[ns]);
  return {
    async execute(code: string): Promise<RunOutcome> {
      try {
        const result = await new AsyncFunction(...names, code)(...values);
        return { ok: true, result };
      } catch (error) {
        return { ok: false, error: String(error) };
      }
    },
    lastPeakBytes: () => Promise.resolve(residentMemory("self")?.hwm),
    settle: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

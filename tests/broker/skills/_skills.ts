/** Shared helpers of the skills tests. */

import assert from "node:assert/strict";
import { z } from "zod";
import {
  type Broker,
  type BrokerOptions,
  createBroker,
  defineTool,
  type ExecuteResult,
} from "../../../mod.ts";

/** The value of a run, after checking that it succeeded. */
export function value(run: ExecuteResult): unknown {
  assert.equal(run.ok, true, JSON.stringify(run));
  return run.ok ? run.result : undefined;
}

/** The error of a run, after checking that it failed. */
export function failure(run: ExecuteResult): Record<string, unknown> {
  assert.equal(run.ok, false, JSON.stringify(run));
  return run.ok ? {} : { ...run.error };
}

/** A broker with one tool, `math.double({ n })`, and one warm runtime. */
export function skillBroker(options: BrokerOptions = {}): Promise<Broker> {
  return createBroker({
    pool: { size: 1 },
    providers: {
      math: {
        double: defineTool({
          description: "Doubles a number",
          input: z.object({ n: z.number() }),
          execute: ({ n }) => n * 2,
        }),
      },
    },
    ...options,
  });
}

/** Guest code that saves a skill and returns what `skills.save` threw, else "saved". */
export function saveCode(skill: Record<string, unknown>): string {
  return `
    let outcome = "saved";
    try {
      await skills.save(${JSON.stringify(skill)});
    } catch (error) {
      outcome = error.code + ": " + error.message;
    }
    outcome`;
}

/**
 * The security suite's broker: `createBroker` with `isolation` taken from
 * `EXECBOX_TEST_ISOLATION` ("process" or "isolate"), so the same attacks run
 * against both modes (`deno task test` runs the suite once in each).
 */

import {
  type Broker,
  type BrokerOptions,
  createBroker as create,
} from "../../mod.ts";

/** The isolation the suite runs with now. */
export const TEST_ISOLATION: "process" | "isolate" = _isolation();

// Fixtures run in subprocesses that may not read the environment.
function _isolation(): "process" | "isolate" {
  try {
    return Deno.env.get("EXECBOX_TEST_ISOLATION") === "isolate"
      ? "isolate"
      : "process";
  } catch {
    return "process";
  }
}

/**
 * `createBroker` in the suite's isolation mode, unless the test sets one.
 *
 * @param options The broker's options.
 * @returns A ready broker.
 */
export function createBroker(options: BrokerOptions = {}): Promise<Broker> {
  return create({ isolation: TEST_ISOLATION, ...options });
}

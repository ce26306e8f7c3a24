/**
 * How a tool call's argument is shown to an approver.
 *
 * @module
 */

import { redactValue } from "../redact.ts";

/** What {@linkcode presentArguments} hides. */
export interface PresentArgumentsOptions {
  /**
   * Values replaced by `[redacted]` (the broker's `secrets` and its MCP
   * servers' header values).
   * @default {[]}
   */
  secrets?: readonly string[];
}

/**
 * The argument of a call as an approver sees it: never more than the model
 * itself may see. Secrets are redacted here; features that hide more from
 * the model (such as PII tokenization) hide it here too.
 *
 * @param args The argument the guest passed (JSON).
 * @param options The values to hide.
 * @returns The argument, or a redacted copy.
 *
 * @example Hide a secret from the approver
 * ```ts
 * import assert from "node:assert/strict";
 * import { presentArguments } from "./present_arguments.ts";
 *
 * assert.deepEqual(
 *   presentArguments({ auth: "tok-123", repo: "x" }, { secrets: ["tok-123"] }),
 *   { auth: "[redacted]", repo: "x" },
 * );
 * ```
 */
export function presentArguments(
  args: unknown,
  options: PresentArgumentsOptions = {},
): unknown {
  return redactValue(args, options.secrets ?? []);
}

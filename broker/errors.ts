/**
 * Errors the broker throws to its caller (guest failures are results, not
 * exceptions), and the codes a run can fail with.
 *
 * @module
 */

/**
 * Why a run failed. The first five may be reported by the runtime subprocess;
 * `timeout`, `memory_limit`, `cancelled`, `limit_exceeded` and
 * `internal_error` are decided by the broker alone from what it observes.
 */
export type ErrorCode =
  | "syntax_error"
  | "runtime_error"
  | "tool_error"
  | "validation_error"
  | "serialization_error"
  | "timeout"
  | "memory_limit"
  | "cancelled"
  | "limit_exceeded"
  | "internal_error";

/**
 * The base class of errors execbox throws, with a string `code` to branch on.
 *
 * @example Branch on the code
 * ```ts
 * import { ExecboxError } from "./errors.ts";
 * try {
 *   throw new ExecboxError("broker_closed", "The broker is closed");
 * } catch (error) {
 *   if (error instanceof ExecboxError && error.code === "broker_closed") {
 *     // start a new broker
 *   }
 * }
 * ```
 */
export class ExecboxError extends Error {
  /** A stable identifier of the condition, such as `"broker_closed"`. */
  readonly code: string;

  /**
   * Creates an error with a code.
   *
   * @param code A stable identifier of the condition.
   * @param message What failed and the value that made it fail.
   * @param options The cause, when wrapping another error.
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ExecboxError";
    this.code = code;
  }
}

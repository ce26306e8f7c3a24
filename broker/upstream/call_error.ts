/**
 * What a failed upstream call looks like to guest code.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/types"
import {
  ErrorCode as McpErrorCode,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import { ExecboxError } from "../errors.ts";
import { redact } from "../redact.ts";

/**
 * The error a guest sees for a failed MCP call: a timeout or a disconnect says
 * so in words, invalid parameters are the guest's `validation_error`, and
 * anything else keeps its message with the secrets taken out.
 *
 * @param key The server's key in `mcpServers`.
 * @param name The tool that was called.
 * @param timeout The call's timeout, in milliseconds.
 * @param error What the SDK threw.
 * @param secrets Values never to show.
 * @returns The error to throw to the guest.
 */
export function callError(
  key: string,
  name: string,
  timeout: number,
  error: unknown,
  secrets: readonly string[],
): Error {
  if (error instanceof McpError) {
    switch (error.code) {
      case McpErrorCode.RequestTimeout:
        return new Error(
          `MCP server "${key}" did not answer ${name} within ${timeout} ms`,
          { cause: error },
        );
      case McpErrorCode.ConnectionClosed:
        return new Error(
          `MCP server "${key}" disconnected during a call to ${name}`,
          { cause: error },
        );
      case McpErrorCode.InvalidParams:
        return new ExecboxError(
          "validation_error",
          redact(error.message, secrets),
          { cause: error },
        );
    }
  }
  if (error instanceof ExecboxError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new Error(redact(message, secrets), { cause: error });
}

/**
 * A tool's value as the bytes of a `result` frame's payload, encoded once.
 *
 * @module
 */

import { encodeToolResult } from "../tools/catalog.ts";

/** A tool result ready to send: its payload bytes and how to read them. */
export interface ToolPayload {
  /** The payload: JSON text, or with `text` the string itself, as UTF-8. */
  bytes: Uint8Array;
  /** Whether the value is a string sent as itself rather than as JSON. */
  text: boolean;
}

const _UTF8 = new TextEncoder();

// `String.prototype.isWellFormed` (ES2024), typed here for older libs.
const _wellFormed = (String.prototype as { isWellFormed?: () => boolean })
  .isWellFormed;
function _isWellFormed(text: string): boolean {
  return typeof _wellFormed === "function" && _wellFormed.call(text);
}

/**
 * Encodes a tool's value for the runtime. A string travels as itself: JSON
 * would escape every quote in it here and parse them away again in the
 * guest, for an 11 MB string most of the time it takes to arrive.
 *
 * @param value What the tool returned.
 * @returns The payload.
 * @throws {ExecboxError} `tool_error` when the value is not JSON.
 */
export function encodeToolPayload(value: unknown): ToolPayload {
  // A lone surrogate has no UTF-8 form; JSON keeps it as an escape.
  if (typeof value === "string" && _isWellFormed(value)) {
    return { bytes: _UTF8.encode(value), text: true };
  }
  return { bytes: _UTF8.encode(encodeToolResult(value)), text: false };
}

/**
 * Values that cross the boundary as JSON text: read from the subprocess
 * without trusting their depth, and error messages cut for the guest.
 *
 * @module
 */

import { MAX_JSON_DEPTH } from "../../runtime/protocol.ts";

/** The longest error message a guest or a verdict carries, in characters. */
export const MAX_MESSAGE_CHARS = 4096;

// Depth of JSON text without parsing it, so a hostile frame cannot make the
// broker build a deeply nested value.
function _exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

/** Parses JSON text from the subprocess: "" is `undefined`; bad JSON throws. */
export function parsePayload(text: string): unknown {
  if (text === "") return undefined;
  if (_exceedsDepth(text, MAX_JSON_DEPTH + 1)) {
    throw new Error(`value nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  return JSON.parse(text);
}

/** An error's message as the guest may see it: at most {@linkcode MAX_MESSAGE_CHARS}. */
export function guestMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, MAX_MESSAGE_CHARS);
}

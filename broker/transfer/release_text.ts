/**
 * A payload read from the subprocess, decoded to text, with its bytes given
 * back at once rather than when the garbage collector gets to them.
 *
 * @module
 */

import { freeBuffer } from "./free_buffer.ts";

const _DECODER = new TextDecoder();

/**
 * Decodes UTF-8 bytes and frees their memory: when the view covers a buffer
 * of its own (as the frame decoder's payloads do), the buffer is detached,
 * which releases its backing store now. A 10 MB result is then held as bytes
 * and as text for a moment only, not while it is parsed.
 *
 * @param bytes The payload; unusable afterwards when its buffer was its own.
 * @returns The text.
 *
 * @example Decode a payload
 * ```ts
 * import assert from "node:assert/strict";
 * import { releaseText } from "./release_text.ts";
 *
 * const text = `[${"1,".repeat(40_000)}1]`;
 * const bytes = new TextEncoder().encode(text);
 * assert.equal(releaseText(bytes), text);
 * assert.equal(bytes.length, 0); // detached: its memory is free
 * ```
 */
export function releaseText(bytes: Uint8Array): string {
  const text = _DECODER.decode(bytes);
  if (bytes.byteLength >= 65_536) freeBuffer(bytes);
  return text;
}

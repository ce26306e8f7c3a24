/**
 * Redaction of injected header values from a response body, on its bytes, so
 * a body that is not UTF-8 is redacted too and otherwise left byte for byte.
 *
 * @module
 */

const _REDACTED = new TextEncoder().encode("[redacted]");

/**
 * Replaces every occurrence of each needle in `bytes` with `[redacted]`,
 * longest needles first.
 *
 * @param bytes The body.
 * @param needles The byte strings to hide (empty ones are ignored).
 * @returns `bytes` itself when nothing matched, else a new array.
 *
 * @example Redact a token
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactBytes } from "./redact_bytes.ts";
 *
 * const enc = new TextEncoder();
 * const out = redactBytes(enc.encode("auth=tok123;"), [enc.encode("tok123")]);
 * assert.equal(new TextDecoder().decode(out), "auth=[redacted];");
 * ```
 */
export function redactBytes(
  bytes: Uint8Array,
  needles: readonly Uint8Array[],
): Uint8Array {
  const sorted = needles.filter((n) => n.length > 0)
    .sort((a, b) => b.length - a.length);
  let out = bytes;
  for (const needle of sorted) out = _replaceAll(out, needle);
  return out;
}

function _replaceAll(bytes: Uint8Array, needle: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  const first = needle[0]!;
  let from = 0;
  let at = bytes.indexOf(first, 0);
  while (at !== -1 && at + needle.length <= bytes.length) {
    let match = true;
    for (let i = 1; i < needle.length; i++) {
      if (bytes[at + i] !== needle[i]) {
        match = false;
        break;
      }
    }
    if (match) {
      parts.push(bytes.subarray(from, at), _REDACTED);
      from = at + needle.length;
      at = bytes.indexOf(first, from);
    } else {
      at = bytes.indexOf(first, at + 1);
    }
  }
  if (parts.length === 0) return bytes;
  parts.push(bytes.subarray(from));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

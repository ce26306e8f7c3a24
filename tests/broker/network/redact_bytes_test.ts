import assert from "node:assert/strict";
import { redactBytes } from "../../../broker/network/redact_bytes.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("redactBytes() replaces every occurrence, longest needle first, in binary bodies too", () => {
  const body = Uint8Array.of(0xff, ...enc.encode("abcd abcdef"), 0x00, 0xfe);
  const out = redactBytes(body, [enc.encode("abcd"), enc.encode("abcdef")]);
  assert.deepEqual(
    out,
    Uint8Array.of(0xff, ...enc.encode("[redacted] [redacted]"), 0x00, 0xfe),
  );
});

Deno.test("redactBytes() returns the same bytes when nothing matches, and handles overlaps at the end", () => {
  const body = enc.encode("aaab");
  assert.equal(redactBytes(body, [enc.encode("xyz"), new Uint8Array()]), body);
  assert.equal(
    dec.decode(redactBytes(body, [enc.encode("aab")])),
    "a[redacted]",
  );
  assert.equal(
    dec.decode(redactBytes(enc.encode("ab"), [enc.encode("abc")])),
    "ab",
  );
});

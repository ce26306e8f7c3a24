import assert from "node:assert/strict";
import { decodeBase64, encodeBase64 } from "../../../broker/network/base64.ts";

const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) % 256);

Deno.test("encodeBase64() and decodeBase64() round-trip with and without the native methods (Node.js 20)", () => {
  const native = encodeBase64(bytes);
  assert.deepEqual(decodeBase64(native), bytes);
  const u8 = Uint8Array as unknown as Record<string, unknown> & {
    prototype: Record<string, unknown>;
  };
  const from = Object.getOwnPropertyDescriptor(u8, "fromBase64")!;
  const to = Object.getOwnPropertyDescriptor(u8.prototype, "toBase64")!;
  delete u8.fromBase64;
  delete u8.prototype.toBase64;
  try {
    assert.equal(encodeBase64(bytes), native);
    assert.deepEqual(decodeBase64(native), bytes);
    assert.throws(() => decodeBase64("*"));
  } finally {
    Object.defineProperty(u8, "fromBase64", from);
    Object.defineProperty(u8.prototype, "toBase64", to);
  }
});

/**
 * Base64 for bodies crossing the protocol, on every host: the native
 * `Uint8Array.fromBase64` / `toBase64` where the engine has them (Deno), else
 * `atob` / `btoa` in chunks (Node.js 20 and 22).
 *
 * @module
 */

type _Native = {
  fromBase64?: (text: string) => Uint8Array<ArrayBuffer>;
  prototype: { toBase64?: () => string };
};
const _native = Uint8Array as unknown as _Native;
const _CHUNK = 0x8000;

/**
 * Encodes bytes as base64.
 *
 * @param bytes The bytes.
 * @returns The base64 text.
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeBase64, encodeBase64 } from "./base64.ts";
 *
 * assert.equal(encodeBase64(Uint8Array.of(104, 105)), "aGk=");
 * assert.deepEqual(decodeBase64("aGk="), Uint8Array.of(104, 105));
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  if (typeof _native.prototype.toBase64 === "function") {
    return _native.prototype.toBase64.call(bytes);
  }
  let binary = "";
  for (let i = 0; i < bytes.length; i += _CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + _CHUNK));
  }
  return btoa(binary);
}

/**
 * Decodes base64 text.
 *
 * @param text The base64 text.
 * @returns The bytes.
 * @throws {SyntaxError} When the text is not base64 (its exact type depends on the host).
 */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  if (typeof _native.fromBase64 === "function") return _native.fromBase64(text);
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

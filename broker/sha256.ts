/**
 * The digest the audit trail uses to identify code and arguments without
 * storing them.
 *
 * @module
 */

import { createHash } from "node:crypto";

/**
 * The SHA-256 digest of a string's UTF-8 bytes, as 64 lowercase hex digits.
 * Synchronous (unlike `crypto.subtle.digest`) so a record can be built in the
 * same turn as the run's result.
 *
 * @param text The text to hash, such as the code of a run or the JSON text of
 * a call's argument.
 * @returns The hex digest.
 *
 * @example Hash a string
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "./sha256.ts";
 *
 * assert.equal(
 *   sha256Hex("abc"),
 *   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
 * );
 * ```
 */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * Frees the memory of a byte array the caller owns, now rather than at the
 * next garbage collection.
 *
 * @module
 */

type _Transferable = ArrayBuffer & {
  transfer?: (length: number) => ArrayBuffer;
  detached?: boolean;
};

// `ArrayBuffer.prototype.transfer` (ES2024): absent on Node.js 20, where
// the bytes are left to the garbage collector.
const _transfer = (ArrayBuffer.prototype as _Transferable).transfer;

/**
 * Detaches the `ArrayBuffer` under `bytes` when `bytes` is all of it, which
 * releases its backing store at once. Only for buffers nothing else uses:
 * every view of it becomes empty.
 *
 * @param bytes A view of a buffer the caller owns.
 * @returns Whether the buffer was freed.
 *
 * @example Free a buffer
 * ```ts
 * import assert from "node:assert/strict";
 * import { freeBuffer } from "./free_buffer.ts";
 *
 * const bytes = new Uint8Array(1024);
 * assert.equal(freeBuffer(bytes), true);
 * assert.equal(bytes.length, 0);
 * ```
 */
export function freeBuffer(bytes: Uint8Array): boolean {
  const buffer = bytes.buffer as _Transferable;
  if (
    typeof _transfer !== "function" || !(buffer instanceof ArrayBuffer) ||
    buffer.detached === true || bytes.byteOffset !== 0 ||
    bytes.byteLength !== buffer.byteLength
  ) {
    return false;
  }
  _transfer.call(buffer, 0);
  return true;
}

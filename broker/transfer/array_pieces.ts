/**
 * A large array tool result encoded in pieces, each the JSON text of a slice
 * of its elements, so the first piece is in the pipe (and being parsed in the
 * guest) while the broker still encodes the rest.
 *
 * @module
 */

import { encodeToolResult } from "../tools/catalog.ts";
import { PIECE_BYTES, PIECES_FROM_BYTES } from "../../runtime/protocol.ts";

/** One piece of an array's JSON: its UTF-8 bytes, and whether it is the last. */
export interface ArrayPiece {
  /** The JSON text of an array of consecutive elements, as UTF-8. */
  bytes: Uint8Array;
  /** Whether no piece follows. */
  last: boolean;
}

/** Options of {@linkcode arrayPieces}. */
export interface ArrayPiecesOptions {
  /**
   * The estimated JSON size, in bytes, from which an array goes in pieces.
   * @default {PIECES_FROM_BYTES}
   */
  fromBytes?: number;
  /**
   * The size each piece aims at, in bytes.
   * @default {PIECE_BYTES}
   */
  pieceBytes?: number;
}

const _UTF8 = new TextEncoder();
// Elements encoded to estimate an array's size.
const _SAMPLE = 64;

/**
 * Decides whether `value` goes in pieces and, if so, returns them one at a
 * time, each encoded when it is asked for. The rule: a top-level array with at
 * least two elements and no `toJSON` of its own whose first 64 elements,
 * encoded, average out to `fromBytes` or more for the whole array. Each piece
 * holds as many elements as the sizes so far say make `pieceBytes`, at least
 * one. Joined (`]` `[` between pieces made a comma), the pieces are the
 * array's JSON text byte for byte.
 *
 * @param value What the tool returned.
 * @param options The thresholds.
 * @returns The pieces, or `undefined` when the value travels whole.
 * @throws {ExecboxError} (while iterating) `tool_error` when an element is not
 * JSON, with the path in the whole array.
 *
 * @example Encode an array in pieces
 * ```ts
 * import assert from "node:assert/strict";
 * import { arrayPieces } from "./array_pieces.ts";
 *
 * const pieces = arrayPieces([1, 2, 3], { fromBytes: 1, pieceBytes: 2 })!;
 * const texts = [...pieces].map((p) => new TextDecoder().decode(p.bytes));
 * assert.deepEqual(texts, ["[1]", "[2]", "[3]"]);
 * ```
 */
export function arrayPieces(
  value: unknown,
  options: ArrayPiecesOptions = {},
): Iterable<ArrayPiece> | undefined {
  const fromBytes = options.fromBytes ?? PIECES_FROM_BYTES;
  const pieceBytes = options.pieceBytes ?? PIECE_BYTES;
  if (
    !Array.isArray(value) || value.length < 2 ||
    typeof (value as { toJSON?: unknown }).toJSON === "function"
  ) return undefined;
  const array: unknown[] = value;
  const sampled = Math.min(array.length, _SAMPLE);
  let sample: string;
  try {
    sample = encodeToolResult(array.slice(0, sampled));
  } catch {
    return undefined; // the whole array's encoder reports it, with its path
  }
  // Characters, not bytes: close enough to decide, and no encoding.
  const perElement = Math.max(1, (sample.length - 1) / sampled);
  if (perElement * array.length < fromBytes) return undefined;
  return _pieces(array, pieceBytes, perElement);
}

function* _pieces(
  array: unknown[],
  pieceBytes: number,
  perElement: number,
): Generator<ArrayPiece> {
  let at = 0;
  let count = Math.max(1, Math.floor(pieceBytes / perElement));
  while (at < array.length) {
    const end = Math.min(array.length, at + count);
    let text: string;
    try {
      text = encodeToolResult(array.slice(at, end));
    } catch (error) {
      // Said again of the whole array, so the path counts from its start.
      encodeToolResult(array);
      throw error;
    }
    const bytes = _UTF8.encode(text);
    // The next piece's count from this one's size per element.
    const measured = Math.max(1, bytes.length / (end - at));
    count = Math.max(1, Math.floor(pieceBytes / measured));
    at = end;
    yield { bytes, last: at === array.length };
  }
}

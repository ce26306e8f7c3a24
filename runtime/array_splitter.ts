/**
 * Cuts the UTF-8 JSON text of a large top-level array into pieces, each
 * itself the JSON text of an array of consecutive elements, so the runtime's
 * main thread can send a large result in pieces the broker parses as they
 * arrive.
 *
 * The function is self-contained: the runtime injects its source with
 * `Function.prototype.toString`. It runs on the main thread (trusted code);
 * the broker checks every piece it receives anyway. It scans bytes, not
 * characters: no byte of a multi-byte UTF-8 sequence is ASCII, so quotes,
 * brackets and commas are found the same way, about three times as fast.
 *
 * @module
 */

/**
 * Splits `json` at top-level commas into pieces of about `pieceBytes` bytes
 * each, found as they are asked for, so the first is sent while the rest is
 * still scanned. Yields nothing when `json` is not an array of at least
 * `fromBytes` bytes (then it travels whole), and one piece, the whole array,
 * when it has no top-level comma past `pieceBytes`.
 *
 * @param json UTF-8 JSON text as `JSON.stringify` writes it (no whitespace).
 * @param fromBytes The shortest text that is split.
 * @param pieceBytes The size each piece aims at; a piece is cut at the first
 * top-level comma after it, so one large element makes a larger piece.
 * @returns The pieces, in order, each a new buffer; together they hold every
 * element once.
 * @yields Each piece.
 *
 * @example Split an array
 * ```ts
 * import { splitArrayJson } from "./array_splitter.ts";
 * const json = new TextEncoder().encode('[1,"a,b",[2,3]]');
 * [...splitArrayJson(json, 1, 1)]; // the bytes of [1], ["a,b"] and [[2,3]]
 * ```
 */
export function* splitArrayJson(
  json: Uint8Array,
  fromBytes: number,
  pieceBytes: number,
): Generator<Uint8Array, void, undefined> {
  const end = json.length - 1;
  if (json.length < fromBytes || json[0] !== 91 || json[end] !== 93) return;
  let start = 1;
  let depth = 0;
  for (let i = 1; i < end; i++) {
    const c = json[i]!;
    if (c === 34) {
      // A string: on to its closing quote, past escaped characters.
      for (i++; i < end; i++) {
        const q = json[i]!;
        if (q === 92) i++;
        else if (q === 34) break;
      }
    } else if (c === 91 || c === 123) depth++;
    else if (c === 93 || c === 125) depth--;
    else if (c === 44 && depth === 0 && i - start >= pieceBytes) {
      yield piece(start, i);
      start = i + 1;
    }
  }
  yield piece(start, end);

  function piece(from: number, to: number): Uint8Array {
    const out = new Uint8Array(to - from + 2);
    out[0] = 91;
    out.set(json.subarray(from, to), 1);
    out[out.length - 1] = 93;
    return out;
  }
}

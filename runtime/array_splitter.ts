/**
 * Cuts the JSON text of a large top-level array into pieces, each itself the
 * JSON text of an array of consecutive elements, so the runtime's main
 * thread can send a large result in pieces the broker parses as they arrive.
 *
 * The function is self-contained: the runtime injects its source with
 * `Function.prototype.toString`. It runs on the main thread (trusted code);
 * the broker checks every piece it receives anyway.
 *
 * @module
 */

/**
 * Splits `json` at top-level commas into pieces of about `pieceChars`
 * characters each, or returns `undefined` when it is not an array of at
 * least `fromChars` characters (then it travels whole).
 *
 * @param json JSON text as `JSON.stringify` writes it (no whitespace).
 * @param fromChars The shortest text that is split.
 * @param pieceChars The length each piece aims at; a piece is cut at the
 * first top-level comma after it, so one large element makes a larger piece.
 * @returns The pieces, in order; together they hold every element once.
 *
 * @example Split an array
 * ```ts
 * import { splitArrayJson } from "./array_splitter.ts";
 * splitArrayJson('[1,"a,b",[2,3]]', 1, 1); // ["[1]", '["a,b"]', "[[2,3]]"]
 * ```
 */
export function splitArrayJson(
  json: string,
  fromChars: number,
  pieceChars: number,
): string[] | undefined {
  const end = json.length - 1;
  if (
    json.length < fromChars || json.charCodeAt(0) !== 91 ||
    json.charCodeAt(end) !== 93 || end === 1
  ) return undefined;
  const pieces: string[] = [];
  let start = 1;
  let depth = 0;
  let inString = false;
  for (let i = 1; i < end; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) depth++;
    else if (c === 93 || c === 125) depth--;
    else if (c === 44 && depth === 0 && i - start >= pieceChars) {
      pieces.push(`[${json.slice(start, i)}]`);
      start = i + 1;
    }
  }
  if (pieces.length === 0) return undefined;
  pieces.push(`[${json.slice(start, end)}]`);
  return pieces;
}

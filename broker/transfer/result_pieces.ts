/**
 * A run's result read in pieces: the runtime sends a large array result as
 * `piece` frames and a `done` frame with `pieces`, and each piece is checked,
 * parsed and its bytes freed as it arrives, so the whole result never sits in
 * the broker as one buffer or one string.
 *
 * @module
 */

import { releaseText } from "./release_text.ts";

/** Why the pieces were refused: the run's outcome. */
export interface PieceRefusal {
  /** `limit_exceeded` for a result over the cap, else `internal_error`. */
  code: "limit_exceeded" | "internal_error";
  /** What failed, with the value. */
  message: string;
  /** The limit passed, with `limit_exceeded`. */
  limit?: "maxResultBytes";
}

/**
 * Collects the pieces of one run's result. Its size is counted as the bytes
 * of the array's JSON text (each piece's bytes, less one for the bracket the
 * join turns into a comma), so the cap means what it means for a result that
 * travels whole.
 */
export class ResultPieces {
  readonly #maxBytes: number;
  readonly #parse: (text: string) => unknown;
  #items: unknown[] = [];
  #count = 0;
  #bytes = 0;

  /**
   * @param maxBytes The result's cap, `maxResultBytes`.
   * @param parse Parses a piece's text, checking its depth before it builds
   * anything; throws on bad JSON.
   */
  constructor(maxBytes: number, parse: (text: string) => unknown) {
    this.#maxBytes = maxBytes;
    this.#parse = parse;
  }

  /** Pieces received so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * Checks and parses a piece and keeps its elements; its bytes are freed.
   *
   * @param payload The piece: the JSON text of a non-empty array.
   * @returns `undefined` when it was taken, else the refusal.
   */
  add(payload: Uint8Array): PieceRefusal | undefined {
    this.#count++;
    // The text so far as one array: brackets around pieces joined by commas.
    this.#bytes += this.#count === 1 ? payload.length : payload.length - 1;
    if (this.#bytes > this.#maxBytes) {
      return {
        code: "limit_exceeded",
        message:
          `Result reached ${this.#bytes} bytes in ${this.#count} pieces, more than the limit of ${this.#maxBytes}`,
        limit: "maxResultBytes",
      };
    }
    let piece: unknown;
    try {
      piece = this.#parse(releaseText(payload));
    } catch (error) {
      return {
        code: "internal_error",
        message: `Runtime sent a bad result: piece ${this.#count}: ${
          (error as Error).message
        }`,
      };
    }
    if (!Array.isArray(piece) || piece.length === 0) {
      return {
        code: "internal_error",
        message:
          `Runtime sent a bad result: piece ${this.#count} is not a non-empty array`,
      };
    }
    const items = this.#items;
    for (let i = 0; i < piece.length; i++) items.push(piece[i]);
    return undefined;
  }

  /**
   * Takes the last piece and returns the whole array.
   *
   * @param payload The last piece.
   * @param pieces The count the runtime announced, the last piece included.
   * @returns The array, or the refusal.
   */
  finish(
    payload: Uint8Array,
    pieces: number,
  ): { result: unknown[] } | PieceRefusal {
    const refusal = this.add(payload);
    if (refusal !== undefined) return refusal;
    if (pieces !== this.#count) {
      return {
        code: "internal_error",
        message:
          `Runtime sent a bad result: ${this.#count} pieces, announced ${pieces}`,
      };
    }
    const result = this.#items;
    this.#items = [];
    return { result };
  }
}

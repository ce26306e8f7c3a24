/**
 * Puts a large array tool result back together in the guest's Worker as its
 * pieces arrive: each piece (a JSON array of the next elements) is parsed
 * when it lands and its elements appended, so only the last piece is left
 * to parse when the last byte is in.
 *
 * The factory is self-contained: the runtime injects its source into the
 * Worker, where it runs before guest code and captures every intrinsic it
 * uses. The array being filled has no prototype until it is complete, so an
 * index setter a guest put on `Array.prototype` or `Object.prototype` sees
 * none of its elements; it is given `Array.prototype` back before the guest
 * gets it.
 *
 * @module
 */

/** The Worker's collector of tool results sent in pieces, by call id. */
export interface PieceAssembler {
  /**
   * Parses a piece of call `id`'s result and appends its elements. A piece
   * that is not a JSON array marks the result broken.
   */
  add(id: number, text: string): void;
  /**
   * Parses the last piece, checks the count, and returns the array, or the
   * message saying why the pieces did not make one.
   *
   * @param id The call.
   * @param text The last piece.
   * @param pieces How many pieces the result had, the last one included.
   */
  finish(id: number, text: string, pieces: number): unknown[] | string;
  /** Forgets what came of call `id` (its call failed or ended). */
  drop(id: number): void;
}

/**
 * Creates a {@linkcode PieceAssembler}, capturing the intrinsics it needs now.
 *
 * @returns The assembler.
 *
 * @example Assemble two pieces
 * ```ts
 * import { createPieceAssembler } from "./piece_assembler.ts";
 * const pieces = createPieceAssembler();
 * pieces.add(1, "[1,2]");
 * pieces.finish(1, "[3]", 2); // [1, 2, 3]
 * ```
 */
export function createPieceAssembler(): PieceAssembler {
  const parse = JSON.parse;
  const isArray = Array.isArray;
  const setPrototypeOf = Object.setPrototypeOf;
  const arrayPrototype = Array.prototype;
  const apply = Reflect.apply;
  const MapCtor = Map;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const mapDelete = Map.prototype.delete;

  interface Partial {
    /** The elements so far, in an array with no prototype; none before the first piece. */
    items: unknown[] | undefined;
    count: number;
    broken: boolean;
  }
  const open = new MapCtor<number, Partial>();

  function fresh(): Partial {
    return { __proto__: null, items: undefined, count: 0, broken: false } as
      & Partial
      & { __proto__: null };
  }

  function append(into: Partial, text: string): void {
    into.count++;
    if (into.broken) return;
    let piece: unknown;
    try {
      piece = parse(text);
    } catch {
      into.broken = true;
      return;
    }
    if (!isArray(piece)) {
      into.broken = true;
      return;
    }
    // Element reads and writes below touch own properties only: a parsed
    // array has every index as its own, and `items` has no prototype.
    if (into.items === undefined) {
      setPrototypeOf(piece, null);
      into.items = piece;
      return;
    }
    const items = into.items;
    const n = items.length;
    const m = piece.length;
    for (let i = 0; i < m; i++) items[n + i] = piece[i];
  }

  return {
    add(id: number, text: string): void {
      let into = apply(mapGet, open, [id]) as Partial | undefined;
      if (into === undefined) {
        into = fresh();
        apply(mapSet, open, [id, into]);
      }
      append(into, text);
    },
    finish(id: number, text: string, pieces: number): unknown[] | string {
      const into = (apply(mapGet, open, [id]) as Partial | undefined) ??
        fresh();
      apply(mapDelete, open, [id]);
      append(into, text);
      if (into.broken || into.items === undefined) {
        return "Tool result arrived as a broken piece of an array";
      }
      if (into.count !== pieces) {
        return `Tool result arrived in ${into.count} pieces, expected ${pieces}`;
      }
      setPrototypeOf(into.items, arrayPrototype);
      return into.items;
    },
    drop(id: number): void {
      apply(mapDelete, open, [id]);
    },
  };
}

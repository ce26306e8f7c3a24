/**
 * Sends a tool result in pieces: a `piece` frame as each piece is encoded,
 * the last one as the `result` frame with `pieces`, each admitted against the
 * byte caps before it leaves.
 *
 * @module
 */

import type { BrokerFrame } from "../../runtime/protocol.ts";
import { ExecboxError } from "../errors.ts";
import type { ArrayPiece } from "./array_pieces.ts";
import type {
  ToolResultBudget,
  ToolResultRefusal,
} from "./tool_result_budget.ts";

/** Options of {@linkcode sendPieces}. */
export interface SendPiecesOptions {
  /** The call's id. */
  id: number;
  /** The tool's path (`"ns.name"`). */
  tool: string;
  /** Writes one frame to the runtime. */
  send: (frame: BrokerFrame, payload?: Uint8Array | string) => Promise<void>;
  /** The run's result caps. */
  budget: ToolResultBudget;
  /** Whether the run has ended, so nothing more is sent. */
  ended: () => boolean;
}

/** How sending ended, when it did not end with the whole result sent. */
export type SendPiecesOutcome =
  /** A cap was reached: the run ends; what was sent stays incomplete. */
  | { refusal: ToolResultRefusal }
  /** An element is not JSON: the call failed, and a failed `result` was sent. */
  | { error: ExecboxError };

/**
 * Sends `pieces` as the answer to call `id`. Each piece is encoded while the
 * one before is written, and sent once that write is done, so the runtime
 * parses one while the next is encoded. The bytes counted are the array's JSON text's (a piece's bytes,
 * less one for each join after the first), so the caps mean what they mean
 * for a result sent whole.
 *
 * @param pieces From {@linkcode arrayPieces}.
 * @param options The call and where to send.
 * @returns `undefined` when the result was sent (or the run ended), else why
 * it was not.
 * @throws What the pieces' iterator throws, other than a `tool_error`.
 */
export async function sendPieces(
  pieces: Iterable<ArrayPiece>,
  options: SendPiecesOptions,
): Promise<SendPiecesOutcome | undefined> {
  const { id, tool, send, budget, ended } = options;
  let count = 0;
  let bytes = 0;
  const iterator = pieces[Symbol.iterator]();
  // The write before, still going: the next piece is encoded meanwhile, and
  // at most two pieces are held at once.
  let writing: Promise<void> = Promise.resolve();
  for (;;) {
    let next: IteratorResult<ArrayPiece>;
    try {
      next = iterator.next();
    } catch (error) {
      if (!(error instanceof ExecboxError) || error.code !== "tool_error") {
        throw error;
      }
      await writing;
      if (!ended()) {
        await send(
          { t: "result", id, ok: false, code: "tool_error", tool },
          error.message.slice(0, 4096),
        );
      }
      return { error };
    }
    await writing;
    if (next.done || ended()) return undefined;
    const piece = next.value;
    count++;
    const part = count === 1 ? piece.bytes.length : piece.bytes.length - 1;
    bytes += part;
    const refusal = budget.admitPart(tool, bytes, part);
    if (refusal !== undefined) return { refusal };
    writing = send(
      piece.last
        ? { t: "result", id, ok: true, pieces: count }
        : { t: "piece", id },
      piece.bytes,
    );
    if (piece.last) {
      await writing;
      return undefined;
    }
  }
}

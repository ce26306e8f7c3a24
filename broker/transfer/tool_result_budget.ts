/**
 * The bytes of tool results one run may receive: each call's result, and all
 * of them together. Both count the UTF-8 bytes of the payload the broker
 * sends the runtime, measured before it is sent.
 *
 * @module
 */

/** Which cap a result passed, and the message that says so. */
export interface ToolResultRefusal {
  /** The limit's name, as `ExecuteError.limit` reports it. */
  limit: "maxToolResultBytes" | "maxRunToolResultBytes";
  /** What failed, with the sizes. */
  message: string;
}

/** Counts tool-result bytes against the per-call and per-run caps. */
export class ToolResultBudget {
  readonly #perCall: number;
  readonly #perRun: number;
  #received = 0;

  /**
   * @param perCall The most bytes one result may have.
   * @param perRun The most bytes the results of one run may have together.
   */
  constructor(perCall: number, perRun: number) {
    this.#perCall = perCall;
    this.#perRun = perRun;
  }

  /** Bytes of results admitted so far. */
  get received(): number {
    return this.#received;
  }

  /**
   * Admits one result of `bytes`, or says which cap it passes (and then
   * counts nothing).
   *
   * @param tool The tool's path (`"ns.name"`), for the message.
   * @param bytes The result's payload size.
   * @returns `undefined` when it fits, else the refusal.
   */
  admit(tool: string, bytes: number): ToolResultRefusal | undefined {
    return this.admitPart(tool, bytes, bytes);
  }

  /**
   * Admits the next part of a result sent in pieces: the call's bytes so far
   * against the per-call cap, and the part's own bytes against what is left
   * of the run's (counted when it fits, so results sent at the same time
   * cannot pass the run's cap together).
   *
   * @param tool The tool's path (`"ns.name"`), for the message.
   * @param callBytes The result's size so far, this part included.
   * @param partBytes This part's share of it.
   * @returns `undefined` when it fits, else the refusal.
   */
  admitPart(
    tool: string,
    callBytes: number,
    partBytes: number,
  ): ToolResultRefusal | undefined {
    if (callBytes > this.#perCall) {
      return {
        limit: "maxToolResultBytes",
        message:
          `Result of ${tool} is ${callBytes} bytes, more than the limit of ${this.#perCall}`,
      };
    }
    if (this.#received + partBytes > this.#perRun) {
      return {
        limit: "maxRunToolResultBytes",
        message: `Results of tool calls reached ${
          this.#received + partBytes
        } bytes with ${tool}, more than the limit of ${this.#perRun} per run`,
      };
    }
    this.#received += partBytes;
    return undefined;
  }
}

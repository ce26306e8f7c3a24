/**
 * `POST /v1/execute` as server-sent events: a `log` event per console entry
 * and an `approval` event per call that waits for an approver while the run
 * goes, then one `result` event with the `ExecuteResult`.
 *
 * @module
 */

import type { ApprovalHandler } from "../approval/approval.ts";
import type { ExecuteResult, LogEntry } from "../result.ts";
import { EventStream } from "./sse.ts";

/**
 * The events of one run. The response starts at the first log entry; a run
 * that ends before logging anything is answered whole, so a refusal before
 * it runs (a full queue) keeps its HTTP status.
 */
export class ExecuteEvents {
  /** The event stream the response carries. */
  readonly stream: EventStream = new EventStream();
  #resolveLogged!: () => void;
  readonly #logged = new Promise<void>((resolve) => {
    this.#resolveLogged = resolve;
  });

  /** Pass as `ExecuteOptions.onLog`. */
  readonly onLog = (entry: LogEntry): void => {
    this.stream.send("log", JSON.stringify(entry));
    this.#resolveLogged();
  };

  /**
   * Wraps the run's approver: each request is sent as an `approval` event
   * (the `ApprovalRequest` JSON, whose `id` is what `POST /v1/approvals/{id}`
   * decides) before the approver is asked, and starts the stream.
   *
   * @param approver Who decides.
   * @returns The approver to pass as `ExecuteOptions.onApproval`.
   */
  approvals(approver: ApprovalHandler): ApprovalHandler {
    return (request, context) => {
      this.stream.send("approval", JSON.stringify(request));
      this.#resolveLogged();
      return approver(request, context);
    };
  }

  /**
   * Waits for the first log entry, approval request or the end of the run.
   *
   * @param running The run.
   * @returns The result when the run ended first, else `undefined`: answer
   * with {@linkcode EventStream.response} now and {@linkcode ExecuteEvents.end} later.
   */
  async firstLogOrResult(
    running: Promise<ExecuteResult>,
  ): Promise<ExecuteResult | undefined> {
    return await Promise.race([running, this.#logged.then(() => undefined)]);
  }

  /** Sends the `result` event and ends the stream. */
  end(run: ExecuteResult): void {
    this.stream.send("result", JSON.stringify(run));
    this.stream.close();
  }

  /** Sends an `error` event (`{ error: { code, message } }`) and ends the stream. */
  fail(code: string, message: string): void {
    this.stream.send("error", JSON.stringify({ error: { code, message } }));
    this.stream.close();
  }
}

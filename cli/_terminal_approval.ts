/**
 * The approver of `execbox run`: a y/N question on the controlling terminal
 * (`/dev/tty`), never on stdin or stdout, which may carry code and results.
 * Without a terminal, every call that needs approval is denied.
 *
 * @module
 */

import { closeSync, openSync, writeSync } from "node:fs";
import { ReadStream } from "node:tty";
import type { ApprovalDecision, ApprovalHandler } from "@execbox/core";

/** The most characters of arguments the question shows. */
const _MAX_ARGUMENT_CHARS = 2000;
/** The most characters of an answer read. */
const _MAX_ANSWER_CHARS = 1024;

// Every control character a terminal acts on, newline included: the
// arguments come from guest code and must not redraw the question.
// deno-lint-ignore no-control-regex
const _CONTROLS = /[\u0000-\u001F\u007F-\u009F]/g;

function _escape(text: string): string {
  return text.replace(
    _CONTROLS,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * An approver that asks on `/dev/tty`, one question at a time.
 *
 * @param path The terminal device (a test may pass another).
 * @returns The approver.
 */
export function terminalApprover(path = "/dev/tty"): ApprovalHandler {
  let queue: Promise<unknown> = Promise.resolve();
  return (request, { signal }) => {
    const asked = queue.then(() => _ask(path, request, signal));
    queue = asked.catch(() => {});
    return asked;
  };
}

async function _ask(
  path: string,
  request: Parameters<ApprovalHandler>[0],
  signal: AbortSignal,
): Promise<ApprovalDecision> {
  if (signal.aborted) return { approved: false, reason: "no longer waiting" };
  let fd: number;
  try {
    fd = openSync(path, "r+");
  } catch {
    return {
      approved: false,
      reason: `there is no terminal to ask (${path})`,
    };
  }
  let args = JSON.stringify(request.arguments) ?? "undefined";
  if (args.length > _MAX_ARGUMENT_CHARS) {
    args = `${args.slice(0, _MAX_ARGUMENT_CHARS)}...`;
  }
  let input: ReadStream;
  try {
    writeSync(
      fd,
      `execbox: approve the call to ${_escape(request.tool)} with ${
        _escape(args)
      }? [y/N] `,
    );
    // A tty stream, not a file read: it can be stopped while it waits.
    input = new ReadStream(fd);
  } catch {
    closeSync(fd);
    return { approved: false, reason: "no answer at the terminal" };
  }
  const answer = await new Promise<string | undefined>((resolve) => {
    let line = "";
    const done = (value: string | undefined) => {
      signal.removeEventListener("abort", stop);
      input.destroy();
      resolve(value);
    };
    const stop = () => done(undefined);
    signal.addEventListener("abort", stop, { once: true });
    input.setEncoding("utf8");
    input.on("data", (chunk: string) => {
      line += chunk;
      const end = line.indexOf("\n");
      if (end !== -1) done(line.slice(0, end));
      else if (line.length > _MAX_ANSWER_CHARS) done(line);
    });
    input.on("end", () => done(line));
    input.on("error", () => done(undefined));
  });
  if (answer === undefined) {
    return { approved: false, reason: "no answer at the terminal" };
  }
  return /^\s*y(es)?\s*$/i.test(answer)
    ? { approved: true }
    : { approved: false, reason: "declined at the terminal" };
}

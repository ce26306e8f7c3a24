/**
 * The approver of `execbox run`: a y/N question on the controlling terminal
 * (`/dev/tty`), never on stdin or stdout, which may carry code and results.
 * Without a terminal, every call that needs approval is denied.
 *
 * @module
 */

import type { ApprovalDecision, ApprovalHandler } from "@execbox/core";

/** The most characters of arguments the question shows. */
const _MAX_ARGUMENT_CHARS = 2000;

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
  let tty: Deno.FsFile;
  try {
    tty = await Deno.open(path, { read: true, write: true });
  } catch {
    return {
      approved: false,
      reason: `there is no terminal to ask (${path})`,
    };
  }
  const close = () => {
    try {
      tty.close();
    } catch {
      // Closed already.
    }
  };
  signal.addEventListener("abort", close, { once: true });
  try {
    let args = JSON.stringify(request.arguments) ?? "undefined";
    if (args.length > _MAX_ARGUMENT_CHARS) {
      args = `${args.slice(0, _MAX_ARGUMENT_CHARS)}...`;
    }
    await tty.write(
      new TextEncoder().encode(
        `execbox: approve the call to ${_escape(request.tool)} with ${
          _escape(args)
        }? [y/N] `,
      ),
    );
    const answer = await _readLine(tty);
    return /^\s*y(es)?\s*$/i.test(answer)
      ? { approved: true }
      : { approved: false, reason: "declined at the terminal" };
  } catch {
    return { approved: false, reason: "no answer at the terminal" };
  } finally {
    signal.removeEventListener("abort", close);
    close();
  }
}

async function _readLine(tty: Deno.FsFile): Promise<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(256);
  let line = "";
  while (line.length < 1024) {
    const n = await tty.read(buffer);
    if (n === null) break;
    line += decoder.decode(buffer.subarray(0, n), { stream: true });
    const end = line.indexOf("\n");
    if (end !== -1) return line.slice(0, end);
  }
  return line;
}

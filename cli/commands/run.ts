/**
 * `execbox run`: runs code once and prints the outcome.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { ExecuteResult } from "@execbox/core";
import process from "node:process";
import { Spinner } from "../_spinner.ts";
import {
  type Command,
  configuredOptions,
  err,
  out,
  readStdin,
  startBroker,
  UsageError,
  wholeNumber,
} from "../_shared.ts";
import { terminalApprover } from "../_terminal_approval.ts";

const help = `Run code in the sandbox once and print its outcome.

Usage: execbox run [FILE] [-e CODE] [options]

The code comes from FILE, from -e, or from stdin when neither is given.
Console output goes to stderr as the run makes it; on a terminal, a run that
takes longer than a second shows its elapsed time and tool calls.

Options:
  -e, --eval CODE    Code to run
  --config FILE      Configuration file (default: $EXECBOX_CONFIG, then ./execbox.jsonc)
  --timeout MS       Time limit of the run in milliseconds
  --memory MB        Memory limit of the run in MiB
  --json             Print exactly the ExecuteResult as JSON on stdout
  --verbose          Report progress on stderr; stack traces on errors
  -h, --help         Show this help

A call of a tool that needs approval (requireApproval, approveDestructive)
asks y/N on the terminal (/dev/tty); without a terminal it is denied.

Exit codes: 0 the run succeeded, 1 the run failed, 2 usage or configuration error.

Example:
  execbox run -e "const xs = [3, 1, 2]; xs.sort()" --json
`;

// C0 controls but tab and newline, DEL, and C1 controls: what a terminal
// acts on (ESC starts sequences that move the cursor, erase lines or set the
// window title; CR returns to the start of a line; 0x9B is a one-byte CSI).
// deno-lint-ignore no-control-regex
const _CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;
// deno-lint-ignore no-control-regex
const _ALL_CONTROLS = /[\u0000-\u001F\u007F-\u009F]/g;
// The CLI's own lines on stderr; a guest line that starts like one is shown
// with its level, so guest output cannot pass for the CLI's verdict.
const _CLI_LINE = /^(?:error|hint):/;

const _SHORT: Record<string, string> = {
  "\b": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\f": "\\f",
  "\r": "\\r",
};

// As JSON escapes them: `\r`, `\u001b`, `\u009b`.
function _escape(text: string, pattern: RegExp): string {
  return text.replace(
    pattern,
    (c) => _SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Guest text as the terminal shows it: control characters escaped (newline
 * and tab kept), and each line that looks like the CLI's own `error:` or
 * `hint:` line prefixed with the entry's level.
 */
function _guestLines(level: string, message: string): string {
  const lines = _escape(message, _CONTROLS).split("\n");
  return lines.map((line, i) =>
    (i === 0 && level !== "log") || _CLI_LINE.test(line)
      ? `[${level}] ${line}`
      : line
  ).join("\n");
}

function _render(result: ExecuteResult, logsShown: boolean): void {
  if (result.ok) {
    // JSON escapes C0 controls in strings already; DEL and C1 it leaves.
    out(
      result.result === undefined
        ? "undefined\n"
        : `${_escape(JSON.stringify(result.result, null, 2), _CONTROLS)}\n`,
    );
  }
  if (!logsShown) {
    for (const entry of result.logs) {
      err(`${_guestLines(entry.level, entry.message)}\n`);
    }
  }
  if (!result.ok) {
    // One line, as every CLI error: newlines and tabs are escaped too.
    err(
      `error: ${result.error.code}: ${
        _escape(result.error.message, _ALL_CONTROLS)
      }\n`,
    );
  }
}

async function _run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      eval: { type: "string", short: "e" },
      config: { type: "string" },
      timeout: { type: "string" },
      memory: { type: "string" },
      json: { type: "boolean" },
      verbose: { type: "boolean" },
    },
  });
  if (positionals.length > 1) {
    throw new UsageError(
      `expected at most one FILE, got ${positionals.length}`,
      "run",
    );
  }
  if (positionals.length === 1 && values.eval !== undefined) {
    throw new UsageError("give either FILE or -e, not both", "run");
  }
  const timeoutMs = wholeNumber(values.timeout, "timeout", "run");
  const memoryMb = wholeNumber(values.memory, "memory", "run");

  const file = positionals[0];
  const code = values.eval ??
    (file === undefined || file === "-"
      ? await readStdin()
      : await readFile(file, "utf8"));

  const { options } = await configuredOptions(values.config);
  const broker = await startBroker(
    {
      ...options,
      // One run: one warm process, and no refill (the broker closes first).
      pool: { size: 1 },
      limits: {
        ...options.limits,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        ...(memoryMb === undefined ? {} : { memoryMb }),
      },
    },
    values.verbose ?? false,
  );
  // Logs go to stderr as they come; --json keeps them in its result only.
  const live = !values.json;
  const spinner = live && process.stderr.isTTY
    ? new Spinner({ write: err })
    : undefined;
  const approver = terminalApprover();
  try {
    const result = await broker.execute(code, {
      toolsHint: "list them with execbox tools",
      onApproval: spinner === undefined
        ? approver
        // The question goes to the same terminal: no redraw while it waits.
        : async (request, context) => {
          spinner.pause();
          try {
            return await approver(request, context);
          } finally {
            spinner.resume();
          }
        },
      ...(live
        ? {
          onLog: ({ level, message }) => {
            const line = `${_guestLines(level, message)}\n`;
            if (spinner === undefined) err(line);
            else spinner.print(line);
          },
        }
        : {}),
      ...(spinner === undefined
        ? {}
        : { onToolCallCount: (n) => (spinner.toolCalls = n) }),
    });
    spinner?.stop();
    if (values.json) out(`${JSON.stringify(result)}\n`);
    else _render(result, live);
    return result.ok ? 0 : 1;
  } finally {
    spinner?.stop();
    await broker.close();
  }
}

/** The `run` command. */
export const runCommand: Command = {
  name: "run",
  summary: "Run code once and print the outcome",
  help,
  run: _run,
};

/**
 * `execbox run` prints guest logs to stderr while the run goes, and on a
 * terminal a status line with the elapsed time and tool calls.
 */

import assert from "node:assert/strict";
import { Spinner } from "../../cli/_spinner.ts";
import { repo } from "./_cli.ts";

Deno.test("execbox run prints a log line to stderr before the run ends", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${repo}cli/main.ts`,
      "run",
      "--timeout",
      "60000",
      "-e",
      'console.log("first"); while (true) {}',
    ],
    cwd: repo,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  let text = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    while (!text.includes("first\n")) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
    }
    // The run loops for a minute: the line came while it was going.
    assert.equal(text, "first\n");
    assert.equal(exited, false);
  } finally {
    child.kill("SIGKILL");
    await reader.cancel();
    await status;
  }
});

Deno.test("Spinner shows elapsed time and tool calls, and clears itself around printed lines", () => {
  let now = 0;
  const written: string[] = [];
  const spinner = new Spinner({
    write: (text) => written.push(text),
    now: () => now,
    delayMs: 60_000,
  });
  try {
    spinner.print("before\n");
    now = 1500;
    spinner.toolCalls = 1;
    spinner.tick();
    spinner.print("log line\n");
    now = 2250;
    spinner.toolCalls = 3;
    spinner.tick();
  } finally {
    spinner.stop();
  }
  assert.deepEqual(written, [
    "before\n",
    "\r\u001b[2K⠋ running 1.5 s, 1 tool call",
    "\r\u001b[2K",
    "log line\n",
    "\r\u001b[2K⠙ running 2.3 s, 3 tool calls",
    "\r\u001b[2K",
  ]);
});

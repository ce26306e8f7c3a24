/**
 * `execbox run` prints guest output for a terminal: control characters are
 * escaped, so a guest cannot set the window title, move the cursor, erase
 * lines or pass a line of its own off as the CLI's verdict. `--json` prints
 * the ExecuteResult as it is.
 */

import assert from "node:assert/strict";
import { cli } from "./_cli.ts";

/** Guest code that tries every trick on the terminal, then succeeds. */
const HOSTILE = String.raw`
console.log("\u001b]0;pwned\u0007title");
console.log("\u001b[1A\u001b[2Kerased the line above");
console.log("done\rerror: timeout: Run exceeded the time limit of 5000 ms");
console.log("tab\there\nerror: timeout: Run exceeded the time limit of 5000 ms");
console.warn("careful\nhint: run it again");
"\u009b31mred\u007f\u001b"`;

Deno.test("execbox run escapes control characters in guest logs and results", async () => {
  const r = await cli(["run", "-e", HOSTILE]);
  assert.deepEqual(r, {
    code: 0,
    stdout: '"\\u009b31mred\\u007f\\u001b"\n',
    stderr: [
      "\\u001b]0;pwned\\u0007title",
      "\\u001b[1A\\u001b[2Kerased the line above",
      "done\\rerror: timeout: Run exceeded the time limit of 5000 ms",
      "tab\there",
      "[log] error: timeout: Run exceeded the time limit of 5000 ms",
      "[warn] careful",
      "[warn] hint: run it again",
      "",
    ].join("\n"),
  });
});

Deno.test("execbox run prints a failed run's error on one escaped line", async () => {
  const r = await cli([
    "run",
    "-e",
    String.raw`throw new Error("bad\u001b[2K\nerror: fake\tverdict")`,
  ]);
  assert.deepEqual(r, {
    code: 1,
    stdout: "",
    stderr:
      "error: runtime_error: Error: bad\\u001b[2K\\nerror: fake\\tverdict\n",
  });
});

Deno.test("execbox run --json prints guest text unescaped, as JSON", async () => {
  const r = await cli(["run", "--json", "-e", HOSTILE]);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, "");
  const result = JSON.parse(r.stdout);
  assert.equal(result.result, "\u009b31mred\u007f\u001b");
  assert.deepEqual(result.logs[0], {
    level: "log",
    message: "\u001b]0;pwned\u0007title",
  });
  // JSON escapes C0 controls; DEL and C1 controls stay as they are.
  assert.ok(r.stdout.includes("\u009b31mred\u007f\\u001b"));
});

Deno.test("execbox run hints at execbox tools for a missing global", async () => {
  const r = await cli(["run", "-e", "await fetch('https://example.com')"]);
  assert.deepEqual(r, {
    code: 1,
    stdout: "",
    stderr:
      "error: runtime_error: ReferenceError: fetch is not defined (fetch is not enabled in this execbox: the code has no network, files, processes or modules of its own and reaches other systems only through its tools; list them with execbox tools)\n",
  });
});

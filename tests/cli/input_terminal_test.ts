/**
 * A VS Code `${input:ID}` asked on the controlling terminal: a real
 * pseudo-terminal (util-linux `script`), the answer typed after the
 * question, and a password never echoed.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { repo } from "./_cli.ts";

const hasScript = (() => {
  try {
    return Deno.statSync("/usr/bin/script").isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name:
    "execbox tools asks a VS Code password input on the terminal and never echoes it",
  ignore: !hasScript,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const path = join(dir, ".vscode", "mcp.json");
      await Deno.mkdir(join(dir, ".vscode"));
      await Deno.writeTextFile(
        path,
        JSON.stringify({
          inputs: [{
            type: "promptString",
            id: "notes-key",
            description: "Notes key",
            password: true,
          }],
          servers: {
            notes: {
              type: "stdio",
              command: Deno.execPath(),
              args: [
                "run",
                "-A",
                "--config",
                `${repo}deno.json`,
                "--no-lock",
                `${repo}tests/cli/fixtures/notes_server.ts`,
              ],
              env: { NOTES_KEY: "${input:notes-key}" },
            },
          },
        }),
      );
      const command = [
        Deno.execPath(),
        "run",
        "-A",
        `${repo}cli/main.ts`,
        "tools",
        "--config",
        path,
      ].map((a) => `'${a}'`).join(" ");
      const child = new Deno.Command("/usr/bin/script", {
        args: ["-qec", command, "/dev/null"],
        cwd: repo,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      const writer = child.stdin.getWriter();
      let transcript = "";
      const decoder = new TextDecoder();
      let answered = false;
      for await (const chunk of child.stdout) {
        transcript += decoder.decode(chunk, { stream: true });
        if (!answered && transcript.includes("Notes key (notes-key): ")) {
          answered = true;
          // Typed only once asked, as a user does: earlier input would be
          // echoed by the terminal before execbox turns echo off.
          await writer.write(new TextEncoder().encode("hunter2-secret\r"));
          await writer.close();
        }
      }
      const status = await child.status;
      await child.stderr.cancel();
      assert.ok(answered, transcript);
      assert.equal(status.code, 0, transcript);
      assert.ok(!transcript.includes("hunter2"), transcript);
      assert.match(transcript, /declare namespace notes/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * `execbox auth <server>` as a user runs it: the URL on stderr, the browser
 * played by the test, the tokens in the state directory, and the other
 * commands using them.
 */

import assert from "node:assert/strict";
import { FileOAuthStore } from "../../broker/oauth/oauth_file_store.ts";
import {
  followAuthorization,
  startOAuthServer,
} from "../broker/oauth/_oauth_server.ts";
import { cli, repo } from "./_cli.ts";

async function readUntil(
  reader: ReadableStreamDefaultReader<string>,
  pattern: RegExp,
): Promise<{ text: string; match: RegExpMatchArray }> {
  let text = "";
  while (true) {
    const match = text.match(pattern);
    if (match) return { text, match };
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
    text += value;
  }
}

Deno.test("execbox auth logs in through the printed URL and execbox tools then reaches the server", async () => {
  await using server = startOAuthServer();
  const dir = await Deno.makeTempDir();
  try {
    const config = `${dir}/execbox.jsonc`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({ mcpServers: { docs: { url: server.url } } }),
    );
    const env = { EXECBOX_STATE_DIR: `${dir}/state` };

    const before = await cli(["tools", "--config", config], { env });
    assert.equal(before.code, 1, before.stderr);
    assert.match(
      before.stderr,
      /OAuth login required for MCP server "docs": run "execbox auth docs"/,
    );

    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${repo}cli/main.ts`,
        "auth",
        "docs",
        "--no-open",
        "--config",
        config,
      ],
      cwd: repo,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", ...env },
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    const { match } = await readUntil(reader, /\n {2}(http\S+)\n/);
    await followAuthorization(new URL(match[1]!));
    const drained = (async () => {
      while (!(await reader.read()).done) { /* the rest of stderr */ }
    })();
    const stdout = await new Response(child.stdout).text();
    const { code } = await child.status;
    await drained;
    assert.equal(code, 0);
    assert.equal(stdout, 'Logged in to "docs": 2 tools\n');
    const record = await new FileOAuthStore({ dir: `${dir}/state/oauth` })
      .get("docs");
    assert.match(record?.tokens?.access_token ?? "", /^at-/);

    const after = await cli(["tools", "--config", config], { env });
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, /add\(/);
    assert.equal(server.counts.authorizations, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("execbox auth refuses an unknown or stdio server with a usage error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = `${dir}/execbox.jsonc`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({ mcpServers: { local: { command: "true" } } }),
    );
    const unknown = await cli(["auth", "docs", "--config", config]);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /^error: no server "docs" in the configuration \(servers: "local"\)\n/,
    );
    const stdio = await cli(["auth", "local", "--config", config]);
    assert.equal(stdio.code, 2);
    assert.match(stdio.stderr, /server "local" is a stdio server/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

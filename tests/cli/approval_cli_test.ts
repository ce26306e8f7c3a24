/**
 * `execbox run` asks y/N on the controlling terminal for a call that needs
 * approval, and denies it when there is no terminal.
 */

import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { Client } from "@modelcontextprotocol/sdk/client";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  type ElicitRequest,
  ElicitRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { cli, repo } from "./_cli.ts";

const _SERVER = `${repo}tests/broker/approval/fixtures/annotated_server.ts`;

async function withApprovalConfig(
  fn: (path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/execbox.jsonc`;
    await Deno.writeTextFile(
      path,
      JSON.stringify({
        mcpServers: {
          db: {
            command: Deno.execPath(),
            args: ["run", "-A", "--config", `${repo}deno.json`, _SERVER],
            requireApproval: ["merge_*"],
          },
        },
      }),
    );
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs the CLI on a new pseudo-terminal (`script`), typing `typed`. */
async function onTerminal(args: string[], typed: string) {
  const command = [Deno.execPath(), "run", "-A", `${repo}cli/main.ts`, ...args]
    .map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    cwd: repo,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(typed));
  await writer.close();
  const { code, stdout } = await child.output();
  return { code, output: new TextDecoder().decode(stdout) };
}

const CALL = String.raw`await db.merge_items({ note: "\u009b2Kx" })`;

Deno.test("execbox run denies a call that needs approval when there is no terminal", async () => {
  await withApprovalConfig(async (path) => {
    const r = await cli(["run", "--config", path, "-e", CALL]);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr:
        "error: tool_error: Call to db.merge_items was not approved: there is no terminal to ask (/dev/tty)\n",
    });
  });
});

Deno.test("execbox run asks y/N on the terminal and runs the call on y", async () => {
  await withApprovalConfig(async (path) => {
    const r = await onTerminal(["run", "--config", path, "-e", CALL], "y\n");
    assert.equal(r.code, 0, r.output);
    // The guest's control sequence (a one-byte CSI) is shown, not acted on.
    assert.ok(
      r.output.includes(
        'execbox: approve the call to db.merge_items with {"note":"\\u009b2Kx"}? [y/N] ',
      ),
      r.output,
    );
    assert.ok(!r.output.includes("\u009b"), r.output);
    assert.match(r.output, /"merged"/);
  });
});

Deno.test("execbox run denies the call on any answer but y", async () => {
  await withApprovalConfig(async (path) => {
    const r = await onTerminal(["run", "--config", path, "-e", CALL], "n\n");
    assert.equal(r.code, 1, r.output);
    assert.match(
      r.output,
      /error: tool_error: Call to db\.merge_items was not approved: declined at the terminal/,
    );
  });
});

Deno.test("execbox run stops asking once the run has ended", async () => {
  await withApprovalConfig(async (path) => {
    // The call is never awaited: the run ends while the question waits.
    const r = await onTerminal([
      "run",
      "--config",
      path,
      "-e",
      `db.merge_items({}).catch(() => {}); "finished"`,
    ], "");
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /"finished"/);
  });
});

Deno.test("execbox mcp asks its stdio client to approve a call through elicitation", async () => {
  await withApprovalConfig(async (path) => {
    const transport = new StdioClientTransport({
      command: Deno.execPath(),
      args: ["run", "-A", `${repo}cli/main.ts`, "mcp", "--config", path],
      cwd: repo,
      stderr: "pipe",
    });
    const client = new Client({ name: "test", version: "1" }, {
      capabilities: { elicitation: {} },
    });
    const asked: ElicitRequest[] = [];
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request);
      return { action: "accept", content: { approve: true } };
    });
    await client.connect(transport);
    try {
      const result = await client.callTool({
        name: "execute",
        arguments: { code: `await db.merge_items({ n: 1 })` },
      });
      assert.equal(result.isError, undefined);
      assert.deepEqual(
        (result.structuredContent as { result: unknown }).result,
        "merged",
      );
      assert.equal(asked.length, 1);
      assert.match(
        (asked[0]!.params as { message: string }).message,
        /wants to call db\.merge_items with:\n\{\n {2}"n": 1\n\}/,
      );
    } finally {
      await client.close();
    }
  });
});

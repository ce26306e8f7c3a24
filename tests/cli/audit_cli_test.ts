/**
 * The audit trail of `execbox serve` and `execbox mcp`: `audit.file` in
 * execbox.jsonc gets one JSON line per run, without the code or a token.
 */

import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { fromFileUrl } from "../_paths.ts";

const repo = fromFileUrl(new URL("../../", import.meta.url));
const main = `${repo}cli/main.ts`;
const TOKEN = `ci-token-${crypto.randomUUID()}`;

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** A temporary directory holding execbox.jsonc with an audit file in it. */
async function withConfig(
  fn: (config: string, audit: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "execbox_audit_cli_" });
  try {
    const config = `${dir}/execbox.jsonc`;
    await Deno.writeTextFile(
      config,
      `{
        // The audit file is relative to this file.
        "audit": { "file": "logs/audit.jsonl" },
        "http": { "tokens": { "ci": "\${CI_TOKEN}" } },
        "pool": { "size": 1 }
      }`,
    );
    await Deno.mkdir(`${dir}/logs`);
    await fn(config, `${dir}/logs/audit.jsonl`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The file's records, checking that each line is one JSON object. */
async function records(path: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(path);
  assert.ok(text.endsWith("\n"), JSON.stringify(text));
  return text.slice(0, -1).split("\n").map((line) => {
    const record = JSON.parse(line);
    assert.equal(typeof record, "object");
    return record;
  });
}

Deno.test("execbox serve writes one audit line per run to audit.file", async () => {
  await withConfig(async (config, audit) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", main, "serve", "--config", config, "--port", "0"],
      cwd: repo,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1", CI_TOKEN: TOKEN },
    }).spawn();
    let stderr = "";
    const listening = Promise.withResolvers<string>();
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        stderr += decoder.decode(chunk, { stream: true });
        const match = /listening on (http:\/\/\S+)\n/.exec(stderr);
        if (match) listening.resolve(match[1]!);
      }
      listening.reject(new Error(`serve exited before listening: ${stderr}`));
    })();
    const ok = "const secretCode = 6; secretCode * 7";
    const bad = "throw new Error('secretFailure')";
    try {
      const url = await listening.promise;
      const post = async (code: string, token = TOKEN) => {
        const response = await fetch(`${url}/v1/execute`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${token}`,
          },
          body: JSON.stringify({ code, session: "chat-1" }),
        });
        return [response.status, (await response.json()).ok];
      };
      assert.deepEqual(await post(ok), [200, true]);
      assert.deepEqual(await post(bad), [200, false]);
      // Neither an unauthorized request nor a probe is a run.
      const denied = await fetch(`${url}/v1/execute`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: "Bearer wrong-token-0000",
        },
        body: JSON.stringify({ code: ok }),
      });
      assert.equal(denied.status, 401);
      await denied.body?.cancel();
      const health = await fetch(`${url}/healthz`);
      await health.body?.cancel();

      const client = new Client({ name: "test", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
        }),
      );
      try {
        const result = await client.callTool({
          name: "execute",
          arguments: { code: "1 + 1" },
        });
        assert.equal(result.isError, undefined);
      } finally {
        await client.close();
      }
    } finally {
      child.kill("SIGTERM");
      const status = await child.status;
      await reading;
      assert.equal(status.code, 0, stderr);
    }

    const lines = await records(audit);
    assert.deepEqual(
      lines.map((r) => [r.caller, r.session, r.outcome, r.codeSha256]),
      [
        ["ci", "chat-1", "ok", await sha256(ok)],
        ["ci", "chat-1", "runtime_error", await sha256(bad)],
        ["ci", undefined, "ok", await sha256("1 + 1")],
      ],
    );
    for (const line of lines) {
      assert.deepEqual(
        Object.keys(line).sort(),
        [
          "caller",
          "calls",
          "codeSha256",
          "durationMs",
          "outcome",
          "peakMemoryBytes",
          "runId",
          "time",
          ...(line.session === undefined ? [] : ["session"]),
        ].sort(),
      );
    }
    const text = await Deno.readTextFile(audit);
    for (const hidden of [TOKEN, "secretCode", "secretFailure"]) {
      assert.equal(
        text.includes(hidden),
        false,
        `the audit file holds ${hidden}`,
      );
    }
    assert.equal(stderr.includes(TOKEN), false);
    assert.equal((await Deno.stat(audit)).mode! & 0o777, 0o600);
  });
});

Deno.test("execbox mcp writes one audit line per run to audit.file", async () => {
  await withConfig(async (config, audit) => {
    // An existing file is appended to, never truncated.
    await Deno.writeTextFile(audit, '{"earlier":true}\n');
    const transport = new StdioClientTransport({
      command: Deno.execPath(),
      args: ["run", "-A", main, "mcp", "--config", config],
      cwd: repo,
      env: { NO_COLOR: "1", CI_TOKEN: TOKEN },
      stderr: "pipe",
    });
    const client = new Client({ name: "test", version: "1" });
    await client.connect(transport);
    try {
      for (const code of ["21 * 2", "null.x"]) {
        await client.callTool({
          name: "execute",
          arguments: { code, session: "m" },
        });
      }
    } finally {
      // Closing stdin ends the CLI, which closes its audit log first.
      await client.close();
    }
    assert.deepEqual(
      (await records(audit)).map((r) => [r.caller, r.session, r.outcome]),
      [
        [undefined, undefined, undefined],
        ["mcp", "m", "ok"],
        ["mcp", "m", "runtime_error"],
      ],
    );
  });
});

/**
 * `execbox init` and the client configuration files on the command line:
 * the file written loads, nothing is overwritten without --force, no secret
 * is copied, and `execbox mcp` refuses to prompt for a VS Code input.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../broker/config/config.ts";
import { cli, repo } from "./_cli.ts";

const CLIENTS = `${repo}tests/broker/config/fixtures/clients/`;

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir();
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("execbox init --from claude_desktop_config.json writes execbox.jsonc and prints the Claude Desktop entry", async () => {
  await withTempDir(async (dir) => {
    const output = join(dir, "execbox.jsonc");
    const r = await cli([
      "init",
      "--from",
      `${CLIENTS}claude_desktop_config.json`,
      "--output",
      output,
    ], { env: { GITHUB_TOKEN: "ghp_never_copied" } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      mcpServers: {
        execbox: {
          command: "deno",
          args: ["run", "-A", "jsr:@execbox/cli", "mcp", "--config", output],
        },
      },
    });
    assert.equal(
      r.stderr,
      [
        `execbox: ignored keys only Claude Desktop uses in "claude_desktop_config.json": globalShortcut`,
        `execbox: wrote ${output} with 2 servers: filesystem, github`,
        `execbox: in Claude Desktop's configuration (${CLIENTS}claude_desktop_config.json), replace those servers with this entry:`,
        "",
      ].join("\n"),
    );
    const text = await Deno.readTextFile(output);
    assert.ok(!text.includes("ghp_never_copied"));
    assert.ok(text.includes('"${GITHUB_TOKEN}"'));
    const loaded = await loadConfig({
      path: output,
      env: { GITHUB_TOKEN: "t" },
    });
    assert.equal(loaded?.format, "execbox");
    assert.deepEqual(Object.keys(loaded?.config.mcpServers ?? {}), [
      "filesystem",
      "github",
    ]);
  });
});

Deno.test("execbox init refuses to overwrite an existing file unless --force", async () => {
  await withTempDir(async (dir) => {
    const output = join(dir, "execbox.jsonc");
    await Deno.writeTextFile(output, "{ /* mine */ }");
    const refused = await cli(["init", "--output", output]);
    assert.equal(refused.code, 2);
    assert.equal(refused.stdout, "");
    assert.match(
      refused.stderr,
      /^error: Cannot write ".*execbox\.jsonc": the file exists \(pass --force to overwrite it\)\n/,
    );
    assert.equal(await Deno.readTextFile(output), "{ /* mine */ }");
    const forced = await cli(["init", "--output", output, "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(
      await loadConfig({ path: output, env: {} }).then((l) =>
        l?.config.mcpServers
      ),
      {},
    );
  });
});

Deno.test("execbox init --from .vscode/mcp.json passes inputs and the envFile on to execbox mcp, copying no value", async () => {
  await withTempDir(async (dir) => {
    const output = join(dir, "execbox.jsonc");
    const r = await cli([
      "init",
      "--from",
      `${CLIENTS}workspace/.vscode/mcp.json`,
      "--output",
      output,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const envFile = `${CLIENTS}workspace/.env`;
    assert.deepEqual(JSON.parse(r.stdout), {
      servers: {
        execbox: {
          type: "stdio",
          command: "deno",
          args: ["run", "-A", "jsr:@execbox/cli", "mcp", "--config", output],
          envFile,
          env: {
            EXECBOX_INPUT_PERPLEXITY_KEY: "${input:perplexity-key}",
          },
        },
      },
      inputs: [{
        type: "promptString",
        id: "perplexity-key",
        description: "Perplexity API Key",
        password: true,
      }],
    });
    assert.match(
      r.stderr,
      /execbox: set in the environment: EXECBOX_INPUT_PERPLEXITY_KEY, PERPLEXITY_REGION, API_KEY, SHARED_SECRET\n/,
    );
    const text = await Deno.readTextFile(output);
    assert.ok(!text.includes("s3cret"), text);
    assert.ok(!text.includes("from-env-file"), text);
    const loaded = await loadConfig({
      path: output,
      env: {
        EXECBOX_INPUT_PERPLEXITY_KEY: "k",
        PERPLEXITY_REGION: "eu",
        API_KEY: "a",
        SHARED_SECRET: "s",
      },
    });
    const server = loaded?.config.mcpServers.Perplexity;
    assert.deepEqual(server?.type === "stdio" && server.env, {
      PERPLEXITY_API_KEY: "k",
      PERPLEXITY_REGION: "eu",
      API_KEY: "a",
      SHARED_SECRET: "s",
    });
  });
});

Deno.test("execbox mcp with a VS Code file whose input has no variable fails at once, saying why and what to set", async () => {
  const r = await cli([
    "mcp",
    "--config",
    `${CLIENTS}workspace/.vscode/mcp.json`,
  ], { stdin: "" });
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.equal(
    r.stderr,
    `error: Cannot read input "perplexity-key" of the configuration: execbox mcp cannot ask, because its stdin carries the MCP protocol; set EXECBOX_INPUT_PERPLEXITY_KEY
hint: check the configuration file, or pass another with --config
`,
  );
});

Deno.test("execbox tools reads a Cline file: one warning line, its server's tools", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "cline_mcp_settings.json");
    await Deno.writeTextFile(
      path,
      JSON.stringify({
        mcpServers: {
          notes: {
            command: Deno.execPath(),
            args: [
              "run",
              "-A",
              "--config",
              `${repo}deno.json`,
              "--no-lock",
              `${repo}tests/cli/fixtures/notes_server.ts`,
            ],
            autoApprove: ["list_notes"],
            alwaysAllow: [],
            timeout: 30,
            disabled: false,
          },
          broken: {
            command: "/nonexistent/server",
            autoApprove: [],
            disabled: true,
          },
        },
      }),
    );
    const r = await cli(["tools", "--config", path]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stderr,
      `execbox: ignored keys only Cline uses in "cline_mcp_settings.json": autoApprove, alwaysAllow\n`,
    );
    assert.match(r.stdout, /declare namespace notes/);
  });
});

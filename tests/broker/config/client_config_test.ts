import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../../broker/config/config.ts";
import { ExecboxError } from "../../../broker/errors.ts";
import type { ConfigInput } from "../../../broker/config/clients/client_config.ts";

const DIR = fileURLToPath(new URL("./fixtures/clients/", import.meta.url));
const WORKSPACE = join(DIR, "workspace");

async function configError(
  promise: Promise<unknown>,
): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ExecboxError, String(error));
    assert.equal(error.code, "config_invalid");
    return error.message;
  }
  assert.fail("loadConfig() did not throw");
}

async function withFile<T>(
  name: string,
  text: string,
  fn: (path: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "execbox-clients-"));
  try {
    const path = join(dir, name);
    await writeFile(path, text);
    return await fn(path);
  } finally {
    await rm(dir, { recursive: true });
  }
}

Deno.test("loadConfig() reads Claude Desktop's claude_desktop_config.json and ignores its globalShortcut with one warning", async () => {
  const loaded = await loadConfig({
    path: join(DIR, "claude_desktop_config.json"),
    env: { GITHUB_TOKEN: "ghp_desktop" },
  });
  assert.ok(loaded);
  assert.equal(loaded.format, "claude-desktop");
  assert.deepEqual(Object.keys(loaded.config.mcpServers), [
    "filesystem",
    "github",
  ]);
  assert.deepEqual(loaded.config.mcpServers.github, {
    type: "stdio",
    command: "npx",
    args: ["-y", "@modelcontextprotocol/server-github"],
    env: { GITHUB_PERSONAL_ACCESS_TOKEN: "ghp_desktop" },
  });
  assert.deepEqual(loaded.warnings, [
    `ignored keys only Claude Desktop uses in "claude_desktop_config.json": globalShortcut`,
  ]);
  assert.deepEqual(loaded.secrets, ["ghp_desktop"]);
});

Deno.test("loadConfig() reads Claude Code's .mcp.json with ${VAR:-default} as Claude Code expands it", async () => {
  const loaded = await loadConfig({
    path: join(WORKSPACE, ".mcp.json"),
    env: { API_KEY: "k1", AIRTABLE_API_KEY: "at1" },
  });
  assert.ok(loaded);
  assert.equal(loaded.format, "claude-code");
  assert.deepEqual(loaded.config.mcpServers["api-server"], {
    type: "http",
    url: "https://api.example.com/mcp",
    headers: { Authorization: "Bearer k1" },
  });
  assert.equal(loaded.config.mcpServers.airtable?.type, "stdio");
  assert.deepEqual(loaded.warnings, []);
});

Deno.test("loadConfig() reads Cursor's .cursor/mcp.json: ${env:VAR}, envFile under ${workspaceFolder}, auth ignored", async () => {
  const loaded = await loadConfig({
    path: join(WORKSPACE, ".cursor", "mcp.json"),
    env: { CURSOR_API_KEY: "cur_1", MY_SERVICE_TOKEN: "svc_1" },
  });
  assert.ok(loaded);
  assert.equal(loaded.format, "cursor");
  assert.deepEqual(loaded.config.mcpServers["server-name"], {
    type: "stdio",
    command: "npx",
    args: ["-y", "mcp-server"],
    // The server's own env wins over its envFile.
    env: {
      PERPLEXITY_REGION: "eu",
      API_KEY: "cur_1",
      SHARED_SECRET: "s3cret from the env file",
    },
  });
  assert.deepEqual(loaded.config.mcpServers.remote, {
    type: "http",
    url: "https://mcp.example.com/mcp",
    headers: { Authorization: "Bearer svc_1" },
  });
  assert.deepEqual(loaded.warnings, [
    `ignored keys only Cursor uses in "mcp.json": auth`,
  ]);
  // Values from the environment and from the envFile are redacted.
  for (const secret of ["cur_1", "svc_1", "s3cret from the env file"]) {
    assert.ok(loaded.secrets.includes(secret), secret);
  }
});

Deno.test("loadConfig() reads VS Code's .vscode/mcp.json: servers, an input from EXECBOX_INPUT_<ID>, envFile, dev and gallery ignored", async () => {
  const loaded = await loadConfig({
    path: join(WORKSPACE, ".vscode", "mcp.json"),
    env: { EXECBOX_INPUT_PERPLEXITY_KEY: "pplx-123" },
  });
  assert.ok(loaded);
  assert.equal(loaded.format, "vscode");
  assert.deepEqual(loaded.config.mcpServers.Perplexity, {
    type: "stdio",
    command: "npx",
    args: ["-y", "server-perplexity-ask"],
    env: {
      PERPLEXITY_REGION: "eu",
      API_KEY: "from-env-file-not-used",
      SHARED_SECRET: "s3cret from the env file",
      PERPLEXITY_API_KEY: "pplx-123",
    },
  });
  assert.deepEqual(loaded.config.mcpServers.fetch, {
    type: "stdio",
    command: "uvx",
    args: ["mcp-server-fetch"],
  });
  assert.deepEqual(loaded.config.mcpServers.github, {
    type: "http",
    url: "https://api.githubcopilot.com/mcp/",
  });
  assert.deepEqual(loaded.warnings, [
    `ignored keys only VS Code uses in "mcp.json": dev, gallery, version`,
  ]);
  assert.ok(loaded.secrets.includes("pplx-123"));
});

Deno.test("loadConfig() asks promptInput for a VS Code input no variable answers, once per input, and redacts the answer", async () => {
  const asked: ConfigInput[] = [];
  const loaded = await loadConfig({
    path: join(WORKSPACE, ".vscode", "mcp.json"),
    env: {},
    promptInput: (input) => {
      asked.push(input);
      return Promise.resolve("typed-key");
    },
  });
  assert.deepEqual(asked, [{
    id: "perplexity-key",
    description: "Perplexity API Key",
    password: true,
    variable: "EXECBOX_INPUT_PERPLEXITY_KEY",
  }]);
  assert.equal(
    loaded?.config.mcpServers.Perplexity?.type === "stdio" &&
      loaded.config.mcpServers.Perplexity.env?.PERPLEXITY_API_KEY,
    "typed-key",
  );
  assert.ok(loaded?.secrets.includes("typed-key"));
});

Deno.test("loadConfig() without promptInput fails on an unanswered VS Code input, naming its variable and line", async () => {
  const message = await configError(
    loadConfig({ path: join(WORKSPACE, ".vscode", "mcp.json"), env: {} }),
  );
  assert.match(
    message,
    /^Cannot read config ".*mcp\.json": environment variable "EXECBOX_INPUT_PERPLEXITY_KEY" is not set, used by mcpServers\.Perplexity\.env\.PERPLEXITY_API_KEY at 18:31$/,
  );
});

Deno.test("loadConfig() reads Windsurf's mcp_config.json: serverUrl is url, disabledTools is denyTools", async () => {
  const loaded = await loadConfig({
    path: join(DIR, "mcp_config.json"),
    env: { GITHUB_TOKEN: "g1", FIGMA_TOKEN: "f1" },
  });
  assert.ok(loaded);
  assert.equal(loaded.format, "windsurf");
  assert.deepEqual(loaded.config.mcpServers.figma, {
    type: "http",
    url: "https://mcp.figma.example/mcp",
    headers: { Authorization: "Bearer f1" },
    denyTools: ["delete_file"],
  });
  assert.deepEqual(loaded.warnings, []);
});

Deno.test("loadConfig() reads Cline's cline_mcp_settings.json: disabled skips, timeout in seconds, streamableHttp, approvals ignored", async () => {
  const loaded = await loadConfig({
    path: join(DIR, "cline_mcp_settings.json"),
    env: { WEATHER_KEY: "w1", REMOTE_TOKEN: "r1" },
  });
  assert.ok(loaded);
  assert.equal(loaded.format, "cline");
  assert.deepEqual(Object.keys(loaded.config.mcpServers), [
    "weather",
    "remote",
    "old-sse",
  ]);
  assert.deepEqual(loaded.config.mcpServers.weather, {
    type: "stdio",
    command: "node",
    args: ["/path/to/weather-server/build/index.js"],
    env: { OPENWEATHER_API_KEY: "w1" },
    disabled: false,
    timeout: 30_000,
  });
  assert.equal(loaded.config.mcpServers.remote?.type, "http");
  assert.equal(loaded.config.mcpServers["old-sse"]?.type, "sse");
  assert.deepEqual(loaded.warnings, [
    `ignored keys only Cline uses in "cline_mcp_settings.json": alwaysAllow, autoApprove`,
  ]);
});

Deno.test("loadConfig() keeps a typo of execbox's own key in a client file an error with did you mean", async () => {
  const message = await withFile(
    "cline_mcp_settings.json",
    JSON.stringify(
      {
        mcpServers: {
          weather: {
            command: "node",
            autoApprove: [],
            allowTool: ["get_*"],
          },
        },
      },
      null,
      2,
    ),
    (path) => configError(loadConfig({ path, env: {} })),
  );
  assert.match(
    message,
    /unknown key "allowTool" in mcpServers\.weather at 6:7 \(did you mean "allowTools"\?\)$/,
  );
});

Deno.test("loadConfig() reports a missing envFile at its line", async () => {
  const message = await withFile(
    "mcp.json",
    `{\n  "servers": {\n    "a": { "command": "a", "envFile": "missing.env" }\n  }\n}\n`,
    (path) => configError(loadConfig({ path, env: {} })),
  );
  assert.match(
    message,
    /envFile "missing\.env" cannot be read: no such file at 3:39$/,
  );
});

Deno.test("loadConfig() leaves an execbox.jsonc's keys alone: a Cline key there is an unknown key", async () => {
  const message = await withFile(
    "execbox.jsonc",
    `{ "mcpServers": { "a": { "command": "a", "alwaysAllow": [] } } }`,
    (path) => configError(loadConfig({ path, env: {} })),
  );
  assert.match(message, /unknown key "alwaysAllow" in mcpServers\.a/);
});

Deno.test("loadConfig() writes ${workspaceFolder} literally: a path with ${ in it is not expanded", async () => {
  const dir = await mkdtemp(join(tmpdir(), "execbox-${HOME}-"));
  try {
    const path = join(dir, "mcp.json");
    await writeFile(
      path,
      `{ "servers": { "a": { "command": "a", "cwd": "\${workspaceFolder}/srv" } } }`,
    );
    const loaded = await loadConfig({ path, env: { HOME: "/leak" } });
    const server = loaded?.config.mcpServers.a;
    assert.equal(server?.type === "stdio" && server.cwd, join(dir, "srv"));
  } finally {
    await rm(dir, { recursive: true });
  }
});

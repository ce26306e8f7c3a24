// Client config files and the agent adapters from Node.js: dotenv and the
// `./agents` subpath as the npm package ships them.

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createBroker, loadConfig } from "@execbox/core";
import { anthropicTools } from "@execbox/core/agents";

test("loadConfig reads a VS Code mcp.json with an envFile and an input", async () => {
  const dir = await mkdtemp(join(tmpdir(), "execbox-npm-clients-"));
  try {
    await mkdir(join(dir, ".vscode"));
    await writeFile(join(dir, ".env"), "REGION=eu\n");
    const path = join(dir, ".vscode", "mcp.json");
    await writeFile(
      path,
      JSON.stringify({
        inputs: [{ type: "promptString", id: "key", password: true }],
        servers: {
          a: {
            type: "stdio",
            command: "a",
            env: { KEY: "${input:key}" },
            envFile: "${workspaceFolder}/.env",
          },
        },
      }),
    );
    const loaded = await loadConfig({
      path,
      env: { EXECBOX_INPUT_KEY: "k1" },
    });
    assert.equal(loaded.format, "vscode");
    assert.deepEqual(loaded.config.mcpServers.a.env, {
      REGION: "eu",
      KEY: "k1",
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("@execbox/core/agents gives the Anthropic tool definitions", async () => {
  const broker = await createBroker({ pool: { size: 0 } });
  try {
    const { tools } = anthropicTools(broker);
    assert.deepEqual(tools.map((t) => t.name), ["execute", "search_tools"]);
    assert.equal(tools[0].input_schema.type, "object");
  } finally {
    await broker.close();
  }
});

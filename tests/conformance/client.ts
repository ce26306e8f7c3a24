/**
 * The client command the MCP conformance suite's client scenarios run
 * (`conformance client --command "deno run -A tests/conformance/client.ts"`):
 * it goes through execbox's own upstream code path. The suite appends the
 * server URL and sets `MCP_CONFORMANCE_SCENARIO` (and, for some scenarios,
 * `MCP_CONFORMANCE_CONTEXT` with client credentials).
 *
 * For an `auth/*` scenario without client credentials it first logs in with
 * `loginUpstream` (what `execbox auth` runs), playing the browser itself:
 * the suite's authorization server approves at once and redirects to the
 * loopback callback. Then it starts a broker with the server as an HTTP
 * `mcpServers` entry, lists its tools, and calls the first one from guest
 * code with arguments made from its input schema.
 *
 * @module
 */

import process from "node:process";
import {
  createBroker,
  denoHost,
  loginUpstream,
  type McpHttpServerConfig,
  type McpOAuthConfig,
  MemoryOAuthStore,
} from "../../mod.ts";

interface _Context {
  client_id?: string;
  client_secret?: string;
}

// Follows the authorization URL as a browser would, up to the loopback
// redirect.
async function _browse(url: URL): Promise<void> {
  let next = url;
  for (let hop = 0; hop < 5; hop++) {
    const response = await fetch(next, { redirect: "manual" });
    await response.body?.cancel();
    const location = response.headers.get("location");
    if (location === null) return;
    next = new URL(location, next);
    if (next.hostname === "127.0.0.1" && next.pathname === "/callback") {
      const back = await fetch(next);
      await back.body?.cancel();
      return;
    }
  }
}

function _argument(schema: unknown): unknown {
  const s = (schema ?? {}) as { type?: string; properties?: object };
  switch (s.type) {
    case "number":
    case "integer":
      return 1;
    case "boolean":
      return true;
    case "string":
      return "test";
    case "array":
      return [];
    default:
      return Object.fromEntries(
        Object.entries(s.properties ?? {}).map(([k, v]) => [k, _argument(v)]),
      );
  }
}

async function main(): Promise<number> {
  const url = process.argv.at(-1)!;
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? "";
  const context: _Context = JSON.parse(
    process.env.MCP_CONFORMANCE_CONTEXT ?? "{}",
  );
  const oauth: McpOAuthConfig = {};
  if (context.client_id !== undefined) oauth.clientId = context.client_id;
  if (context.client_secret !== undefined) {
    oauth.clientSecret = context.client_secret;
  }
  if (scenario.includes("client-credentials")) {
    oauth.grant = "client_credentials";
  }
  const config: McpHttpServerConfig = { url, oauth };
  const store = new MemoryOAuthStore();
  if (scenario.startsWith("auth/") && oauth.grant === undefined) {
    await loginUpstream({
      key: "server",
      config,
      store,
      host: denoHost,
      open: _browse,
    });
  }
  const broker = await createBroker({
    pool: { size: 1 },
    mcpServers: { server: config },
    oauthStore: store,
  });
  try {
    const tool = broker.tools().find((t) => t.namespace === "server");
    if (tool === undefined) {
      process.stderr.write(
        "execbox conformance client: the server lists no tools\n",
      );
      return 0;
    }
    const code = `return await server[${JSON.stringify(tool.name)}](${
      JSON.stringify(_argument(tool.inputSchema))
    });`;
    let run = await broker.execute(code);
    // What a person does when a call asks for a login (a step-up to a wider
    // scope): run `execbox auth`, then try again.
    if (!run.ok && run.error.message.includes('run "execbox auth server"')) {
      await loginUpstream({
        key: "server",
        config,
        store,
        host: denoHost,
        open: _browse,
      });
      run = await broker.execute(code);
    }
    process.stdout.write(`${JSON.stringify(run)}\n`);
    return run.ok ? 0 : 1;
  } finally {
    await broker.close();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(
    `execbox conformance client: ${(error as Error).message}\n`,
  );
  process.exitCode = 1;
}

/**
 * `deno run -A bench/oauth.ts [--reps N] [--calls N]`: what OAuth costs an
 * HTTP upstream's tool calls. The same loopback server (the tests'
 * authorization and MCP server) is called from guest code through a broker
 * twice: with the bearer token as a configured `Authorization` header (the
 * baseline: no OAuth provider) and through execbox's OAuth provider and
 * store. Runs alternate; each figure is the median per call over the runs,
 * with the lowest and highest. Also the time of a login and of a refresh.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { createBroker } from "../broker/broker.ts";
import { denoHost } from "../broker/host/deno.ts";
import { MemoryOAuthStore } from "../broker/oauth/oauth_store.ts";
import { loginUpstream } from "../broker/upstream/login.ts";
import {
  followAuthorization,
  startOAuthServer,
} from "../tests/broker/oauth/_oauth_server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { reps: { type: "string" }, calls: { type: "string" } },
});
const reps = Number(values.reps ?? 7);
const calls = Number(values.calls ?? 200);

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
const encoder = new TextEncoder();
function print(text: string): void {
  Deno.stdout.writeSync(encoder.encode(`${text}\n`));
}
function show(label: string, xs: number[], unit = "ms"): void {
  print(
    `${label}: median ${median(xs).toFixed(3)} ${unit} (min ${
      Math.min(...xs).toFixed(3)
    }, max ${Math.max(...xs).toFixed(3)}, n=${xs.length})`,
  );
}

await using server = startOAuthServer();
const store = new MemoryOAuthStore();
const logins: number[] = [];
for (let i = 0; i < Math.min(reps, 3); i++) {
  const started = performance.now();
  await loginUpstream({
    key: "docs",
    config: { url: server.url },
    store,
    host: denoHost,
    open: (url) => followAuthorization(url),
  });
  logins.push(performance.now() - started);
}
const token = (await store.get("docs"))!.tokens!.access_token;
const header = await createBroker({
  pool: { size: 1 },
  mcpServers: {
    docs: { url: server.url, headers: { Authorization: `Bearer ${token}` } },
  },
});
const oauth = await createBroker({
  pool: { size: 1 },
  mcpServers: { docs: { url: server.url } },
  oauthStore: store,
});
const code =
  `for (let i = 0; i < ${calls}; i++) await docs.add({ a: i, b: 1 });`;
const perCall = { header: [] as number[], oauth: [] as number[] };
try {
  // One warm-up run each.
  await header.execute(code);
  await oauth.execute(code);
  for (let i = 0; i < reps; i++) {
    for (
      const [name, broker] of [["header", header], ["oauth", oauth]] as const
    ) {
      const started = performance.now();
      const run = await broker.execute(code);
      if (!run.ok) throw new Error(JSON.stringify(run.error));
      perCall[name].push((performance.now() - started) / calls);
    }
  }
  const refreshes: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < reps; i++) {
    for (const expire of [false, true]) {
      if (expire) server.expireAccessTokens();
      const started = performance.now();
      const run = await oauth.execute(`await docs.add({ a: 1, b: 1 })`);
      if (!run.ok) throw new Error(JSON.stringify(run.error));
      (expire ? refreshes : plain).push(performance.now() - started);
    }
  }
  print(`OAuth bench (${calls} calls per run, ${reps} runs each)`);
  show("tool call, Authorization header (baseline)", perCall.header);
  show("tool call, OAuth provider and store", perCall.oauth);
  show("login (discovery, registration, PKCE, loopback redirect)", logins);
  show("run with one call (baseline)", plain);
  show("run with one call that meets an expired token (refresh)", refreshes);
} finally {
  await header.close();
  await oauth.close();
}

/**
 * Attacks on execbox's OAuth for upstream servers: a server (or guest code)
 * that reflects the bearer token, refreshed tokens included, must not show
 * it to the guest or the caller; a forged redirect must not log anyone in;
 * the token file must not be readable by other users.
 */

import assert from "node:assert/strict";
import { createBroker } from "./_broker.ts";
import { ExecboxError } from "../../broker/errors.ts";
import { FileOAuthStore } from "../../broker/oauth/oauth_file_store.ts";
import { MemoryOAuthStore } from "../../broker/oauth/oauth_store.ts";
import { loginDocs, startOAuthServer } from "../broker/oauth/_oauth_server.ts";

Deno.test("Broker.execute() hides OAuth access tokens, refreshed ones too, that an upstream reflects in an error", async () => {
  await using server = startOAuthServer();
  const store = new MemoryOAuthStore();
  await loginDocs(server.url, store);
  const broker = await createBroker({
    pool: { size: 1 },
    mcpServers: { docs: { url: server.url } },
    oauthStore: store,
  });
  try {
    const code = `
      try { await docs.whoami({}); } catch (e) { console.log(e.message); return e.message; }`;
    const first = await broker.execute(code);
    const firstTokens = (await store.get("docs"))?.tokens;
    server.expireAccessTokens();
    const second = await broker.execute(code);
    const secondTokens = (await store.get("docs"))?.tokens;
    assert.equal(server.counts.refreshes, 1);
    assert.notEqual(secondTokens?.access_token, firstTokens?.access_token);
    for (const run of [first, second]) {
      assert.equal(run.ok, true, JSON.stringify(run));
      assert.match(
        run.ok ? String(run.result) : "",
        /Token \[redacted\] is not allowed/,
      );
    }
    const seen = JSON.stringify([first, second]);
    for (
      const secret of [
        firstTokens?.access_token,
        firstTokens?.refresh_token,
        secondTokens?.access_token,
        secondTokens?.refresh_token,
      ]
    ) {
      assert.ok(secret !== undefined && !seen.includes(secret), secret);
    }
  } finally {
    await broker.close();
  }
});

Deno.test("Broker never sends one server's OAuth token to another server with the same key in the same process", async () => {
  await using serverA = startOAuthServer();
  await using serverB = startOAuthServer();
  const stores = [new MemoryOAuthStore(), new MemoryOAuthStore()] as const;
  for (const [i, server] of [serverA, serverB].entries()) {
    await loginDocs(server.url, stores[i]!);
  }
  const brokerA = await createBroker({
    pool: { size: 1 },
    mcpServers: { docs: { url: serverA.url } },
    oauthStore: stores[0],
  });
  const brokerB = await createBroker({
    pool: { size: 1 },
    mcpServers: { docs: { url: serverB.url } },
    oauthStore: stores[1],
  });
  try {
    // A refreshes; then B refuses its token: B must not get A's new one.
    serverA.expireAccessTokens();
    const a = await brokerA.execute(`await docs.add({ a: 1, b: 1 })`);
    assert.equal(a.ok, true, JSON.stringify(a));
    const tokenA = (await stores[0].get("docs"))?.tokens?.access_token;
    serverB.revokeAll();
    const b = await brokerB.execute(
      `try { await docs.add({ a: 1, b: 1 }); } catch (e) { return e.message; }`,
    );
    assert.equal(b.ok, true, JSON.stringify(b));
    assert.ok(tokenA !== undefined);
    assert.ok(!serverB.bearers.includes(tokenA), "B received A's token");
  } finally {
    await brokerA.close();
    await brokerB.close();
  }
});

Deno.test("loginUpstream() refuses a redirect whose state was forged, and stores no tokens", async () => {
  await using server = startOAuthServer();
  const store = new MemoryOAuthStore();
  const error = await loginDocs(server.url, store, (redirect) => {
    redirect.searchParams.set("state", "attacker-state");
    return redirect;
  }).then(() => assert.fail("loginUpstream() resolved"), (e: unknown) => e);
  assert.ok(error instanceof ExecboxError);
  assert.equal(error.code, "oauth_error");
  assert.equal(
    error.message,
    `OAuth login to MCP server "docs" failed: the redirect's state does not match`,
  );
  assert.equal(server.counts.codeGrants, 0);
  assert.equal((await store.get("docs"))?.tokens, undefined);
});

Deno.test("loginUpstream() refuses a forged state in a login the server did not ask for with a 401", async () => {
  await using server = startOAuthServer({
    publicMethods: ["initialize", "notifications/initialized", "tools/list"],
  });
  const store = new MemoryOAuthStore();
  const error = await loginDocs(server.url, store, (redirect) => {
    redirect.searchParams.set("state", "attacker-state");
    return redirect;
  }).then(() => assert.fail("loginUpstream() resolved"), (e: unknown) => e);
  assert.ok(error instanceof ExecboxError);
  assert.equal(error.code, "oauth_error");
  assert.equal(server.counts.codeGrants, 0);
  assert.equal((await store.get("docs"))?.tokens, undefined);
});

Deno.test("FileOAuthStore keeps tokens in a file only its owner can read, in a directory only its owner can open", async () => {
  const parent = await Deno.makeTempDir();
  try {
    const dir = `${parent}/state/oauth`;
    const store = new FileOAuthStore({ dir });
    await store.set("docs", {
      tokens: { access_token: "at-secret", token_type: "Bearer" },
    });
    const files = [...Deno.readDirSync(dir)];
    assert.equal(files.length, 1);
    assert.match(files[0]!.name, /^[0-9a-f]{64}\.json$/);
    assert.equal(
      Deno.statSync(`${dir}/${files[0]!.name}`).mode! & 0o777,
      0o600,
    );
    assert.equal(Deno.statSync(dir).mode! & 0o777, 0o700);
    assert.equal((await store.get("docs"))?.tokens?.access_token, "at-secret");
    await store.delete("docs");
    assert.equal(await store.get("docs"), undefined);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

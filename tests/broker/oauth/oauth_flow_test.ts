/**
 * OAuth for HTTP upstream servers end to end, against a real authorization
 * server on loopback (`_oauth_server.ts`): the login (discovery, dynamic
 * registration, PKCE, the loopback redirect), a broker that uses the stored
 * tokens, refresh, client credentials, and a broker that needs a login it
 * does not have.
 */

import assert from "node:assert/strict";
import { createBroker } from "../../../broker/broker.ts";
import { ExecboxError } from "../../../broker/errors.ts";
import { denoHost } from "../../../broker/host/deno.ts";
import { MemoryOAuthStore } from "../../../broker/oauth/oauth_store.ts";
import { loginUpstream } from "../../../broker/upstream/login.ts";
import type { ExecuteResult } from "../../../broker/result.ts";
import {
  followAuthorization,
  loginDocs,
  startOAuthServer,
} from "./_oauth_server.ts";

function value(run: ExecuteResult): unknown {
  assert.equal(run.ok, true, JSON.stringify(run));
  return run.ok ? run.result : undefined;
}

Deno.test("loginUpstream() discovers, registers, logs in with PKCE over a loopback redirect, and a broker uses the tokens", async () => {
  await using server = startOAuthServer();
  const store = new MemoryOAuthStore();
  const shown: URL[] = [];
  const result = await loginUpstream({
    key: "docs",
    config: { url: server.url },
    store,
    host: denoHost,
    open: async (url) => {
      shown.push(url);
      await followAuthorization(url);
    },
  });
  assert.deepEqual(result, { interactive: true, tools: 2 });
  assert.equal(shown.length, 1);
  assert.equal(shown[0]!.origin, server.origin);
  assert.equal(shown[0]!.searchParams.get("code_challenge_method"), "S256");
  assert.equal(shown[0]!.searchParams.get("resource"), server.url);
  assert.match(
    shown[0]!.searchParams.get("redirect_uri") ?? "",
    /^http:\/\/127\.0\.0\.1:\d+\/callback$/,
  );
  assert.equal(server.counts.registrations, 1);
  assert.equal(server.counts.codeGrants, 1);
  const record = await store.get("docs");
  assert.match(record?.tokens?.access_token ?? "", /^at-/);
  assert.match(record?.tokens?.refresh_token ?? "", /^rt-/);
  assert.equal(record?.codeVerifier, undefined);

  const broker = await createBroker({
    pool: { size: 1 },
    mcpServers: { docs: { url: server.url } },
    oauthStore: store,
  });
  try {
    assert.equal(
      value(await broker.execute(`await docs.add({ a: 2, b: 3 })`)),
      5,
    );
    // No second login or registration: the stored tokens were enough.
    assert.equal(server.counts.registrations, 1);
    assert.equal(server.counts.authorizations, 1);
  } finally {
    await broker.close();
  }
});

Deno.test("createBroker() fails for a server that needs a login it does not have, saying to run execbox auth, without registering or waiting", async () => {
  await using server = startOAuthServer();
  const error = await createBroker({
    pool: { size: 0 },
    mcpServers: { docs: { url: server.url } },
    oauthStore: new MemoryOAuthStore(),
  }).then(
    (broker) =>
      broker.close().then(() => assert.fail("createBroker() resolved")),
    (error: unknown) => error,
  );
  assert.ok(error instanceof ExecboxError);
  assert.equal(error.code, "mcp_unavailable");
  assert.equal(
    error.message,
    'MCP server "docs" failed to start: OAuth login required for MCP server "docs": run "execbox auth docs"',
  );
  assert.equal(server.counts.registrations, 0);
  assert.equal(server.counts.authorizations, 0);
});

Deno.test("createBroker() starts with an optional server that needs a login, and reports it not connected", async () => {
  await using server = startOAuthServer();
  const broker = await createBroker({
    pool: { size: 0 },
    mcpServers: { docs: { url: server.url, optional: true } },
    oauthStore: new MemoryOAuthStore(),
  });
  try {
    assert.equal(broker.status().upstreams[0]?.connected, false);
  } finally {
    await broker.close();
  }
});

Deno.test("McpUpstream refreshes expired tokens, stores the new ones, and two calls that meet the expiry together refresh once", async () => {
  await using server = startOAuthServer();
  const store = new MemoryOAuthStore();
  await loginDocs(server.url, store);
  const before = await store.get("docs");
  const broker = await createBroker({
    pool: { size: 1 },
    mcpServers: { docs: { url: server.url } },
    oauthStore: store,
  });
  try {
    assert.equal(
      value(await broker.execute(`await docs.add({ a: 1, b: 1 })`)),
      2,
    );
    server.expireAccessTokens();
    // The refresh answers only once both calls have met a 401, so the two
    // overlap; a second refresh with the same (rotated) token would fail.
    const seen = server.counts.unauthorized;
    server.holdRefreshes(server.unauthorizedCount(seen + 2));
    const run = await broker.execute(
      `await Promise.all([docs.add({ a: 1, b: 2 }), docs.add({ a: 3, b: 4 })])`,
    );
    assert.deepEqual(value(run), [3, 7]);
    assert.equal(server.counts.refreshes, 1);
    const after = await store.get("docs");
    assert.notEqual(after?.tokens?.access_token, before?.tokens?.access_token);
    assert.notEqual(
      after?.tokens?.refresh_token,
      before?.tokens?.refresh_token,
    );
  } finally {
    await broker.close();
  }
});

Deno.test("McpUpstream gets tokens with client credentials, without a login", async () => {
  const machineClient = { id: "m2m-client", secret: "m2m-secret-value" };
  await using server = startOAuthServer({ machineClient });
  const broker = await createBroker({
    pool: { size: 1 },
    mcpServers: {
      m2m: {
        url: server.url,
        oauth: {
          grant: "client_credentials",
          clientId: machineClient.id,
          clientSecret: machineClient.secret,
          scope: "tools",
        },
      },
    },
    oauthStore: new MemoryOAuthStore(),
  });
  try {
    assert.equal(
      value(await broker.execute(`await m2m.add({ a: 4, b: 5 })`)),
      9,
    );
    assert.equal(server.counts.clientCredentials, 1);
    assert.equal(server.counts.registrations, 0);
    const request = server.tokenRequests.at(-1)!;
    assert.equal(request.get("grant_type"), "client_credentials");
    assert.equal(request.get("scope"), "tools");
    assert.equal(request.get("resource"), server.url);
  } finally {
    await broker.close();
  }
});

Deno.test("createBroker() reports a refused client secret as the authorization server's error, without the secret", async () => {
  await using server = startOAuthServer({
    machineClient: { id: "m2m-client", secret: "right-secret-value" },
  });
  const error = await createBroker({
    pool: { size: 0 },
    mcpServers: {
      m2m: {
        url: server.url,
        oauth: {
          grant: "client_credentials",
          clientId: "m2m-client",
          clientSecret: "wrong-secret-value",
        },
      },
    },
    oauthStore: new MemoryOAuthStore(),
  }).then(
    (broker) =>
      broker.close().then(() => assert.fail("createBroker() resolved")),
    (error: unknown) => error,
  );
  assert.ok(error instanceof ExecboxError);
  assert.equal(error.code, "mcp_unavailable");
  assert.match(
    error.message,
    /^MCP server "m2m" failed to start: .*invalid_client/,
  );
  assert.ok(!error.message.includes("wrong-secret-value"));
  assert.ok(!error.message.includes(btoa("m2m-client:wrong-secret-value")));
});

Deno.test("Broker.execute() fails calls to a server whose tokens were revoked with 'run execbox auth', and uses a new login without a restart", async () => {
  await using server = startOAuthServer();
  const store = new MemoryOAuthStore();
  const login = () => loginDocs(server.url, store);
  await login();
  const broker = await createBroker({
    pool: { size: 1 },
    mcpServers: { docs: { url: server.url } },
    oauthStore: store,
  });
  try {
    assert.equal(
      value(await broker.execute(`await docs.add({ a: 1, b: 1 })`)),
      2,
    );
    server.revokeAll();
    const refused = await broker.execute(
      `try { await docs.add({ a: 1, b: 2 }); } catch (e) { return e.message; }`,
    );
    assert.match(
      String(value(refused)),
      /OAuth login required for MCP server "docs": run "execbox auth docs"/,
    );
    await login();
    assert.equal(
      value(await broker.execute(`await docs.add({ a: 2, b: 2 })`)),
      4,
    );
  } finally {
    await broker.close();
  }
});

Deno.test("loginUpstream() logs in to a server that answers initialize without a login and asks for one on tool calls", async () => {
  await using server = startOAuthServer({
    publicMethods: ["initialize", "notifications/initialized", "tools/list"],
  });
  const store = new MemoryOAuthStore();
  const result = await loginDocs(server.url, store);
  assert.deepEqual(result, { interactive: true, tools: 2 });
  assert.equal(server.counts.codeGrants, 1);
  const broker = await createBroker({
    pool: { size: 1 },
    mcpServers: { docs: { url: server.url } },
    oauthStore: store,
  });
  try {
    assert.equal(
      value(await broker.execute(`await docs.add({ a: 5, b: 5 })`)),
      10,
    );
  } finally {
    await broker.close();
  }
});

Deno.test("Broker.execute() fails a call that needs a wider scope with 'run execbox auth', and the next login asks for that scope", async () => {
  await using server = startOAuthServer({ toolScope: "tools:call" });
  const store = new MemoryOAuthStore();
  const shown: URL[] = [];
  const login = () =>
    loginUpstream({
      key: "docs",
      config: { url: server.url },
      store,
      host: denoHost,
      open: async (url) => {
        shown.push(url);
        await followAuthorization(url);
      },
    });
  await login();
  assert.equal(shown[0]?.searchParams.get("scope"), "base");
  const broker = await createBroker({
    pool: { size: 1 },
    mcpServers: { docs: { url: server.url } },
    oauthStore: store,
  });
  try {
    const code =
      `try { return await docs.add({ a: 1, b: 2 }); } catch (e) { return e.message; }`;
    assert.match(
      String(value(await broker.execute(code))),
      /OAuth login required for MCP server "docs": run "execbox auth docs"/,
    );
    assert.equal((await store.get("docs"))?.scope, "base tools:call");
    await login();
    assert.equal(shown[1]?.searchParams.get("scope"), "base tools:call");
    // The running broker uses the wider tokens without a restart.
    assert.equal(value(await broker.execute(code)), 3);
  } finally {
    await broker.close();
  }
});

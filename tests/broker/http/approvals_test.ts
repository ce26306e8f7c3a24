import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  type ClientCapabilities,
  ElicitRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import {
  type ApprovalRequest,
  type Broker,
  createBroker,
  denoHost,
} from "../../../mod.ts";
import { deleted, providers } from "../approval/fixtures/delete_repo.ts";
import {
  createHttpApp,
  type HttpAppOptions,
} from "../../../broker/http/app.ts";
import { readEvents } from "./_sse.ts";

const TOKENS = { agent: "agent-token-1", ops: "ops-token-1" };

function client(broker: Broker, options: HttpAppOptions = {}) {
  const app = createHttpApp(broker, {
    tokens: TOKENS,
    approvers: ["ops"],
    ...options,
  });
  const request = (
    who: keyof typeof TOKENS,
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ) =>
    app.request(path, {
      method,
      headers: {
        authorization: `Bearer ${TOKENS[who]}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal === undefined ? {} : { signal }),
    });
  return {
    app,
    request,
    execute: (who: keyof typeof TOKENS, code: string, signal?: AbortSignal) =>
      request(who, "POST", "/v1/execute", { code }, signal),
    /** A decision on a waiting call, by an approver unless `who` says. */
    decide: (
      id: string,
      decision: { approved: unknown; reason?: string },
      who: keyof typeof TOKENS = "ops",
    ) => request(who, "POST", `/v1/approvals/${id}`, decision),
    /** The pending approvals, once there are `count` of them. */
    async pending(count = 1): Promise<ApprovalRequest[]> {
      for (let i = 0; i < 2000; i++) {
        const response = await request("ops", "GET", "/v1/approvals");
        assert.equal(response.status, 200);
        const { approvals } = await response.json();
        if (approvals.length >= count) return approvals;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error("No call waited for approval");
    },
  };
}

/** An SDK client of the app's `/mcp` on loopback, as the agent. */
async function connectMcp(
  port: number,
  capabilities: ClientCapabilities,
): Promise<Client> {
  const mcp = new Client({ name: "test", version: "1.0.0" }, { capabilities });
  await mcp.connect(
    new StreamableHTTPClientTransport(
      new URL(`http://127.0.0.1:${port}/mcp`),
      { requestInit: { headers: { authorization: `Bearer ${TOKENS.agent}` } } },
    ),
  );
  return mcp;
}

Deno.test("POST /v1/approvals/{id} approves a call that a waiting execute request made", async () => {
  await using broker = await createBroker({
    providers,
    pool: { size: 1 },
    secrets: ["tok-secret-9"],
  });
  const http = client(broker);
  deleted.length = 0;
  const running = http.execute(
    "agent",
    `await github.delete_repo({ repo: "a", token: "tok-secret-9" })`,
  );
  const [request] = await http.pending();
  assert.equal(request!.caller, "agent");
  assert.equal(request!.tool, "github.delete_repo");
  assert.deepEqual(request!.arguments, { repo: "a", token: "[redacted]" });
  const decided = await http.decide(request!.id, { approved: true });
  assert.equal(decided.status, 200);
  assert.deepEqual(await decided.json(), { id: request!.id, approved: true });
  const run = await (await running).json();
  assert.equal(run.ok, true);
  assert.equal(run.result, "deleted a");
  assert.deepEqual(deleted, ["a"]);
  assert.deepEqual(await http.pending(0), []);
});

Deno.test("POST /v1/approvals/{id} denies a call with the approver's reason", async () => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  const http = client(broker);
  deleted.length = 0;
  const running = http.execute(
    "agent",
    `try { await github.delete_repo({ repo: "b" }) } catch (e) { return e.message }`,
  );
  const [request] = await http.pending();
  const decided = await http.decide(request!.id, {
    approved: false,
    reason: "needs a ticket",
  });
  assert.equal(decided.status, 200);
  const run = await (await running).json();
  assert.equal(
    run.result,
    "Call to github.delete_repo was not approved: needs a ticket",
  );
  assert.deepEqual(deleted, []);
});

Deno.test("GET and POST /v1/approvals refuse a caller without the approve permission", async () => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  const http = client(broker);
  deleted.length = 0;
  const controller = new AbortController();
  const running = http.execute(
    "agent",
    `await github.delete_repo({ repo: "c" })`,
    controller.signal,
  );
  const [request] = await http.pending();
  const listed = await http.request("agent", "GET", "/v1/approvals");
  assert.equal(listed.status, 403);
  assert.deepEqual(await listed.json(), {
    error: {
      code: "forbidden",
      message:
        'The caller "agent" may not approve calls; name its token in http.approvers',
    },
  });
  const decided = await http.decide(request!.id, { approved: true }, "agent");
  assert.equal(decided.status, 403);
  assert.equal((await decided.json()).error.code, "forbidden");
  // The client going away cancels the run and withdraws its approval.
  controller.abort();
  await Promise.resolve(running).catch(() => {});
  assert.deepEqual(await http.pending(0), []);
  assert.deepEqual(deleted, []);
});

Deno.test("POST /v1/approvals/{id} refuses self-approval unless selfApproval is on", async (t) => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  await t.step("off by default", async () => {
    const http = client(broker);
    const controller = new AbortController();
    const running = http.execute(
      "ops",
      `await github.delete_repo({ repo: "d" })`,
      controller.signal,
    );
    const [request] = await http.pending();
    const decided = await http.decide(request!.id, { approved: true });
    assert.equal(decided.status, 403);
    assert.deepEqual(await decided.json(), {
      error: {
        code: "self_approval",
        message:
          'The caller "ops" may not decide calls of its own runs; set http.selfApproval to allow it',
      },
    });
    controller.abort();
    await Promise.resolve(running).catch(() => {});
  });
  await t.step("allowed with selfApproval", async () => {
    const http = client(broker, { selfApproval: true });
    const running = http.execute(
      "ops",
      `await github.delete_repo({ repo: "d" })`,
    );
    const [request] = await http.pending();
    const decided = await http.decide(request!.id, { approved: true });
    assert.equal(decided.status, 200);
    assert.equal((await (await running).json()).result, "deleted d");
  });
});

Deno.test("POST /v1/approvals/{id} answers 404 for an unknown id and 400 for a bad body", async () => {
  await using broker = await createBroker({ providers, pool: { size: 0 } });
  const http = client(broker);
  const unknown = await http.decide("nope", { approved: true });
  assert.equal(unknown.status, 404);
  assert.deepEqual(await unknown.json(), {
    error: {
      code: "not_found",
      message: 'No call waits for approval with id "nope"',
    },
  });
  const bad = await http.decide("nope", { approved: "yes" });
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), {
    error: {
      code: "invalid_body",
      message: '"approved" must be true or false, got "yes"',
    },
  });
  const wrongMethod = await http.request("ops", "DELETE", "/v1/approvals");
  assert.equal(wrongMethod.status, 405);
});

Deno.test("/mcp (stateless) runs wait at /v1/approvals, even for a client that can elicit", async () => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  const http = client(broker, { mcpSessions: false });
  const server = await denoHost.serve(http.app.fetch, {
    hostname: "127.0.0.1",
    port: 0,
  });
  const mcp = await connectMcp(server.address.port, { elicitation: {} });
  try {
    deleted.length = 0;
    const call = mcp.callTool({
      name: "execute",
      arguments: { code: `await github.delete_repo({ repo: "m" })` },
    });
    const [request] = await http.pending();
    assert.equal(request!.caller, "agent");
    const decided = await http.decide(request!.id, { approved: true });
    assert.equal(decided.status, 200);
    const result = await call;
    assert.deepEqual(result.content, [{ type: "text", text: '"deleted m"' }]);
    assert.deepEqual(deleted, ["m"]);
  } finally {
    await mcp.close();
    await server.shutdown();
  }
});

Deno.test("/mcp sessions ask an eliciting client, and send a client that cannot elicit to /v1/approvals", async (t) => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  const http = client(broker);
  const server = await denoHost.serve(http.app.fetch, {
    hostname: "127.0.0.1",
    port: 0,
  });
  const connect = async (elicits: boolean) => {
    const mcp = await connectMcp(
      server.address.port,
      elicits ? { elicitation: {} } : {},
    );
    if (elicits) {
      mcp.setRequestHandler(ElicitRequestSchema, () => ({
        action: "accept",
        content: { approve: true },
      }));
    }
    return mcp;
  };
  try {
    await t.step(
      "the session's client approves through elicitation",
      async () => {
        const mcp = await connect(true);
        try {
          deleted.length = 0;
          const result = await mcp.callTool({
            name: "execute",
            arguments: { code: `await github.delete_repo({ repo: "e" })` },
          });
          assert.deepEqual(result.content, [{
            type: "text",
            text: '"deleted e"',
          }]);
          assert.deepEqual(deleted, ["e"]);
          assert.deepEqual(await http.pending(0), []);
        } finally {
          await mcp.close();
        }
      },
    );
    await t.step(
      "a client without elicitation waits at /v1/approvals",
      async () => {
        const mcp = await connect(false);
        try {
          deleted.length = 0;
          const call = mcp.callTool({
            name: "execute",
            arguments: { code: `await github.delete_repo({ repo: "w" })` },
          });
          const [request] = await http.pending();
          assert.equal(request!.caller, "agent");
          const decided = await http.decide(request!.id, { approved: true });
          assert.equal(decided.status, 200);
          assert.deepEqual((await call).content, [{
            type: "text",
            text: '"deleted w"',
          }]);
        } finally {
          await mcp.close();
        }
      },
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("POST /v1/execute as an event stream sends an approval event, and the result once decided", async () => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  const http = client(broker);
  deleted.length = 0;
  const response = await http.app.request("/v1/execute", {
    method: "POST",
    headers: {
      authorization: `Bearer ${TOKENS.agent}`,
      "content-type": "application/json",
      accept: "text/event-stream",
    },
    body: JSON.stringify({
      code: `await github.delete_repo({ repo: "b" })`,
    }),
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /text\/event-stream/);
  const events = readEvents(response.body!);
  // The stream starts with the request, before anyone has decided.
  const first = (await events.next()).value!;
  assert.equal(first.event, "approval");
  const request = JSON.parse(first.data) as ApprovalRequest;
  assert.equal(request.tool, "github.delete_repo");
  assert.deepEqual(request.arguments, { repo: "b" });
  assert.deepEqual(deleted, []);
  const decided = await http.decide(request.id, { approved: true });
  assert.equal(decided.status, 200);
  const last = (await events.next()).value!;
  assert.equal(last.event, "result");
  assert.deepEqual(JSON.parse(last.data).result, "deleted b");
  assert.deepEqual(deleted, ["b"]);
  assert.equal((await events.next()).done, true);
});

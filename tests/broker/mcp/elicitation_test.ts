import assert from "node:assert/strict";
// The SDK's ".js" subpaths have no types under Deno (typescript-sdk#2701).
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  type ClientCapabilities,
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import {
  type Broker,
  createBroker,
  createMcpServer,
  type McpServerOptions,
} from "../../../mod.ts";
import { deleted, providers } from "../approval/fixtures/delete_repo.ts";

/** An SDK client on an in-memory transport, answering elicitation if asked. */
async function connect(
  broker: Broker,
  capabilities: ClientCapabilities,
  answer?: (request: ElicitRequest) => ElicitResult | Promise<ElicitResult>,
  options?: McpServerOptions,
) {
  const server = createMcpServer(broker, options);
  const client = new Client({ name: "test", version: "1.0.0" }, {
    capabilities,
  });
  if (answer !== undefined) {
    client.setRequestHandler(ElicitRequestSchema, (request) => answer(request));
  }
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return {
    client,
    execute: async (code: string) => {
      const result = await client.callTool({
        name: "execute",
        arguments: { code },
      });
      return {
        text: (result.content as { text: string }[])[0]!.text,
        isError: result.isError === true,
      };
    },
    async [Symbol.asyncDispose]() {
      await client.close();
      await server.close();
    },
  };
}

Deno.test("createMcpServer() asks the client to approve a call through elicitation", async (t) => {
  await using broker = await createBroker({
    providers,
    pool: { size: 1 },
    secrets: ["tok-abc-123"],
  });
  const asked: ElicitRequest[] = [];
  let reply: ElicitResult = { action: "accept", content: { approve: true } };
  await using mcp = await connect(broker, { elicitation: {} }, (request) => {
    asked.push(request);
    return reply;
  });

  await t.step("an accepted approval runs the call", async () => {
    deleted.length = 0;
    const r = await mcp.execute(
      `await github.delete_repo({ repo: "x", token: "tok-abc-123" })`,
    );
    assert.deepEqual(r, { text: '"deleted x"', isError: false });
    assert.deepEqual(deleted, ["x"]);
    assert.equal(asked.length, 1);
    const { message, requestedSchema } = asked[0]!.params as {
      message: string;
      requestedSchema: { properties: Record<string, unknown> };
    };
    assert.match(message, /wants to call github\.delete_repo with:/);
    assert.match(message, /"repo": "x"/);
    // The approver sees no more than the model may: the secret is redacted.
    assert.match(message, /"token": "\[redacted\]"/);
    assert.doesNotMatch(message, /tok-abc-123/);
    assert.deepEqual(Object.keys(requestedSchema.properties), [
      "approve",
      "reason",
    ]);
  });

  await t.step(
    "a form answered with approve: false denies it, with the reason",
    async () => {
      deleted.length = 0;
      reply = {
        action: "accept",
        content: { approve: false, reason: "wrong repo" },
      };
      const r = await mcp.execute(
        `try { await github.delete_repo({ repo: "y" }) } catch (e) { return e.message }`,
      );
      assert.equal(
        r.text,
        '"Call to github.delete_repo was not approved: declined by the user: wrong repo"',
      );
      assert.deepEqual(deleted, []);
    },
  );

  await t.step(
    "a declined elicitation denies it, and uncaught ends tool_error",
    async () => {
      reply = { action: "decline" };
      const r = await mcp.execute(`await github.delete_repo({ repo: "z" })`);
      assert.equal(r.isError, true);
      assert.match(
        r.text,
        /^error tool_error: Call to github\.delete_repo was not approved: declined by the user/m,
      );
      reply = { action: "cancel" };
      const dismissed = await mcp.execute(
        `try { await github.delete_repo({ repo: "z" }) } catch (e) { return e.message }`,
      );
      assert.equal(
        dismissed.text,
        '"Call to github.delete_repo was not approved: the user dismissed the request"',
      );
      assert.deepEqual(deleted, []);
    },
  );
});

Deno.test("createMcpServer() denies a call that needs approval when the client cannot elicit", async () => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  deleted.length = 0;
  await using mcp = await connect(broker, {});
  const r = await mcp.execute(
    `try { await github.delete_repo({ repo: "x" }) } catch (e) { return e.message }`,
  );
  assert.equal(
    r.text,
    '"Call to github.delete_repo was not approved: the MCP client does not support elicitation, so no one can approve it (use a client that declares the elicitation capability, or configure an approver)"',
  );
  assert.deepEqual(deleted, []);
});

Deno.test("createMcpServer() uses its onApproval option instead of elicitation", async () => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  const asked: string[] = [];
  await using mcp = await connect(
    broker,
    { elicitation: {} },
    () => {
      throw new Error("elicitation must not be used");
    },
    {
      onApproval: (request) => {
        asked.push(request.caller);
        return { approved: false, reason: "policy" };
      },
    },
  );
  const r = await mcp.execute(
    `try { await github.delete_repo({ repo: "x" }) } catch (e) { return e.message }`,
  );
  assert.equal(r.text, '"Call to github.delete_repo was not approved: policy"');
  assert.deepEqual(asked, ["mcp"]);
});

Deno.test("createMcpServer() withdraws its elicitation when the execute call is cancelled", async () => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  const asked = Promise.withResolvers<void>();
  const withdrawn = Promise.withResolvers<void>();
  await using mcp = await connect(
    broker,
    { elicitation: {} },
    (_request) =>
      new Promise<ElicitResult>(() => {
        asked.resolve();
      }),
  );
  mcp.client.setNotificationHandler(
    // The server cancels its elicitation request when the run ends.
    z.object({ method: z.literal("notifications/cancelled") }).passthrough(),
    () => withdrawn.resolve(),
  );
  const controller = new AbortController();
  const call = mcp.client.callTool(
    {
      name: "execute",
      arguments: { code: `await github.delete_repo({ repo: "x" })` },
    },
    undefined,
    { signal: controller.signal },
  );
  await asked.promise;
  controller.abort();
  await assert.rejects(call);
  await withdrawn.promise;
});

Deno.test("createMcpServer() hands a client without elicitation to onApprovalWithoutElicitation", async () => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  deleted.length = 0;
  const asked: string[] = [];
  await using mcp = await connect(broker, {}, undefined, {
    onApprovalWithoutElicitation: (request) => {
      asked.push(request.tool);
      return { approved: true };
    },
  });
  const r = await mcp.execute(`await github.delete_repo({ repo: "w" })`);
  assert.deepEqual(r, { text: '"deleted w"', isError: false });
  assert.deepEqual(asked, ["github.delete_repo"]);
  assert.deepEqual(deleted, ["w"]);
});

import assert from "node:assert/strict";
import { z } from "zod";
import { deferred } from "../../_async.ts";
import {
  type ApprovalContext,
  type ApprovalRequest,
  type AuditRecord,
  createBroker,
  defineTool,
} from "../../../mod.ts";
import { sha256Hex } from "../../../broker/sha256.ts";

const deleted: string[] = [];
const providers = {
  tools: {
    delete_repo: defineTool({
      description: "Deletes a repository",
      input: z.object({ repo: z.string(), token: z.string().optional() }),
      approval: "required",
      execute: ({ repo }) => {
        deleted.push(repo);
        return `deleted ${repo}`;
      },
    }),
    read_repo: defineTool({
      input: z.object({ repo: z.string() }),
      execute: ({ repo }) => `read ${repo}`,
    }),
  },
};

type Asked = { request: ApprovalRequest; context: ApprovalContext };

Deno.test("Broker.execute() runs a call that needs approval once the approver approves it", async () => {
  const asked: Asked[] = [];
  const records: AuditRecord[] = [];
  await using broker = await createBroker({
    providers,
    pool: { size: 1 },
    secrets: ["tok-secret-1"],
    onRun: (record) => records.push(record),
    onApproval: (request, context) => {
      asked.push({ request, context });
      return { approved: true };
    },
  });
  deleted.length = 0;
  const code =
    `await tools.read_repo({ repo: "a" }); await tools.delete_repo({ repo: "a", token: "tok-secret-1" })`;
  const r = await broker.execute(code, { caller: "agent", session: "s1" });
  assert.deepEqual(r.ok && r.result, "deleted a");
  assert.deepEqual(deleted, ["a"]);
  // Only the call that needs approval is asked about.
  assert.equal(asked.length, 1);
  const { request } = asked[0]!;
  assert.equal(request.tool, "tools.delete_repo");
  assert.equal(request.caller, "agent");
  assert.equal(request.session, "s1");
  assert.deepEqual(request.arguments, { repo: "a", token: "[redacted]" });
  assert.equal(request.codeSha256, sha256Hex(code));
  assert.equal(asked[0]!.context.signal.aborted, true);
  await waitFor(() => records.length === 1);
  const record = records[0]!;
  assert.equal(request.runId, record.runId);
  assert.equal(record.calls[0]!.approval, undefined);
  const approval = record.calls[1]!.approval!;
  assert.equal(approval.id, request.id);
  assert.equal(approval.outcome, "approved");
  assert.equal(approval.reason, undefined);
  assert.equal(record.calls[1]!.outcome, "ok");
});

Deno.test("Broker.execute() gives the guest a catchable error when the approver denies a call", async () => {
  const records: AuditRecord[] = [];
  await using broker = await createBroker({
    providers,
    pool: { size: 1 },
    onRun: (record) => records.push(record),
    onApproval: () => ({ approved: false, reason: "not on a Friday" }),
  });
  deleted.length = 0;
  const caught = await broker.execute(
    `try { await tools.delete_repo({ repo: "b" }) } catch (e) { return [e instanceof Error, e.message] }`,
  );
  assert.deepEqual(caught.ok && caught.result, [
    true,
    "Call to tools.delete_repo was not approved: not on a Friday",
  ]);
  const uncaught = await broker.execute(
    `await tools.delete_repo({ repo: "b" })`,
  );
  assert.equal(uncaught.ok, false);
  assert.equal(!uncaught.ok && uncaught.error.code, "tool_error");
  assert.equal(
    !uncaught.ok && uncaught.error.message,
    "Call to tools.delete_repo was not approved: not on a Friday",
  );
  assert.deepEqual(deleted, []);
  await waitFor(() => records.length === 2);
  for (const record of records) {
    assert.equal(record.calls[0]!.outcome, "denied");
    assert.equal(record.calls[0]!.approval!.outcome, "denied");
    assert.equal(record.calls[0]!.approval!.reason, "not on a Friday");
  }
});

Deno.test("Broker.execute() denies a call that needs approval when there is no approver", async () => {
  await using broker = await createBroker({ providers, pool: { size: 1 } });
  deleted.length = 0;
  const r = await broker.execute(`await tools.delete_repo({ repo: "c" })`);
  assert.equal(!r.ok && r.error.code, "tool_error");
  assert.equal(
    !r.ok && r.error.message,
    "Call to tools.delete_repo was not approved: no approver is configured",
  );
  assert.deepEqual(deleted, []);
});

Deno.test("Broker.execute() denies a call when the approver throws or answers nonsense", async () => {
  let answer: () => unknown = () => {
    throw new Error("approval service down");
  };
  await using broker = await createBroker({
    providers,
    pool: { size: 1 },
    onApproval: () => answer() as { approved: true },
  });
  const thrown = await broker.execute(`await tools.delete_repo({ repo: "d" })`);
  assert.equal(
    !thrown.ok && thrown.error.message,
    "Call to tools.delete_repo was not approved: the approver failed: approval service down",
  );
  answer = () => ({ approved: "yes" });
  const truthy = await broker.execute(`await tools.delete_repo({ repo: "d" })`);
  assert.equal(
    !truthy.ok && truthy.error.message,
    "Call to tools.delete_repo was not approved: denied by the approver",
  );
});

Deno.test("Broker.execute() denies a call whose approver does not answer within approvalTimeoutMs", async () => {
  const records: AuditRecord[] = [];
  const asked = deferred<ApprovalContext>();
  await using broker = await createBroker({
    providers,
    pool: { size: 1 },
    approvalTimeoutMs: 300,
    onRun: (record) => records.push(record),
    onApproval: (_request, context) => {
      asked.resolve(context);
      return new Promise(() => {});
    },
  });
  const r = await broker.execute(
    `try { await tools.delete_repo({ repo: "e" }) } catch (e) { return e.message }`,
    { limits: { timeoutMs: 10_000 } },
  );
  assert.equal(
    r.ok && r.result,
    "Call to tools.delete_repo was not approved: no decision within 300 ms",
  );
  assert.equal((await asked.promise).signal.aborted, true);
  await waitFor(() => records.length === 1);
  assert.equal(records[0]!.calls[0]!.approval!.outcome, "timeout");
  assert.ok(records[0]!.calls[0]!.approval!.waitedMs >= 300);
});

Deno.test("Broker.execute() cancels pending approvals when its run is cancelled", async () => {
  const records: AuditRecord[] = [];
  const asked = deferred<ApprovalContext>();
  await using broker = await createBroker({
    providers,
    pool: { size: 1 },
    onRun: (record) => records.push(record),
    onApproval: (_request, context) => {
      asked.resolve(context);
      return new Promise(() => {});
    },
  });
  deleted.length = 0;
  const controller = new AbortController();
  const running = broker.execute(`await tools.delete_repo({ repo: "f" })`, {
    signal: controller.signal,
  });
  const context = await asked.promise;
  assert.equal(context.signal.aborted, false);
  controller.abort();
  const r = await running;
  assert.equal(!r.ok && r.error.code, "cancelled");
  assert.equal(context.signal.aborted, true);
  assert.deepEqual(deleted, []);
  await waitFor(() => records.length === 1);
  assert.equal(records[0]!.calls[0]!.approval!.outcome, "cancelled");
  assert.equal(records[0]!.calls[0]!.outcome, "cancelled");
});

Deno.test("Broker.execute() waits for concurrent approvals in one run and decides each on its own", async () => {
  const pending: { request: ApprovalRequest; decide: (ok: boolean) => void }[] =
    [];
  const both = deferred();
  await using broker = await createBroker({
    providers,
    pool: { size: 1 },
    onApproval: (request) =>
      new Promise((resolve) => {
        pending.push({
          request,
          decide: (ok) =>
            resolve(
              ok ? { approved: true } : {
                approved: false,
                reason: "no",
              },
            ),
        });
        if (pending.length === 2) both.resolve();
      }),
  });
  deleted.length = 0;
  const running = broker.execute(`
    const results = await Promise.allSettled([
      tools.delete_repo({ repo: "g1" }),
      tools.delete_repo({ repo: "g2" }),
    ]);
    results.map((r) => r.status === "fulfilled" ? r.value : r.reason.message)
  `);
  await both.promise;
  assert.notEqual(pending[0]!.request.id, pending[1]!.request.id);
  assert.equal(pending[0]!.request.runId, pending[1]!.request.runId);
  const byRepo = (repo: string) =>
    pending.find((p) =>
      (p.request.arguments as { repo: string }).repo === repo
    )!;
  byRepo("g2").decide(false);
  byRepo("g1").decide(true);
  const r = await running;
  assert.deepEqual(r.ok && r.result, [
    "deleted g1",
    "Call to tools.delete_repo was not approved: no",
  ]);
  assert.deepEqual(deleted, ["g1"]);
});

Deno.test("Broker.execute() pauses the run's time limit while a call waits for approval", async () => {
  await using broker = await createBroker({
    providers,
    pool: { size: 1 },
    // A person who takes three times the run's whole time limit.
    onApproval: async () => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return { approved: true };
    },
  });
  const r = await broker.execute(`await tools.delete_repo({ repo: "h" })`, {
    limits: { timeoutMs: 500 },
  });
  assert.deepEqual(r.ok && r.result, "deleted h");
});

Deno.test('defineTool() refuses an approval value other than "required"', async () => {
  await assert.rejects(
    () =>
      createBroker({
        providers: {
          tools: {
            x: defineTool({
              approval: "requird" as "required",
              execute: () => 1,
            }),
          },
        },
        pool: { size: 0 },
      }),
    {
      name: "TypeError",
      message: `Tool "x" has approval "requird"; the only value is "required"`,
    },
  );
});

async function waitFor(condition: () => boolean): Promise<void> {
  // The audit hook runs after execute() resolves, in a later task.
  for (let i = 0; i < 1000 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.ok(condition());
}

Deno.test("Broker.types() tells the model which tools wait for approval", async () => {
  await using broker = await createBroker({ providers, pool: { size: 0 } });
  const types = broker.types();
  assert.match(
    types,
    /\/\*\* Deletes a repository\n\s+\* Each call waits for a person's approval; a denial throws an Error\. \*\/\n\s+function delete_repo\(/,
  );
  assert.doesNotMatch(
    types.slice(types.indexOf("function read_repo") - 80),
    /approval/,
  );
  assert.equal(
    broker.tools().find((t) => t.name === "delete_repo")!.approval,
    "required",
  );
});

Deno.test("Broker.execute() shows an approver tokens, not the personal values the tool receives", async () => {
  const asked: ApprovalRequest[] = [];
  const received: unknown[] = [];
  await using broker = await createBroker({
    providers: {
      crm: {
        contact: defineTool({
          input: z.object({}),
          execute: () => ({ email: "ada@example.com" }),
        }),
        send_mail: defineTool({
          input: z.object({ to: z.string(), body: z.string() }),
          approval: "required",
          execute: (args) => {
            received.push(args);
            return "sent";
          },
        }),
      },
    },
    pool: { size: 1 },
    privacy: { tokenize: ["email"] },
    onApproval: (request) => {
      asked.push(request);
      return { approved: true };
    },
  });
  const r = await broker.execute(
    `const { email } = await crm.contact({});
     return await crm.send_mail({ to: email, body: "Hello " + email });`,
  );
  assert.deepEqual(r.ok && r.result, "sent");
  // The tool gets the real address; the approver sees what the model sees.
  assert.deepEqual(received, [{
    to: "ada@example.com",
    body: "Hello ada@example.com",
  }]);
  assert.deepEqual(asked[0]!.arguments, {
    to: "[EMAIL_1]",
    body: "Hello [EMAIL_1]",
  });
});

import assert from "node:assert/strict";
import { deferred } from "../_async.ts";
import {
  type ApprovalContext,
  type AuditRecord,
  defineTool,
} from "../../mod.ts";
import { createBroker } from "./_broker.ts";

const providers = {
  tools: {
    wipe: defineTool({ approval: "required", execute: () => "wiped" }),
  },
};

Deno.test("Broker.execute() kills guest code that computes while its call waits for approval", async () => {
  const records: AuditRecord[] = [];
  const asked = deferred<ApprovalContext>();
  await using broker = await createBroker({
    providers,
    pool: { size: 1 },
    // Far longer than the run's time limit: only the subprocess's CPU time
    // can end the run before the approval times out.
    approvalTimeoutMs: 30_000,
    onRun: (record) => records.push(record),
    onApproval: (_request, context) => {
      asked.resolve(context);
      return new Promise(() => {});
    },
  });
  // The call pauses the wall clock; the loop must not run for free.
  const r = await broker.execute(
    `tools.wipe({}).catch(() => {}); let n = 0; while (true) { n++ }`,
    { limits: { timeoutMs: 1000 } },
  );
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.error.code, "timeout");
  assert.equal(
    !r.ok && r.error.message,
    "Run exceeded the time limit of 1000 ms",
  );
  assert.equal((await asked.promise).signal.aborted, true);
  for (let i = 0; i < 1000 && records.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  // Ended by the deadline while still waiting, not by the approval timeout.
  const approval = records[0]!.calls[0]!.approval!;
  assert.equal(approval.outcome, "cancelled");
  assert.ok(approval.waitedMs < 30_000);
});

Deno.test("Broker.execute() keeps the approval wait bounded when the approver never answers", async () => {
  await using broker = await createBroker({
    providers,
    pool: { size: 1 },
    approvalTimeoutMs: 200,
    onApproval: () => new Promise(() => {}),
  });
  // An idle guest waits out the approval and is denied, within its limit.
  const r = await broker.execute(`await tools.wipe({})`, {
    limits: { timeoutMs: 5000 },
  });
  assert.equal(!r.ok && r.error.code, "tool_error");
  assert.equal(
    !r.ok && r.error.message,
    "Call to tools.wipe was not approved: no decision within 200 ms",
  );
});

Deno.test("Watchdog ends a paused run at its deadline when the main thread never ends the wait", async () => {
  const { Watchdog } = await import("../../broker/run/watchdog.ts");
  const watchdog = new Watchdog();
  // A process that uses no CPU: only the pause's own bound can end it.
  const child = new Deno.Command("sleep", {
    args: ["60"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await watchdog.ready();
    const verdict = Promise.withResolvers<string>();
    const watch = watchdog.watch(child.pid, {
      timeoutMs: 300,
      rssLimitBytes: 2 ** 40,
      maxPauseMs: 200,
      onVerdict: (v) => verdict.resolve(v),
      onLost: () => verdict.resolve("lost"),
    });
    // Paused at once and never resumed, as if the main thread were stuck.
    watch.pause();
    assert.equal(await verdict.promise, "timeout");
    assert.equal(watch.verdict(), "timeout");
    const status = await child.status;
    assert.equal(status.signal, "SIGKILL");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Killed by the watchdog.
    }
    await child.status;
    watchdog.close();
  }
});

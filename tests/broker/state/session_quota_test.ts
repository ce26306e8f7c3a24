import assert from "node:assert/strict";
import { ExecboxError } from "../../../mod.ts";
import { SessionQuota } from "../../../broker/state/session_quota.ts";

Deno.test("SessionQuota.enter() frees a caller's place when a session expires", () => {
  let now = 0;
  const quota = new SessionQuota({
    maxPerCaller: 2,
    ttlMs: 1000,
    now: () => now,
  });
  quota.enter("alice", "a");
  now = 500;
  quota.enter("alice", "b");
  assert.throws(() => quota.enter("alice", "c"), {
    name: "ExecboxError",
    message:
      'Cannot start session "c": caller "alice" already has 2 live sessions, the limit of sessions.maxPerCaller',
  });
  // "a" was last used at 0 and expires at 1000; "b" lives until 1500.
  now = 1000;
  quota.enter("alice", "c");
  assert.throws(() => quota.enter("alice", "a"), ExecboxError);
});

Deno.test("SessionQuota.enter() renews a session each time a run uses it", () => {
  let now = 0;
  const quota = new SessionQuota({
    maxPerCaller: 1,
    ttlMs: 1000,
    now: () => now,
  });
  quota.enter("alice", "a");
  now = 900;
  quota.enter("alice", "a");
  now = 1500;
  assert.throws(() => quota.enter("alice", "b"), ExecboxError);
  now = 1900;
  quota.enter("alice", "b");
});

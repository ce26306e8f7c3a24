/**
 * PII tokenization under attack: no cut, full scope, concurrent run or other
 * scope lets a personal value (or part of one) out, or sends one to the wrong
 * place.
 */

import assert from "node:assert/strict";
import type { ExecuteResult } from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { executeText } from "../../broker/mcp/text.ts";
import { crmProviders } from "../broker/privacy/_crm.ts";

const PRIVACY = { tokenize: ["email" as const, "phone" as const] };

function assertNoEmail(run: ExecuteResult): void {
  assert.doesNotMatch(JSON.stringify(run), /@|example|user\d/);
}

Deno.test("RunLogs never shows part of an email when the log cap cuts inside it", async () => {
  await using broker = await createBroker({
    pool: { size: 1 },
    privacy: PRIVACY,
  });
  for (let shift = 0; shift < 12; shift += 3) {
    const run = await broker.execute(
      `console.log("x".repeat(${1000 + shift}) + " user42@example.com")`,
      { limits: { maxLogBytes: 1012 } },
    );
    assertNoEmail(run);
  }
});

Deno.test("RunLogs cuts an entry the runtime cut inside an email, even when its tokens make it fit", async () => {
  await using broker = await createBroker({
    pool: { size: 1 },
    privacy: PRIVACY,
  });
  // 18-character addresses become 10-character tokens: the entry the
  // runtime cut at 1015 characters ("... user63@e") is about 600 once
  // tokenized.
  const run = await broker.execute(
    `console.log(Array.from({ length: 80 }, (_, i) => "user" + (10 + i) + "@example.com").join(" "))`,
    { limits: { maxLogBytes: 1014 } },
  );
  assertNoEmail(run);
  assert.match(run.logs[0]!.message, /^\[EMAIL_1\] \[EMAIL_2\]/);
});

Deno.test("Broker.execute() never shows part of an email in an error message the runtime cut", async () => {
  await using broker = await createBroker({
    pool: { size: 1 },
    privacy: PRIVACY,
  });
  for (let shift = 0; shift < 12; shift += 3) {
    const run = await broker.execute(
      `throw new Error("x".repeat(${4070 + shift}) + " user42@example.com")`,
    );
    assert.equal(run.ok, false);
    assertNoEmail(run);
  }
});

Deno.test("executeText() never cuts the MCP text inside a token", () => {
  for (let maxBytes = 40; maxBytes < 60; maxBytes++) {
    const run: ExecuteResult = {
      ok: true,
      result: `${"a".repeat(30)} [EMAIL_12] [EMAIL_13] [EMAIL_14]`,
      logs: [],
      stats: {
        durationMs: 1,
        toolCalls: 0,
        coldStart: false,
        peakMemoryBytes: 0,
      },
    };
    const text = executeText(run, maxBytes);
    assert.doesNotMatch(
      text.replace(/\[EMAIL_1\d\]/g, ""),
      /\[EMAIL/,
      `cut at ${maxBytes}: ${text}`,
    );
  }
});

Deno.test("Broker.execute() ends a run whose scope is full without showing any value", async () => {
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: crmProviders([]),
    privacy: { ...PRIVACY, maxTokens: 3 },
  });
  for (
    const code of [
      "(await crm.list_customers({})).slice(0, 50)",
      "for (const r of await crm.list_customers({})) console.log(r.email); 1",
      "const r = await crm.list_customers({}); throw new Error(r.map((c) => c.email).join())",
    ]
  ) {
    const run = await broker.execute(code);
    assert.equal(!run.ok && run.error.limit, "privacyTokens", code);
    assertNoEmail(run);
  }
});

Deno.test("Broker.execute() redacts a secret before tokenizing, so it never becomes a token", async () => {
  await using broker = await createBroker({
    pool: { size: 1 },
    secrets: ["admin@example.com"],
    privacy: PRIVACY,
  });
  const run = await broker.execute(
    '"admin@example.com and user1@example.com"',
  );
  assert.deepEqual(run.ok && run.result, "[redacted] and [EMAIL_1]");
});

Deno.test("Broker.execute() gives concurrent runs of one session distinct tokens for distinct values", async () => {
  const sent: unknown[] = [];
  await using broker = await createBroker({
    pool: { size: 2 },
    providers: crmProviders(sent),
    privacy: PRIVACY,
  });
  const [a, b] = await Promise.all([
    broker.execute('"a@one.example"', { session: "s" }),
    broker.execute('"b@two.example"', { session: "s" }),
  ]);
  assert.notEqual(a.ok && a.result, b.ok && b.result);
  await broker.execute(
    'await mail.send({ to: "[EMAIL_1]" }); await mail.send({ to: "[EMAIL_2]" })',
    { session: "s" },
  );
  assert.deepEqual(
    sent.map((s) => (s as { to: string }).to).sort(),
    ["a@one.example", "b@two.example"],
  );
});

Deno.test("Broker.execute() never resolves a token of another caller's or session's scope", async () => {
  const sent: unknown[] = [];
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: crmProviders(sent),
    privacy: PRIVACY,
  });
  await broker.execute("await crm.list_customers({})", {
    session: "victim",
    caller: "alice",
  });
  const attack =
    "for (let i = 1; i <= 200; i++) await mail.send({ to: `[EMAIL_${i}]` })";
  await broker.execute(attack, { session: "victim", caller: "mallory" });
  await broker.execute(attack, { session: "other", caller: "alice" });
  await broker.execute(attack);
  assert.equal(sent.length, 600);
  assert.doesNotMatch(JSON.stringify(sent), /@/);
});

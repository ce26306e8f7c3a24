/**
 * PII tokenization through the library: what leaves a run carries tokens,
 * tokens in tool arguments become real values again, scoped to the session.
 */

import assert from "node:assert/strict";
import {
  type AuditRecord,
  type Broker,
  type BrokerOptions,
  createBroker,
} from "../../../mod.ts";
import { sha256Hex } from "../../../broker/sha256.ts";
import { crmProviders } from "./_crm.ts";

async function privateBroker(
  sent: unknown[],
  extra: BrokerOptions = {},
): Promise<Broker> {
  return await createBroker({
    pool: { size: 1 },
    providers: crmProviders(sent),
    privacy: { tokenize: ["email", "phone"] },
    ...extra,
  });
}

Deno.test("Broker.execute() returns 200 rows with only tokens, and a later run of the session sends [EMAIL_7] as the real address", async () => {
  const sent: unknown[] = [];
  await using broker = await privateBroker(sent);
  const first = await broker.execute(
    "const rows = await crm.list_customers({});\n" +
      "console.log('first', rows[0].email, rows[0].phone);\n" +
      "rows",
    { session: "s1" },
  );
  assert.equal(first.ok, true, JSON.stringify(first));
  const text = JSON.stringify(first);
  assert.doesNotMatch(text, /@example\.com|\+1 555/);
  const rows = (first as { result: Record<string, unknown>[] }).result;
  assert.equal(rows.length, 200);
  assert.deepEqual(rows[6], {
    id: 7,
    name: "Customer 7",
    email: "[EMAIL_7]",
    phone: "[PHONE_7]",
  });
  assert.deepEqual(first.logs, [
    { level: "log", message: "first [EMAIL_1] [PHONE_1]" },
  ]);

  const second = await broker.execute(
    'await mail.send({ to: "[EMAIL_7]", body: "call [PHONE_7] or [PHONE_999]" })',
    { session: "s1" },
  );
  assert.equal(second.ok, true, JSON.stringify(second));
  assert.deepEqual(sent, [{
    to: "user7@example.com",
    body: "call +1 555 010 0007 or [PHONE_999]",
  }]);
  // The tool's own log, with the real address, leaves tokenized.
  assert.deepEqual(second.logs, [
    { level: "info", message: "mailer accepted [EMAIL_7]" },
  ]);
});

Deno.test("Broker.execute() leaves a token of another session or caller as it is", async () => {
  const sent: unknown[] = [];
  await using broker = await privateBroker(sent);
  const first = await broker.execute(
    "(await crm.list_customers({}))[6].email",
    { session: "s1", caller: "alice" },
  );
  assert.deepEqual(first.ok && first.result, "[EMAIL_1]");
  const send = 'await mail.send({ to: "[EMAIL_1]" })';
  await broker.execute(send, { session: "s2", caller: "alice" });
  await broker.execute(send, { session: "s1", caller: "bob" });
  await broker.execute(send);
  await broker.execute(send, { session: "s1", caller: "alice" });
  assert.deepEqual(sent, [
    { to: "[EMAIL_1]" },
    { to: "[EMAIL_1]" },
    { to: "[EMAIL_1]" },
    { to: "user7@example.com" },
  ]);
});

Deno.test("Broker.execute() gives a run without a session tokens that a later run cannot resolve", async () => {
  const sent: unknown[] = [];
  await using broker = await privateBroker(sent);
  const run = await broker.execute(
    "const rows = await crm.list_customers({});\n" +
      "await mail.send({ to: '[EMAIL_2]' });\n" +
      "[rows[1].email, rows[1].email]",
  );
  assert.deepEqual(run.ok && run.result, ["[EMAIL_1]", "[EMAIL_1]"]);
  // Within the run its own token resolves; [EMAIL_2] did not exist yet.
  await broker.execute("await mail.send({ to: '[EMAIL_1]' })");
  assert.deepEqual(sent, [{ to: "[EMAIL_2]" }, { to: "[EMAIL_1]" }]);
});

Deno.test("Broker.execute() tokenizes error messages and logs", async () => {
  await using broker = await privateBroker([]);
  const thrown = await broker.execute(
    "const rows = await crm.list_customers({});\n" +
      "console.warn({ contact: rows[3].email });\n" +
      "throw new Error('no reply from ' + rows[3].email + ' at ' + rows[3].phone);",
  );
  assert.equal(thrown.ok, false);
  assert.equal(
    !thrown.ok && thrown.error.message,
    "Error: no reply from [EMAIL_1] at [PHONE_1]",
  );
  assert.match(thrown.logs[0]!.message, /contact: "\[EMAIL_1\]"/);
  assert.doesNotMatch(JSON.stringify(thrown), /user4|010 0004/);
});

Deno.test("Broker.execute() tokenizes custom patterns, the longest of overlapping matches, and values inside nested JSON", async () => {
  await using broker = await createBroker({
    pool: { size: 1 },
    privacy: {
      tokenize: [
        "email",
        "phone",
        "credit_card",
        "iban",
        "ipv4",
        { name: "employee_id", pattern: "E-\\d{6}" },
        { name: "local", pattern: "[a-z]+(?=@)" },
      ],
    },
  });
  const run = await broker.execute(`
    const person = { email: "ann@corp.example", card: "4111 1111 1111 1111" };
    ({
      nested: { deep: [{ who: "E-123456 from 10.1.2.3" }] },
      json: JSON.stringify(person),
      ["ann@corp.example"]: "key",
      iban: "IBAN DE89 3704 0044 0532 0130 00, bad DE89370400440532013001",
      phoneAsNumber: 15550100007,
      version: "1.2.3.4.5",
    })
  `);
  assert.equal(run.ok, true, JSON.stringify(run));
  assert.deepEqual((run as { result: unknown }).result, {
    nested: { deep: [{ who: "[EMPLOYEE_ID_1] from [IPV4_1]" }] },
    // "ann" alone matches "local": the whole address, longer, wins.
    json: '{"email":"[EMAIL_1]","card":"[CREDIT_CARD_1]"}',
    "[EMAIL_1]": "key",
    iban: "IBAN [IBAN_1], bad DE89370400440532013001",
    phoneAsNumber: 15550100007,
    version: "1.2.3.4.5",
  });
});

Deno.test("Broker.execute() ends a run with privacyTokens when the scope is full, showing no value", async () => {
  await using broker = await privateBroker([], {
    privacy: { tokenize: ["email", "phone"], maxTokens: 5 },
  });
  const run = await broker.execute(
    "(await crm.list_customers({})).slice(0, 3)",
  );
  assert.equal(run.ok, false);
  assert.deepEqual(!run.ok && run.error, {
    code: "limit_exceeded",
    message:
      "Run output holds more than 5 distinct personal values to tokenize (privacy.maxTokens)",
    limit: "privacyTokens",
  });
  assert.doesNotMatch(JSON.stringify(run), /@example\.com|555 010/);

  const logged = await broker.execute(
    "for (const r of (await crm.list_customers({})).slice(0, 3)) console.log(r.email); 1",
    { session: "s" },
  );
  assert.equal(logged.ok, true);
  const full = await broker.execute(
    "for (const r of (await crm.list_customers({})).slice(3, 6)) console.log(r.email); 1",
    { session: "s" },
  );
  assert.equal(!full.ok && full.error.limit, "privacyTokens");
  assert.doesNotMatch(JSON.stringify(full), /@example/);
  assert.deepEqual(full.logs.map((l) => l.message), ["[EMAIL_4]", "[EMAIL_5]"]);
});

Deno.test("Broker.execute() gives audit records tokens, and hashes the tokenized arguments", async () => {
  const records: AuditRecord[] = [];
  const { promise, resolve } = Promise.withResolvers<void>();
  await using broker = await privateBroker([], {
    audit: { includeArgs: true },
    onRun: (record) => {
      records.push(structuredClone(record));
      resolve();
    },
  });
  await broker.execute(
    "const rows = await crm.list_customers({});\n" +
      "await mail.send({ to: rows[4].email, body: '[EMAIL_1]' });\n" +
      "rows[4].email",
  );
  await promise;
  const [record] = records;
  const call = record!.calls[1]!;
  const args = { to: "[EMAIL_1]", body: "[EMAIL_1]" };
  assert.deepEqual(call.args, args);
  assert.equal(call.argsSha256, sha256Hex(JSON.stringify(args)));
  assert.doesNotMatch(JSON.stringify(record), /user5/);
});

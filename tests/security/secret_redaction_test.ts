import assert from "node:assert/strict";
import { type AuditRecord, defineTool, type ExecuteResult } from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { assertNotInOutcome, assertResult } from "./_fixtures.ts";

const SECRET = `sk-${crypto.randomUUID()}`;
const HEADER_TOKEN = `hdr-${crypto.randomUUID()}`;

/** A broker whose host tools return, throw and log both secrets. */
async function leakyBroker(records: AuditRecord[]) {
  return await createBroker({
    pool: { size: 1 },
    secrets: [SECRET],
    // Never reached (optional, nothing listens): only its header matters.
    mcpServers: {
      remote: {
        url: "http://127.0.0.1:9/mcp",
        headers: { Authorization: `Bearer ${HEADER_TOKEN}` },
        optional: true,
      },
    },
    onRun: (record) => records.push(record),
    audit: { includeArgs: true, includeCode: true },
    providers: {
      vault: {
        read: defineTool({
          execute: () => ({
            token: SECRET,
            [`key-${SECRET}`]: [`Bearer ${HEADER_TOKEN}`],
            quoted: `"${SECRET}"`,
          }),
        }),
        fail: defineTool({
          execute: () => {
            throw new Error(`Token ${SECRET} was rejected (${HEADER_TOKEN})`);
          },
        }),
        chatty: defineTool({
          execute: (_input, { log }) => {
            log("info", `using ${SECRET}`);
            log("warn", `and ${HEADER_TOKEN}`);
            return "logged";
          },
        }),
      },
    },
  });
}

function assertClean(run: ExecuteResult, records: AuditRecord[]): void {
  assertNotInOutcome(run, SECRET, HEADER_TOKEN);
  const audit = JSON.stringify(records);
  assert.ok(!audit.includes(SECRET) && !audit.includes(HEADER_TOKEN), audit);
}

Deno.test("Broker.execute() redacts secrets a host tool returns", async () => {
  const records: AuditRecord[] = [];
  await using broker = await leakyBroker(records);
  const run = await broker.execute(`await vault.read()`);
  assertResult(run, {
    token: "[redacted]",
    "key-[redacted]": ["[redacted]"],
    quoted: `"[redacted]"`,
  });
  assertClean(run, records);
});

Deno.test("Broker.execute() redacts secrets in a host tool's error", async () => {
  const records: AuditRecord[] = [];
  await using broker = await leakyBroker(records);
  const caught = await broker.execute(
    `let message; try { await vault.fail() } catch (error) { message = error.message } message`,
  );
  assertResult(caught, "Token [redacted] was rejected ([redacted])");
  const uncaught = await broker.execute(`await vault.fail()`);
  assert.equal(!uncaught.ok && uncaught.error.code, "tool_error");
  assertClean(caught, records);
  assertClean(uncaught, records);
});

Deno.test("Broker.execute() redacts secrets a host tool logs", async () => {
  const records: AuditRecord[] = [];
  await using broker = await leakyBroker(records);
  const run = await broker.execute(`await vault.chatty()`);
  assertResult(run, "logged");
  assert.deepEqual(run.logs, [
    { level: "info", message: "using [redacted]" },
    { level: "warn", message: "and [redacted]" },
  ]);
  assertClean(run, records);
});

import assert from "node:assert/strict";
import {
  AuditLog,
  type AuditRecord,
  defineTool,
  MAX_AUDIT_ARG_BYTES,
} from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { sha256Hex } from "../../broker/sha256.ts";
import { assertResult } from "./_fixtures.ts";

Deno.test("Broker.execute() cannot push its own audit record out of the audit log by padding its calls", async () => {
  const chunks: Uint8Array[] = [];
  // The default queue of 4 MiB; ten 450 KB arguments would make 4.5 MB.
  const log = new AuditLog(
    new WritableStream({ write: (chunk) => void chunks.push(chunk) }),
  );
  const run = await (async () => {
    await using broker = await createBroker({
      pool: { size: 1 },
      onRun: log.hook,
      audit: { includeArgs: true },
      providers: {
        tools: {
          deleteRepo: defineTool({ execute: () => "deleted" }),
          pad: defineTool({ execute: () => "padded" }),
        },
      },
    });
    return await broker.execute(`
      await tools.deleteRepo({ repo: "prod" });
      const padding = "x".repeat(450_000);
      for (let i = 0; i < 10; i++) await tools.pad({ padding });
      "done"
    `);
  })();
  assertResult(run, "done");
  await log.close();

  assert.equal(log.dropped, 0);
  const lines = new TextDecoder().decode(
    new Uint8Array(chunks.flatMap((chunk) => [...chunk])),
  ).trimEnd().split("\n");
  assert.equal(lines.length, 1);
  const record = JSON.parse(lines[0]!) as AuditRecord;
  assert.equal(record.truncated, undefined);
  const [deleted, ...padded] = record.calls.map((
    { atMs: _, durationMs: __, ...call },
  ) => call);
  assert.deepEqual(deleted, {
    tool: "tools.deleteRepo",
    outcome: "ok",
    argsSha256: sha256Hex(`{"repo":"prod"}`),
    args: { repo: "prod" },
  });
  const paddingText = JSON.stringify({ padding: "x".repeat(450_000) });
  assert.ok(paddingText.length > MAX_AUDIT_ARG_BYTES);
  assert.deepEqual(
    padded,
    Array.from({ length: 10 }, () => ({
      tool: "tools.pad",
      outcome: "ok",
      argsSha256: sha256Hex(paddingText),
      argsBytes: 450_014,
      truncated: true,
    })),
  );
});

import assert from "node:assert/strict";
import type { ExecuteResult, LogEntry } from "../../../mod.ts";
import { structuredResult } from "../../../broker/mcp/text.ts";
import { RunLogs } from "../../../broker/run/logs.ts";

const STATS = {
  durationMs: 1,
  toolCalls: 0,
  coldStart: false,
  peakMemoryBytes: 0,
};

function run(logs: LogEntry[]): ExecuteResult {
  return { ok: true, result: 1, logs, stats: STATS };
}

Deno.test("structuredResult() drops log entries past maxLogBytes and ends them with the marker", () => {
  const flood = Array.from(
    { length: 1000 },
    (): LogEntry => ({ level: "log", message: "" }),
  );
  const structured = structuredResult(run(flood), 160);
  assert.deepEqual(structured.logs, [
    ...Array.from({ length: 10 }, () => ({ level: "log", message: "" })),
    {
      level: "warn",
      message: "[execbox] log output truncated: more than 160 bytes",
    },
  ]);
  assert.equal(structured.result, 1);
});

Deno.test("structuredResult() keeps logs a run already cut exactly as they are", () => {
  for (const messages of [["", "", "x".repeat(500)], ["é".repeat(300)]]) {
    const logs = new RunLogs(200);
    for (const message of messages) logs.add("info", message);
    const structured = structuredResult(run(logs.entries), 200);
    assert.deepEqual(structured.logs, logs.entries);
  }
});

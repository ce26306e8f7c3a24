/** Audit records for the audit tests. */

import type { AuditRecord } from "../../../broker/audit/record.ts";
import { sha256Hex } from "../../../broker/sha256.ts";

/** A record whose JSON line has the same length for every `i` below 10^8. */
export function record(
  i: number,
  fields: Partial<AuditRecord> = {},
): AuditRecord {
  return {
    runId: `run-${String(i).padStart(8, "0")}`,
    time: "2025-01-01T00:00:00.000Z",
    caller: "library",
    codeSha256: sha256Hex("1 + 1"),
    outcome: "ok",
    durationMs: 5,
    peakMemoryBytes: 0,
    calls: [{
      tool: "github.create_issue",
      atMs: 1,
      durationMs: 2,
      outcome: "ok",
      argsSha256: sha256Hex("{}"),
    }],
    ...fields,
  };
}

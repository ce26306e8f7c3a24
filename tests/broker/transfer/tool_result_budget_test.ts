import assert from "node:assert/strict";
import { ToolResultBudget } from "../../../broker/transfer/tool_result_budget.ts";

Deno.test("ToolResultBudget.admitPart() checks the call's bytes so far and counts each part once", () => {
  const budget = new ToolResultBudget(10, 15);
  assert.equal(budget.admitPart("t.a", 6, 6), undefined);
  assert.equal(budget.admitPart("t.a", 10, 4), undefined);
  assert.equal(budget.received, 10);
  assert.deepEqual(budget.admitPart("t.a", 11, 1), {
    limit: "maxToolResultBytes",
    message: "Result of t.a is 11 bytes, more than the limit of 10",
  });
  assert.equal(budget.admitPart("t.b", 5, 5), undefined);
  assert.deepEqual(budget.admitPart("t.c", 1, 1), {
    limit: "maxRunToolResultBytes",
    message:
      "Results of tool calls reached 16 bytes with t.c, more than the limit of 15 per run",
  });
  assert.equal(budget.received, 15);
});

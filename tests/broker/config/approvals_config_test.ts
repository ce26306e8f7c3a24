import assert from "node:assert/strict";
import {
  brokerOptionsFromConfig,
  parseConfig,
} from "../../../broker/config/config.ts";
import { configError } from "./_config_error.ts";

Deno.test("parseConfig() reads approvals, requireApproval, approveDestructive and the HTTP approvers", () => {
  const { config } = parseConfig(
    JSON.stringify({
      approvals: { timeoutMs: 60000 },
      http: { tokens: { ops: "t1" }, approvers: ["ops"], selfApproval: true },
      mcpServers: {
        gh: {
          command: "gh-mcp",
          requireApproval: ["delete_*", "merge_*"],
          approveDestructive: true,
        },
      },
    }),
    "x.jsonc",
    {},
  );
  assert.deepEqual(config.approvals, { timeoutMs: 60000 });
  assert.deepEqual(config.http.approvers, ["ops"]);
  assert.equal(config.http.selfApproval, true);
  assert.deepEqual(config.mcpServers.gh, {
    type: "stdio",
    command: "gh-mcp",
    requireApproval: ["delete_*", "merge_*"],
    approveDestructive: true,
  });
  const options = brokerOptionsFromConfig(config);
  assert.equal(options.approvalTimeoutMs, 60000);
  assert.equal(
    brokerOptionsFromConfig(parseConfig("{}", "x.jsonc", {}).config)
      .approvalTimeoutMs,
    undefined,
  );
});

Deno.test("parseConfig() refuses a misspelt approval key with a suggestion", () => {
  assert.match(
    configError(
      '{ "mcpServers": { "gh": { "command": "x", "requireAproval": ["*"] } } }',
    ),
    /unknown key "requireAproval".*did you mean "requireApproval"/s,
  );
  assert.match(
    configError('{ "approvals": { "timeoutMs": 0 } }'),
    /approvals\.timeoutMs must be a whole number of at least 1/,
  );
  assert.match(
    configError(
      '{ "mcpServers": { "gh": { "command": "x", "approveDestructive": "yes" } } }',
    ),
    /approveDestructive.*must be true or false/s,
  );
});

import assert from "node:assert/strict";
import { createBroker, type McpServerConfig } from "../../../mod.ts";

const _SERVER = new URL("./fixtures/annotated_server.ts", import.meta.url)
  .pathname;
const _CONFIG = new URL("../../../deno.json", import.meta.url).pathname;

function annotated(
  extra: Partial<McpServerConfig> = {},
): McpServerConfig {
  return {
    command: Deno.execPath(),
    args: ["run", "-A", "--config", _CONFIG, _SERVER],
    ...extra,
  } as McpServerConfig;
}

const CODE = `
  const out = [];
  for (const name of ["delete_item", "archive_item", "drop_table", "merge_items"]) {
    try { out.push(await db[name]({})) } catch (e) { out.push(e.message) }
  }
  out
`;

Deno.test("Broker.execute() asks approval for MCP tools that match requireApproval or say destructiveHint: true", async () => {
  const asked: string[] = [];
  await using broker = await createBroker({
    mcpServers: {
      db: annotated({ requireApproval: ["merge_*"], approveDestructive: true }),
    },
    pool: { size: 1 },
    onApproval: (request) => {
      asked.push(request.tool);
      return { approved: false, reason: "no" };
    },
  });
  const r = await broker.execute(CODE, { limits: { timeoutMs: 20_000 } });
  assert.deepEqual(r.ok && r.result, [
    "Call to db.delete_item was not approved: no",
    "archived",
    // Unannotated: MCP would call it destructive, approveDestructive does not.
    "dropped",
    "Call to db.merge_items was not approved: no",
  ]);
  assert.deepEqual(asked, ["db.delete_item", "db.merge_items"]);
});

Deno.test("Broker.execute() runs MCP tools without approval when the server asks for none", async () => {
  const asked: string[] = [];
  await using broker = await createBroker({
    mcpServers: { db: annotated() },
    pool: { size: 1 },
    onApproval: (request) => {
      asked.push(request.tool);
      return { approved: false, reason: "no" };
    },
  });
  const r = await broker.execute(CODE, { limits: { timeoutMs: 20_000 } });
  assert.deepEqual(r.ok && r.result, [
    "deleted",
    "archived",
    "dropped",
    "merged",
  ]);
  assert.deepEqual(asked, []);
});

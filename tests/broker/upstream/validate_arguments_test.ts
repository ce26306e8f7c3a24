import assert from "node:assert/strict";
import { createBroker } from "../../../mod.ts";
import { everythingServer, spawnLog } from "../../_mcp_servers.ts";

const BAD_CALL = `
  let caught;
  try {
    await everything.get_sum({ a: "1", b: 2 });
  } catch (error) {
    caught = [error.code, error.message];
  }
  caught
`;

/** The `tools/call` requests the broker wrote to an MCP server's stdin. */
function toolCalls(stdin: string): { name: string; arguments: unknown }[] {
  return stdin.split("\n").filter((line) => line !== "")
    .map((line) => JSON.parse(line))
    .filter((message) => message.method === "tools/call")
    .map(({ params }) => ({ name: params.name, arguments: params.arguments }));
}

Deno.test("Broker checks MCP tool arguments against the tool's inputSchema before any request", async () => {
  const host = spawnLog(undefined, { recordStdin: true });
  await using broker = await createBroker({
    host,
    pool: { size: 1 },
    mcpServers: { everything: everythingServer() },
  });
  const server = host.spawns.find((s) => s.options.processGroup)!;

  const bad = await broker.execute(BAD_CALL);
  assert.deepEqual(bad.ok && bad.result, [
    "validation_error",
    'Invalid input for everything.get_sum: input.a: Instance type "string" is invalid. Expected "number"',
  ]);
  assert.deepEqual(toolCalls(server.stdin()), []);

  const missing = await broker.execute(`await everything.get_sum({ a: 1 })`);
  assert.deepEqual(missing.ok ? missing : missing.error, {
    code: "validation_error",
    message:
      'Invalid input for everything.get_sum: input: Instance does not have required property "b"',
  });
  assert.deepEqual(toolCalls(server.stdin()), []);

  const good = await broker.execute(`await everything.get_sum({ a: 1, b: 2 })`);
  assert.equal(good.ok && typeof good.result, "string");
  assert.deepEqual(toolCalls(server.stdin()), [
    { name: "get-sum", arguments: { a: 1, b: 2 } },
  ]);
});

Deno.test("Broker sends MCP tool arguments unchecked with validateArguments: false", async () => {
  const host = spawnLog(undefined, { recordStdin: true });
  await using broker = await createBroker({
    host,
    pool: { size: 1 },
    mcpServers: {
      everything: { ...everythingServer(), validateArguments: false },
    },
  });
  const server = host.spawns.find((s) => s.options.processGroup)!;

  const bad = await broker.execute(BAD_CALL);
  // The server's own check answers, after a round trip.
  assert.equal(bad.ok && (bad.result as string[])[0], "tool_error");
  assert.deepEqual(toolCalls(server.stdin()), [
    { name: "get-sum", arguments: { a: "1", b: 2 } },
  ]);
});

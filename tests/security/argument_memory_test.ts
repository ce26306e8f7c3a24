import assert from "node:assert/strict";
import { defineTool } from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { assertResult, REPO_ROOT } from "./_fixtures.ts";

const MIB = 2 ** 20;

Deno.test("Broker.execute() keeps the broker's memory bounded while 520 calls with 500 KB arguments wait on a slow tool", async () => {
  // The broker runs in a process of its own: this test process is shared
  // with the other test modules under --parallel.
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      `${REPO_ROOT}/deno.json`,
      "--v8-flags=--expose-gc",
      `${REPO_ROOT}/tests/security/fixtures/argument_flood.ts`,
    ],
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  assert.equal(code, 0, text.decode(stderr));
  const flood = JSON.parse(text.decode(stdout));
  assert.equal(flood.result, 520);
  const growth = (flood.peakBytes - flood.beforeBytes) / MIB;
  assert.ok(growth < 100, `the broker grew by ${growth.toFixed(0)} MiB`);
  // maxInFlightArgBytes (16 MiB) holds 33 arguments of 500,008 bytes.
  assert.equal(flood.mostHeld, 33);
});

Deno.test("Broker.execute() fails at once, catchably, a tool argument larger than maxInFlightArgBytes", async () => {
  const received: unknown[] = [];
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: {
      tools: {
        echo: defineTool({
          execute: (input) => {
            received.push(input);
            return input;
          },
        }),
      },
    },
  });
  const run = await broker.execute(
    `
    let caught;
    try {
      await tools.echo({ s: "x".repeat(2000) });
    } catch (error) {
      caught = [error.code, error.message];
    }
    const small = await tools.echo({ s: "fits" });
    [caught, small]
  `,
    { limits: { maxInFlightArgBytes: 1024 } },
  );
  assertResult(run, [
    [
      "tool_error",
      "Tool call argument is 2008 bytes, more than the 1024 bytes of arguments a run may have in flight (maxInFlightArgBytes)",
    ],
    { s: "fits" },
  ]);
  assert.equal(run.stats.toolCalls, 2);
  assert.deepEqual(received, [{ s: "fits" }]);
});

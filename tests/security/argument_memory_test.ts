import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { createBroker, defineTool } from "../../mod.ts";
import { assertResult } from "./_fixtures.ts";

const MIB = 2 ** 20;

// Resident memory after a full collection: what the broker holds, not the
// garbage V8 has yet to collect (it lets its heap grow to ~4x the live size).
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
function residentAfterGc(): number {
  gc();
  return Deno.memoryUsage().rss;
}

Deno.test("Broker.execute() keeps the broker's memory bounded while 520 calls with 500 KB arguments wait on a slow tool", async () => {
  // The slow tool answers the calls it holds once no new one has arrived for
  // 200 ms, so it holds every call the broker lets through at once.
  const held: (() => void)[] = [];
  let quiet: ReturnType<typeof setTimeout> | undefined;
  let mostHeld = 0;
  let batches = 0;
  let peak = 0;
  const release = () => {
    // A full collection takes ~0.3 s here: measure the first batches.
    if (++batches <= 3) peak = Math.max(peak, residentAfterGc());
    for (const answer of held.splice(0)) answer();
  };
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: {
      tools: {
        slow: defineTool({
          input: { type: "object" },
          execute: (input) =>
            new Promise((resolve) => {
              held.push(() => resolve((input as { s: string }).s.length));
              mostHeld = Math.max(mostHeld, held.length);
              clearTimeout(quiet);
              quiet = setTimeout(release, 200);
            }),
        }),
      },
    },
  });
  const code = `
    const s = "x".repeat(500_000);
    const lengths = await Promise.all(
      Array.from({ length: 520 }, () => tools.slow({ s })),
    );
    lengths.length
  `;
  // The guest holds its own pending arguments: give it the memory for them.
  const limits = { timeoutMs: 60_000, memoryMb: 1024 };
  const before = residentAfterGc();
  const run = await broker.execute(code, { limits });
  assertResult(run, 520);
  const growth = (peak - before) / MIB;
  assert.ok(growth < 100, `the broker grew by ${growth.toFixed(0)} MiB`);
  // maxInFlightArgBytes (16 MiB) holds 33 arguments of 500,008 bytes.
  assert.equal(mostHeld, 33);
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

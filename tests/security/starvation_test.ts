/**
 * Enforcement that a busy broker cannot starve: deadlines and the memory cap
 * hold while the broker's main thread is blocked by synchronous work.
 */

import assert from "node:assert/strict";
import { defineTool } from "../../mod.ts";
import { createBroker, TEST_ISOLATION } from "./_broker.ts";
import { deferred } from "../_async.ts";
import { assertFailure, assertResult, recordingHost } from "./_fixtures.ts";

const STALL_MS = 3000;

/** A process's state letter from `/proc` (`"Z"` for a zombie), or `"gone"`. */
function processState(pid: number): string {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0]!;
  } catch {
    return "gone";
  }
}

Deno.test("Broker.execute() kills runs on time while a host tool blocks the broker's thread", async () => {
  const recorded = recordingHost();
  // Both runs under test have started their work: the broker has read a
  // frame each sent after its last reply (a reply written just before the
  // stall may not leave the broker until the stall ends).
  const working = deferred();
  let count = 0;
  // The states of every runtime subprocess, read at the end of the stall,
  // before the broker's thread could have run a timer or read a frame.
  let statesAtStallEnd: string[] = [];
  await using broker = await createBroker({
    host: recorded.host,
    // Cold runs: no pool refill competes for the CPU during the stall.
    pool: { size: 0 },
    providers: {
      tools: {
        working: defineTool({
          description: "Says that the calling run has started its work.",
          execute() {
            if (++count === 2) working.resolve();
          },
        }),
        block: defineTool({
          description: "Computes synchronously, as a user's heavy tool may.",
          async execute() {
            await working.promise;
            const end = performance.now() + STALL_MS;
            while (performance.now() < end) {
              // Busy: no timer, no I/O callback runs on this thread.
            }
            statesAtStallEnd = recorded.processes.map((p) =>
              processState(p.pid)
            );
            return "unblocked";
          },
        }),
      },
    },
  });

  const [memory, spin, stall] = await Promise.all([
    // Allocates 768 MiB of typed arrays (outside the V8 heap) once the
    // broker is stalled.
    broker.execute(
      `tools.working();
       await new Promise((resolve) => setTimeout(resolve, 300));
       const held = [];
       for (let i = 0; i < 12; i++) held.push(new Uint8Array(64 * 1024 * 1024).fill(1));
       held.length`,
      // Time enough that only the memory cap can end it, on a slow machine.
      { limits: { memoryMb: 128, timeoutMs: 30_000 } },
    ),
    // Its own heap cap tells its subprocess from the others' (spawn args).
    broker.execute(`tools.working(); while (true) {}`, {
      limits: { timeoutMs: 500, memoryMb: 96 },
    }),
    broker.execute(`await tools.block()`, {
      limits: { timeoutMs: 30_000 },
    }),
  ]);

  assertFailure(
    memory,
    "memory_limit",
    /^Run exceeded the memory limit of 128 MiB \(resident memory (reached|grew by) \d+ MiB\)$/,
  );
  assertFailure(spin, "timeout", "Run exceeded the time limit of 500 ms");
  assertResult(stall, "unblocked");
  // The spinning run's subprocess was killed during the stall (dead, maybe
  // not yet reaped: "Z"), not when the broker's thread came back.
  const spinner = recorded.spawns.findIndex((options) =>
    options.args.includes("--v8-flags=--max-old-space-size=96")
  );
  assert.ok(
    ["Z", "gone"].includes(statesAtStallEnd[spinner]!),
    `states at the end of the stall: ${statesAtStallEnd.join(" ")}`,
  );
  // The cap: 128 MiB over the runtime's baseline (a fixed 64 MiB in process
  // mode; the process's reading at the run's start in isolate mode).
  assert.ok(
    memory.stats.peakMemoryBytes >
      (TEST_ISOLATION === "isolate" ? 128 : 192) * 2 ** 20,
  );
});

// Today's largest code the TypeScript parser is slowest on (~1.6 s here).
const SLOW_TO_PARSE = "{" + "x ".repeat(131_000) + "}";

Deno.test("Broker.execute() prepares code off the broker's thread: a slow parse delays only its own run", async () => {
  await using broker = await createBroker({ pool: { size: 1 } });
  const order: string[] = [];
  const slow = broker.execute(SLOW_TO_PARSE, { limits: { timeoutMs: 60_000 } })
    .then((run) => {
      order.push("slow");
      return run;
    });
  const quick = broker.execute("1 + 1").then((run) => {
    order.push("quick");
    return run;
  });
  assertResult(await quick, 2);
  const run = await slow;
  assert.equal(!run.ok && run.error.code, "syntax_error");
  assert.deepEqual(order, ["quick", "slow"]);
});

Deno.test("Broker.execute() counts code preparation against timeoutMs", async () => {
  await using broker = await createBroker({ pool: { size: 0 } });
  const run = await broker.execute(SLOW_TO_PARSE, {
    limits: { timeoutMs: 200 },
  });
  assertFailure(
    run,
    "timeout",
    "Run exceeded the time limit of 200 ms while its code was prepared",
  );
  // The thread that was stopped mid-parse is replaced for the next run.
  assertResult(await broker.execute("[1, 2].length"), 2);
});

Deno.test("Broker.execute() reports code nested too deep to parse as a syntax_error", async () => {
  await using broker = await createBroker({ pool: { size: 0 } });
  const run = await broker.execute("[".repeat(50_000) + "]".repeat(50_000));
  assertFailure(
    run,
    "syntax_error",
    "Code is nested too deeply to parse at line 1, column 50000",
  );
});

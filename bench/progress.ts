/**
 * What live progress costs: a run that logs 2,000 lines (about 60 KB), timed
 * as a library call without and with `onLog`, and over HTTP on loopback as
 * `POST /v1/execute` answered in JSON and as server-sent events (read to the
 * end). The four are interleaved in each round, so a loaded machine slows
 * them alike; the medians are reported.
 *
 * Usage: deno run -A bench/progress.ts [--rounds N]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { createBroker, denoHost } from "../mod.ts";
import { createHttpApp } from "../broker/http/app.ts";
import { quantile } from "./_stats.ts";

const CODE =
  'for (let i = 0; i < 2000; i++) console.log("line " + i + " " + "x".repeat(20)); 1';

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { rounds: { type: "string" } },
  });
  const rounds = Number(values.rounds ?? 30);
  await using broker = await createBroker({
    pool: { size: 2 },
    limits: { maxLogBytes: 1_048_576 },
  });
  const app = createHttpApp(broker);
  const server = await denoHost.serve(app.fetch, {
    hostname: "127.0.0.1",
    port: 0,
  });
  const url = `http://127.0.0.1:${server.address.port}/v1/execute`;
  const post = async (accept: string) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept },
      body: JSON.stringify({ code: CODE }),
    });
    await response.arrayBuffer();
  };
  let seen = 0;
  const cases: Record<string, () => Promise<unknown>> = {
    "library, no onLog (baseline)": () => broker.execute(CODE),
    "library, onLog": () => broker.execute(CODE, { onLog: () => void seen++ }),
    "HTTP, JSON (baseline)": () => post("application/json"),
    "HTTP, text/event-stream": () => post("text/event-stream"),
  };
  const times: Record<string, number[]> = {};
  try {
    for (let round = -3; round < rounds; round++) {
      for (const [name, run] of Object.entries(cases)) {
        const started = performance.now();
        await run();
        const elapsed = performance.now() - started;
        if (round >= 0) (times[name] ??= []).push(elapsed);
      }
    }
  } finally {
    await server.shutdown();
  }
  const lines = [
    `${rounds} rounds, ${navigator.hardwareConcurrency} cores, load ${
      Deno.loadavg().map((n) => n.toFixed(1)).join(" ")
    }`,
  ];
  for (const [name, list] of Object.entries(times)) {
    lines.push(
      `${name.padEnd(32)} median ${quantile(list, 0.5).toFixed(1)} ms, p90 ${
        quantile(list, 0.9).toFixed(1)
      } ms`,
    );
  }
  Deno.stdout.writeSync(new TextEncoder().encode(lines.join("\n") + "\n"));
  if (seen === 0) throw new Error("onLog was never called");
}

if (import.meta.main) await main();

/**
 * The guest's `fetch` (issue 13, part 2): latency of a small request made by
 * guest code (through the protocol and the broker's checks) against the same
 * request made by the host with its own `fetch`, in the same process and the
 * same round, so both see the same machine load.
 *
 * Usage: deno run -A bench/fetch.ts [rounds] [requests per round]
 *
 * @module
 */

import { createBroker } from "../mod.ts";
import { median, quantile } from "./_stats.ts";

const rounds = Number(Deno.args[0] ?? 5);
const perRound = Number(Deno.args[1] ?? 200);

const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  () => Response.json({ ok: true, items: [1, 2, 3] }),
);
const url = `http://127.0.0.1:${server.addr.port}/small`;
const broker = await createBroker({
  pool: { size: 1 },
  limits: { timeoutMs: 60_000, maxToolCalls: 100_000 },
  network: {
    allow: [{
      origin: `http://127.0.0.1:${server.addr.port}`,
      headers: { authorization: "Bearer bench-token" },
    }],
  },
});
const guestP50: number[] = [];
const guestP90: number[] = [];
const hostP50: number[] = [];
const hostP90: number[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    // Host baseline: the same request, sent by the broker's process itself.
    const host: number[] = [];
    for (let i = 0; i < perRound; i++) {
      const start = performance.now();
      await (await fetch(url, {
        headers: { authorization: "Bearer bench-token" },
      })).json();
      host.push(performance.now() - start);
    }
    const run = await broker.execute(`
      const times = [];
      for (let i = 0; i < ${perRound}; i++) {
        const start = performance.now();
        await (await fetch(${JSON.stringify(url)})).json();
        times.push(performance.now() - start);
      }
      return times;
    `);
    if (!run.ok) throw new Error(`${run.error.code}: ${run.error.message}`);
    const guest = run.result as number[];
    guestP50.push(quantile(guest, 0.5));
    guestP90.push(quantile(guest, 0.9));
    hostP50.push(quantile(host, 0.5));
    hostP90.push(quantile(host, 0.9));
  }
} finally {
  await broker.close();
  await server.shutdown();
}
const ms = (values: number[]) => `${median(values).toFixed(3)} ms`;
const report = {
  rounds,
  perRound,
  guestFetch: { p50: ms(guestP50), p90: ms(guestP90) },
  hostFetch: { p50: ms(hostP50), p90: ms(hostP90) },
  perRoundP50: {
    guest: guestP50.map((v) => +v.toFixed(3)),
    host: hostP50.map((v) => +v.toFixed(3)),
  },
};
// The report on stdout, as the other benchmarks print theirs.
Deno.stdout.writeSync(
  new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`),
);

/**
 * The HTTP service for the throughput benchmark, in its own process: a
 * broker with `pool.size` and `maxConcurrency` set to the concurrency under
 * test, served with `createHttpApp` on a free loopback port. Prints the port
 * on stdout and stops (closing the broker) when stdin closes.
 *
 * Usage: deno run -A bench/_http_server.ts <concurrency>
 *
 * @module
 */

import { createBroker } from "../mod.ts";
import { createHttpApp } from "../broker/http/app.ts";

const concurrency = Number(Deno.args[0] ?? "4");
const broker = await createBroker({
  pool: { size: concurrency },
  maxConcurrency: concurrency,
  maxQueue: 1024,
});
const app = createHttpApp(broker);
const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => {
    Deno.stdout.writeSync(new TextEncoder().encode(`${port}\n`));
  },
}, app.fetch);
for await (const _ of Deno.stdin.readable) {
  // wait for stdin to close
}
await server.shutdown();
await broker.close();

/**
 * The built-in example: a host tool returns a large result, and a short
 * code-mode program filters it inside the sandbox, so only the small final
 * answer would reach a model's context.
 *
 * Run it with `deno task example`.
 *
 * @module
 */

// An example program prints its results.
// deno-lint-ignore-file no-console

import { z } from "zod";
import { createBroker, defineTool } from "../mod.ts";

const regions = ["north", "south", "east", "west"] as const;

// 5,000 orders: what a model would otherwise have to read through its context.
const orders = Array.from({ length: 5000 }, (_, i) => ({
  id: `order-${i + 1}`,
  region: regions[i % regions.length]!,
  amount: Math.round(((i * 7919) % 1000) + 10),
  status: i % 9 === 0 ? "refunded" : "paid",
}));

await using broker = await createBroker({
  providers: {
    shop: {
      list_orders: defineTool({
        description: "Lists every order of the shop",
        input: z.object({ status: z.enum(["paid", "refunded"]).optional() }),
        output: z.array(z.object({
          id: z.string(),
          region: z.enum(regions),
          amount: z.number().describe("In euros"),
          status: z.enum(["paid", "refunded"]),
        })),
        execute: ({ status }) =>
          status === undefined
            ? orders
            : orders.filter((o) => o.status === status),
      }),
    },
  },
  pool: { size: 1 },
});

console.log("What the model reads about the tools:\n");
console.log(broker.types());

// What a model might write: one program instead of many tool calls.
const code = `
const paid = await shop.list_orders({ status: "paid" });
const byRegion = {};
for (const o of paid) byRegion[o.region] = (byRegion[o.region] ?? 0) + o.amount;
const [region, total] = Object.entries(byRegion).sort((a, b) => b[1] - a[1])[0];
console.log(\`\${paid.length} paid orders\`);
({ topRegion: region, total })
`;
console.log("The program:\n" + code);

const run = await broker.execute(code);
const toolBytes = JSON.stringify(orders).length;
if (run.ok) {
  console.log("Result:", JSON.stringify(run.result));
  console.log("Logs:", run.logs.map((l) => l.message).join("; "));
  console.log(
    `The tool returned ${toolBytes} bytes of JSON; the model sees ${
      JSON.stringify(run.result).length
    } (${run.stats.toolCalls} tool call, ${
      run.stats.durationMs.toFixed(1)
    } ms).`,
  );
} else {
  console.log("The run failed:", run.error.code, run.error.message);
  Deno.exitCode = 1;
}

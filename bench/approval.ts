/**
 * What an approval costs when the approver answers at once: the guest-timed
 * round trip of a host tool call that needs approval against the same tool
 * without it, in the same broker and run, so the machine's load affects both.
 * Run on its own: `deno run -A bench/approval.ts [--calls N] [--runs N]`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { createBroker, defineTool } from "../mod.ts";
import { median } from "./_stats.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { calls: { type: "string" }, runs: { type: "string" } },
});
const calls = Number(values.calls ?? 200);
const runs = Number(values.runs ?? 7);

const code = (tool: string) => `
  const t0 = performance.now();
  for (let i = 0; i < ${calls}; i++) await t.${tool}({ i });
  return (performance.now() - t0) / ${calls};
`;

await using broker = await createBroker({
  providers: {
    t: {
      plain: defineTool({ execute: (x) => x }),
      gated: defineTool({ approval: "required", execute: (x) => x }),
    },
  },
  pool: { size: 1 },
  onApproval: () => ({ approved: true }),
});
const plain: number[] = [];
const gated: number[] = [];
for (let i = 0; i < runs + 1; i++) {
  for (const [tool, into] of [["plain", plain], ["gated", gated]] as const) {
    const r = await broker.execute(code(tool), {
      limits: { timeoutMs: 60_000 },
    });
    if (!r.ok) throw new Error(`${tool}: ${r.error.message}`);
    if (i > 0) into.push(r.result as number); // the first round warms up
  }
}
const p = median(plain);
const g = median(gated);
await Deno.stdout.write(new TextEncoder().encode(
  `round trip per call, median of ${runs} runs of ${calls} calls: ` +
    `without approval ${p.toFixed(3)} ms, with an instant approver ${
      g.toFixed(3)
    } ms (+${(g - p).toFixed(3)} ms)\n`,
));

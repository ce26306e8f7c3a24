/**
 * Workflow 2, `sales-by-tier`: join 4,000 orders from a CSV file with the
 * customer tiers kept in the memory graph, total the 2025 amounts per tier,
 * and record the totals in the graph.
 *
 * @module
 */

import {
  memoryFile,
  memoryLines,
  parseJson,
  pick,
  seeded,
  type Workflow,
} from "./_workflow.ts";

const _ORDERS = 4000;
const _CUSTOMERS = 150;
const _TIERS = ["platinum", "gold", "silver", "bronze"];
const _REGIONS = ["north", "south", "east", "west"];
const _MANAGERS = [
  "Ada Park",
  "Ben Okafor",
  "Chen Liu",
  "Dana Ruiz",
  "Eli Novak",
];

/** Totals per tier, in the fixed tier order; amounts in cents. */
type Totals = [tier: string, orders: number, cents: number][];

interface _Graph {
  entities: { name: string; entityType: string; observations: string[] }[];
  relations: { from: string; to: string; relationType: string }[];
}

function _customerId(n: number): string {
  return `C${String(n).padStart(3, "0")}`;
}

function _data(): { csv: string; graph: string } {
  const random = seeded(2);
  const entities: _Graph["entities"] = [];
  const relations: _Graph["relations"] = [];
  for (const manager of _MANAGERS) {
    entities.push({
      name: manager,
      entityType: "account manager",
      observations: ["works in sales", `based in ${pick(random, _REGIONS)}`],
    });
  }
  for (let n = 1; n <= _CUSTOMERS; n++) {
    const roll = random();
    const tier = roll < 0.05
      ? "platinum"
      : roll < 0.2
      ? "gold"
      : roll < 0.5
      ? "silver"
      : "bronze";
    const name = `Customer ${_customerId(n)}`;
    entities.push({
      name,
      entityType: "customer",
      observations: [
        `id: ${_customerId(n)}`,
        `tier: ${tier}`,
        `region: ${pick(random, _REGIONS)}`,
        `customer since ${2015 + Math.floor(random() * 10)}`,
      ],
    });
    relations.push({
      from: name,
      to: pick(random, _MANAGERS),
      relationType: "managed_by",
    });
  }
  const rows = ["order_id,customer_id,date,amount"];
  for (let i = 1; i <= _ORDERS; i++) {
    const day = new Date(
      Date.UTC(2024, 0, 1) + Math.floor(random() * 731) * 86_400_000,
    );
    rows.push([
      `O${String(i).padStart(5, "0")}`,
      _customerId(1 + Math.floor(random() * _CUSTOMERS)),
      day.toISOString().slice(0, 10),
      (Math.floor(random() * 500_000) / 100).toFixed(2),
    ].join(","));
  }
  return {
    csv: rows.join("\n") + "\n",
    graph: memoryLines(entities, relations),
  };
}

// What the model works out from the CSV and the graph it read.
function _totals(csv: string, graph: _Graph): Totals {
  const tierOf = new Map<string, string>();
  for (const e of graph.entities) {
    if (e.entityType !== "customer") continue;
    const id = e.observations.find((o) => o.startsWith("id: "))!.slice(4);
    tierOf.set(
      id,
      e.observations.find((o) => o.startsWith("tier: "))!.slice(6),
    );
  }
  const totals = new Map(_TIERS.map((t) => [t, { orders: 0, cents: 0 }]));
  for (const line of csv.trim().split("\n").slice(1)) {
    const [, customer, date, amount] = line.split(",");
    if (!date!.startsWith("2025")) continue;
    const total = totals.get(tierOf.get(customer!)!)!;
    total.orders++;
    total.cents += Math.round(Number(amount) * 100);
  }
  return _TIERS.map((t) => [t, totals.get(t)!.orders, totals.get(t)!.cents]);
}

function _observations(totals: Totals): string[] {
  return totals.map(([tier, orders, cents]) =>
    `${tier}: ${(cents / 100).toFixed(2)} from ${orders} orders in 2025`
  );
}

function _answer(totals: Totals): string {
  return `2025 sales by tier: ${
    totals.map(([tier, orders, cents]) =>
      `${tier} ${(cents / 100).toFixed(2)} (${orders} orders)`
    )
      .join(", ")
  }. I recorded them on the new entity "Sales 2025 by tier" in the memory graph.`;
}

/** The `sales-by-tier` workflow. */
export const salesByTier: Workflow = {
  id: "sales-by-tier",
  task: (root) =>
    `Using ${root}/sales/orders.csv and the customer entities in the memory graph (their observations give each customer's id and tier), total the 2025 order amounts per customer tier. Record the totals as observations of a new entity "Sales 2025 by tier" (type "report") in the memory graph, and tell me the totals.`,
  async setup(root) {
    const { csv, graph } = _data();
    await Deno.mkdir(`${root}/sales`, { recursive: true });
    await Deno.writeTextFile(`${root}/sales/orders.csv`, csv);
    await Deno.writeTextFile(memoryFile(root), graph);
  },
  async direct(call, root) {
    const csv = await call("filesystem", "read_text_file", {
      path: `${root}/sales/orders.csv`,
    });
    const graph = parseJson<_Graph>(await call("memory", "read_graph", {}));
    const totals = _totals(csv, graph);
    await call("memory", "create_entities", {
      entities: [{
        name: "Sales 2025 by tier",
        entityType: "report",
        observations: _observations(totals),
      }],
    });
    return _answer(totals);
  },
  searches: ["read text file", "read graph", "create entities"],
  code: (root) =>
    `const { content } = await filesystem.read_text_file({ path: "${root}/sales/orders.csv" });
const graph = await memory.read_graph({});
const tierOf = {};
for (const e of graph.entities) {
  if (e.entityType !== "customer") continue;
  const id = e.observations.find((o) => o.startsWith("id: ")).slice(4);
  tierOf[id] = e.observations.find((o) => o.startsWith("tier: ")).slice(6);
}
const tiers = ["platinum", "gold", "silver", "bronze"];
const totals = Object.fromEntries(tiers.map((t) => [t, { orders: 0, cents: 0 }]));
for (const line of content.trim().split("\\n").slice(1)) {
  const [, customer, date, amount] = line.split(",");
  if (!date.startsWith("2025")) continue;
  const total = totals[tierOf[customer]];
  total.orders++;
  total.cents += Math.round(Number(amount) * 100);
}
const rows = tiers.map((t) => [t, totals[t].orders, totals[t].cents]);
await memory.create_entities({ entities: [{
  name: "Sales 2025 by tier",
  entityType: "report",
  observations: rows.map(([t, n, c]) => \`\${t}: \${(c / 100).toFixed(2)} from \${n} orders in 2025\`),
}] });
return rows;`,
  answer: (result) => _answer(result as Totals),
};

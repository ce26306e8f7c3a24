/**
 * Workflow 1, `log-triage`: count the ERROR lines of a 3,000-line service log
 * per component, find the three most frequent error messages, and write a
 * report file.
 *
 * @module
 */

import { pick, seeded, type Workflow } from "./_workflow.ts";

const _LINES = 3000;
const _COMPONENTS = ["api", "auth", "billing", "search", "storage", "worker"];
const _ERRORS: Record<string, string[]> = {
  api: ["Upstream returned 502 Bad Gateway", "Request body failed validation"],
  auth: ["Token signature verification failed", "Session store unavailable"],
  billing: [
    "Payment provider timeout after 3000 ms",
    "Invoice total does not match line items",
  ],
  search: ["Index shard 3 unavailable", "Query exceeded 500 ms budget"],
  storage: [
    "Disk quota exceeded on volume data-2",
    "Checksum mismatch on read",
  ],
  worker: ["Job retried 5 times and gave up", "Queue consumer lost heartbeat"],
};
const _INFO = [
  "GET /v1/items 200 in 35 ms",
  "POST /v1/orders 201 in 120 ms",
  "Cache hit ratio 0.93",
  "Scheduled job finished",
  "Connection pool at 12 of 50",
];
const _WARN = [
  "Slow query took 850 ms",
  "Retrying request after 429",
  "Memory at 81%",
];

/** What the task asks for. */
interface Triage {
  errors: number;
  perComponent: [string, number][];
  top: [string, number][];
}

function _logText(): string {
  const random = seeded(1);
  const lines: string[] = [];
  let time = Date.UTC(2026, 2, 1);
  for (let i = 0; i < _LINES; i++) {
    time += Math.floor(random() * 4000);
    const component = pick(random, _COMPONENTS);
    const roll = random();
    const [level, message] = roll < 0.13
      ? ["ERROR", pick(random, _ERRORS[component]!)]
      : roll < 0.3
      ? ["WARN", pick(random, _WARN)]
      : ["INFO", pick(random, _INFO)];
    const request = Math.floor(random() * 0xffffffff).toString(16).padStart(
      8,
      "0",
    );
    lines.push(
      `${
        new Date(time).toISOString()
      } ${level} [${component}] ${message} (request req-${request})`,
    );
  }
  return lines.join("\n") + "\n";
}

// What the model works out from the log it read (direct tool calling).
function _triage(log: string): Triage {
  const perComponent = new Map<string, number>();
  const messages = new Map<string, number>();
  let errors = 0;
  for (const line of log.split("\n")) {
    const match = /^\S+ ERROR \[(\w+)\] (.*?) \(request [\w-]+\)$/.exec(line);
    if (!match) continue;
    errors++;
    perComponent.set(match[1]!, (perComponent.get(match[1]!) ?? 0) + 1);
    messages.set(match[2]!, (messages.get(match[2]!) ?? 0) + 1);
  }
  const byCount = (a: [string, number], b: [string, number]) =>
    b[1] - a[1] || a[0].localeCompare(b[0]);
  return {
    errors,
    perComponent: [...perComponent].sort(byCount),
    top: [...messages].sort(byCount).slice(0, 3),
  };
}

function _report(t: Triage): string {
  return [
    "# Errors in logs/app.log",
    "",
    `${t.errors} ERROR lines.`,
    "",
    "| component | errors |",
    "| --- | --- |",
    ...t.perComponent.map(([c, n]) => `| ${c} | ${n} |`),
    "",
    "Most frequent:",
    ...t.top.map(([m, n], i) => `${i + 1}. ${m} (${n})`),
    "",
  ].join("\n");
}

function _answer(t: Triage): string {
  return `There are ${t.errors} ERROR lines: ${
    t.perComponent.map(([c, n]) => `${c} ${n}`).join(", ")
  }. The most frequent errors are ${
    t.top.map(([m, n]) => `"${m}" (${n})`).join(", ")
  }. The report is in reports/errors.md.`;
}

/** The `log-triage` workflow. */
export const logTriage: Workflow = {
  id: "log-triage",
  task: (root) =>
    `In ${root}/logs/app.log, count the ERROR lines per component and find the three most frequent error messages (ignore the request ids). Write a short markdown report to ${root}/reports/errors.md and tell me the counts.`,
  async setup(root) {
    await Deno.mkdir(`${root}/logs`, { recursive: true });
    await Deno.mkdir(`${root}/reports`, { recursive: true });
    await Deno.writeTextFile(`${root}/logs/app.log`, _logText());
  },
  async direct(call, root) {
    const log = await call("filesystem", "read_text_file", {
      path: `${root}/logs/app.log`,
    });
    const triage = _triage(log);
    await call("filesystem", "write_file", {
      path: `${root}/reports/errors.md`,
      content: _report(triage),
    });
    return _answer(triage);
  },
  searches: ["read text file", "write file"],
  code: (root) =>
    `const { content } = await filesystem.read_text_file({ path: "${root}/logs/app.log" });
const perComponent = {};
const messages = {};
let errors = 0;
for (const line of content.split("\\n")) {
  const m = /^\\S+ ERROR \\[(\\w+)\\] (.*?) \\(request [\\w-]+\\)$/.exec(line);
  if (!m) continue;
  errors++;
  perComponent[m[1]] = (perComponent[m[1]] ?? 0) + 1;
  messages[m[2]] = (messages[m[2]] ?? 0) + 1;
}
const byCount = (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]);
const components = Object.entries(perComponent).sort(byCount);
const top = Object.entries(messages).sort(byCount).slice(0, 3);
const report = [
  "# Errors in logs/app.log", "", \`\${errors} ERROR lines.\`, "",
  "| component | errors |", "| --- | --- |",
  ...components.map(([c, n]) => \`| \${c} | \${n} |\`), "",
  "Most frequent:", ...top.map(([m, n], i) => \`\${i + 1}. \${m} (\${n})\`), "",
].join("\\n");
await filesystem.write_file({ path: "${root}/reports/errors.md", content: report });
return { errors, perComponent: components, top };`,
  answer: (result) => _answer(result as Triage),
};

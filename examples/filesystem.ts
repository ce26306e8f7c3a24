/**
 * The built-in example: a real MCP server from npm (the reference filesystem
 * server) and a host tool, driven by one code-mode program. The server's
 * `directory_tree` answer is large; the program filters it inside the sandbox,
 * so only the small final answer would reach a model's context.
 *
 * Run it with `deno task example`.
 *
 * @module
 */

// An example program prints its results.
// deno-lint-ignore-file no-console

import { z } from "zod";
import { createBroker, defineTool } from "../mod.ts";

// A project with 600 files to look through.
const root = await Deno.makeTempDir({ prefix: "execbox-example-" });
for (let i = 0; i < 30; i++) {
  const dir = `${root}/service-${i}`;
  await Deno.mkdir(`${dir}/logs`, { recursive: true });
  for (let j = 0; j < 10; j++) {
    await Deno.writeTextFile(`${dir}/src_${j}.ts`, `export const v = ${j};\n`);
    await Deno.writeTextFile(
      `${dir}/logs/day-${j}.log`,
      (i * j) % 17 === 3
        ? "INFO start\nERROR disk full\n"
        : "INFO start\nINFO done\n",
    );
  }
}

// Reaching the npm registry from the server's process may need these.
const passthrough = Object.fromEntries(
  ["NODE_EXTRA_CA_CERTS", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "DENO_DIR"]
    .flatMap((name) => {
      const value = Deno.env.get(name);
      return value === undefined ? [] : [[name, value]];
    }),
);

const reports: string[] = [];
try {
  await using broker = await createBroker({
    mcpServers: {
      files: {
        command: Deno.execPath(),
        args: [
          "run",
          "-A",
          "--no-config",
          "--no-lock",
          "npm:@modelcontextprotocol/server-filesystem@2026.8.31",
          root,
        ],
        env: passthrough,
        allowTools: ["directory_tree", "read_text_file", "read_multiple_files"],
      },
    },
    providers: {
      team: {
        file_report: defineTool({
          description: "Files a report for the on-call engineer",
          input: z.object({ title: z.string(), lines: z.array(z.string()) }),
          execute: ({ title, lines }) => {
            reports.push(`${title}\n${lines.join("\n")}`);
            return { id: reports.length };
          },
        }),
      },
    },
    pool: { size: 1 },
  });

  console.log("What the model reads about the tools:\n");
  console.log(broker.types());

  // What a model might write: one program instead of dozens of tool calls.
  const code = `
const root = ${JSON.stringify(root)};
const { content } = await files.directory_tree({ path: root });
const logs = [];
(function walk(nodes, path) {
  for (const node of nodes) {
    const p = path + "/" + node.name;
    if (node.type === "directory") walk(node.children, p);
    else if (p.endsWith(".log")) logs.push(p);
  }
})(JSON.parse(content), root);
const texts = await Promise.all(logs.map((path) => files.read_text_file({ path })));
const failing = logs.filter((_, i) => texts[i].content.includes("ERROR"));
const { id } = await team.file_report({
  title: failing.length + " log files report errors",
  lines: failing.map((p) => p.slice(root.length + 1)),
});
({ scanned: logs.length, failing: failing.length, report: id })
`;
  console.log("The program:" + code);

  const run = await broker.execute(code, { limits: { timeoutMs: 30_000 } });
  if (run.ok) {
    console.log("Result:", JSON.stringify(run.result));
    console.log(
      `${run.stats.toolCalls} tool calls in ${
        run.stats.durationMs.toFixed(0)
      } ms; ` +
        `the report filed through the host tool has ${
          reports[0]?.split("\n").length
        } lines.`,
    );
  } else {
    console.log("The run failed:", run.error.code, run.error.message);
    Deno.exitCode = 1;
  }
} finally {
  await Deno.remove(root, { recursive: true });
}

/**
 * The import rule of `docs/architecture.md`, checked over the real import
 * graph: every relative import of `mod.ts`, `runtime/`, `broker/` and `cli/`
 * goes from one unit to a unit that table allows. A new folder or a new edge
 * fails here until the table (and the document) say where it belongs.
 */

import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import ts from "typescript";
import { fromFileUrl } from "./_paths.ts";

const ROOT = fromFileUrl(new URL("../", import.meta.url));

/** The shared vocabulary every layer may use. */
const VOCABULARY = new Set([
  "broker/errors.ts",
  "broker/limits.ts",
  "broker/result.ts",
  "broker/redact.ts",
  "broker/sha256.ts",
]);

/** The engine's root files: the broker and what wires the sources. */
const ENGINE = new Set([
  "broker/broker.ts",
  "broker/options.ts",
  "broker/admission.ts",
  "broker/tool_sources.ts",
]);

/** Which units each unit may import (itself is always allowed). */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  "runtime": [],
  "vocabulary": ["runtime"],
  "host": ["vocabulary"],
  "code": ["host", "vocabulary"],
  "tools": ["vocabulary", "runtime"],
  "types": ["tools", "state", "skills", "vocabulary"],
  "audit": ["vocabulary"],
  "approval": ["audit", "store", "vocabulary"],
  "subprocess": ["transfer", "host", "vocabulary", "runtime"],
  "isolate": ["subprocess", "host", "vocabulary"],
  "state": ["tools", "vocabulary"],
  "skills": ["tools", "vocabulary"],
  "store": ["state", "skills", "vocabulary"],
  "oauth": ["host", "store", "vocabulary"],
  "upstream": ["oauth", "tools", "host", "telemetry", "vocabulary", "runtime"],
  "telemetry": ["vocabulary"],
  "privacy": ["state", "vocabulary"],
  "network": ["audit", "vocabulary", "runtime"],
  "transfer": ["tools", "vocabulary", "runtime"],
  "run": [
    "approval",
    "audit",
    "network",
    "subprocess",
    "transfer",
    "tools",
    "privacy",
    "telemetry",
    "host",
    "vocabulary",
    "runtime",
  ],
  "engine": [
    "approval",
    "run",
    "privacy",
    "network",
    "transfer",
    "upstream",
    "oauth",
    "state",
    "skills",
    "store",
    "subprocess",
    "isolate",
    "audit",
    "telemetry",
    "types",
    "tools",
    "code",
    "host",
    "vocabulary",
    "runtime",
  ],
  // Surfaces and the config loader: they depend on the engine, never the
  // reverse.
  "config": [
    "engine",
    "isolate",
    "network",
    "state",
    "privacy",
    "skills",
    "store",
    "upstream",
    "oauth",
    "host",
    "vocabulary",
  ],
  "mcp": ["engine", "approval", "network", "telemetry", "types", "vocabulary"],
  "http": ["engine", "approval", "mcp", "telemetry", "types", "vocabulary"],
  // Agent SDK adapters: the MCP server's texts, as plain objects.
  "agents": ["engine", "approval", "mcp", "vocabulary"],
  "mod": [
    "engine",
    "approval",
    "network",
    "privacy",
    "config",
    "mcp",
    "run",
    "transfer",
    "upstream",
    "oauth",
    "state",
    "skills",
    "store",
    "subprocess",
    "isolate",
    "audit",
    "telemetry",
    "types",
    "tools",
    "host",
    "vocabulary",
  ],
  // The CLI reaches the library only through `@execbox/core` and its subpaths.
  "cli": [],
};

/** The unit a repository path belongs to, or `undefined` outside the rule. */
export function unitOf(path: string): string | undefined {
  if (path === "mod.ts") return "mod";
  if (path === "deno.json") return "manifest";
  const [top, second, third] = path.split("/");
  if (top === "runtime" || top === "cli") return top;
  if (top !== "broker" || second === undefined) return undefined;
  if (third !== undefined) return second;
  if (VOCABULARY.has(path)) return "vocabulary";
  if (ENGINE.has(path)) return "engine";
  return `unplaced file ${path}`;
}

/** One import that the table does not allow. */
interface Violation {
  from: string;
  to: string;
}

/**
 * Checks a module graph given as `file -> imported paths` (paths relative to
 * the repository; bare specifiers as written).
 */
export function violations(
  graph: ReadonlyMap<string, readonly string[]>,
): Violation[] {
  const found: Violation[] = [];
  for (const [from, targets] of graph) {
    const fromUnit = unitOf(from);
    if (fromUnit === undefined) continue;
    for (const to of targets) {
      const bare = !to.startsWith("broker/") && !to.startsWith("runtime/") &&
        !to.startsWith("cli/") && to !== "mod.ts" && to !== "deno.json";
      if (bare) {
        // The subprocess loads no package: its source is sent as text.
        if (fromUnit === "runtime") found.push({ from, to });
        continue;
      }
      const toUnit = unitOf(to);
      if (toUnit === fromUnit) continue;
      // The package manifest (for the version) is not code.
      if (toUnit === "manifest" && fromUnit !== "runtime") continue;
      const allowed = ALLOWED[fromUnit];
      if (
        allowed === undefined || toUnit === undefined ||
        !allowed.includes(toUnit)
      ) {
        found.push({ from, to });
      }
    }
  }
  return found;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(`${ROOT}${dir}`, {
    recursive: true,
    withFileTypes: true,
  });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => `${e.parentPath}/${e.name}`.slice(ROOT.length));
}

/** The repository's import graph, from the TypeScript pre-processor. */
async function importGraph(): Promise<Map<string, string[]>> {
  const files = ["mod.ts"];
  for (const dir of ["runtime", "broker", "cli"]) {
    files.push(...await sourceFiles(dir));
  }
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = await readFile(`${ROOT}${file}`, "utf8");
    // Imports and `import()` only: examples in JSDoc are comments.
    const { importedFiles } = ts.preProcessFile(text, true, true);
    graph.set(
      file,
      importedFiles.map(({ fileName }) =>
        fileName.startsWith(".")
          ? new URL(fileName, `file:///r/${file}`).pathname.slice(3)
          : fileName
      ),
    );
  }
  return graph;
}

Deno.test("every import follows the direction of docs/architecture.md", async () => {
  const graph = await importGraph();
  assert.ok(graph.size > 60, `only ${graph.size} modules found`);
  const unplaced = [...graph.keys()].filter((f) =>
    unitOf(f)?.startsWith("unplaced")
  );
  assert.deepEqual(unplaced, [], "a broker/ root file not in the table");
  const units = new Set([...graph.keys()].map(unitOf));
  for (const unit of units) {
    assert.ok(unit !== undefined && unit in ALLOWED, `unit ${unit} not placed`);
  }
  assert.deepEqual(violations(graph), []);
});

Deno.test("violations() reports an engine import of a surface and a runtime import of the broker", () => {
  const graph = new Map([
    ["broker/run/run.ts", ["broker/http/app.ts", "broker/tools/catalog.ts"]],
    ["runtime/worker.ts", ["broker/errors.ts", "runtime/protocol.ts", "zod"]],
    ["broker/tools/catalog.ts", ["broker/upstream/upstream.ts"]],
    ["cli/commands/run.ts", ["broker/broker.ts", "@execbox/core"]],
    ["broker/http/app.ts", ["broker/mcp/server.ts", "broker/broker.ts"]],
    ["broker/mcp/server.ts", ["broker/http/app.ts"]],
  ]);
  assert.deepEqual(violations(graph), [
    { from: "broker/run/run.ts", to: "broker/http/app.ts" },
    { from: "runtime/worker.ts", to: "broker/errors.ts" },
    { from: "runtime/worker.ts", to: "zod" },
    { from: "broker/tools/catalog.ts", to: "broker/upstream/upstream.ts" },
    { from: "cli/commands/run.ts", to: "broker/broker.ts" },
    { from: "broker/mcp/server.ts", to: "broker/http/app.ts" },
  ]);
});

Deno.test("no shipped module imports an agent SDK: they are dev dependencies for type tests", async () => {
  const sdks = ["@anthropic-ai/sdk", "openai", "ai"];
  const graph = await importGraph();
  const found = [...graph].flatMap(([from, targets]) =>
    targets.filter((to) =>
      sdks.some((sdk) => to === sdk || to.startsWith(`${sdk}/`))
    ).map((to) => `${from} -> ${to}`)
  );
  assert.deepEqual(found, []);
});

import assert from "node:assert/strict";
import { builtinModules } from "node:module";
import { createBroker } from "./_broker.ts";
import { assertResult } from "./_fixtures.ts";

const BUILTIN_BLOCKED =
  "TypeError: Node.js built-in modules are not available in execbox";

/**
 * Guest code that imports each specifier and reports how each import ended,
 * with the guest's own blob: URL (random) written as `blob:null/<uuid>`.
 */
function importEach(specifiers: readonly string[]): string {
  return `
    const outcomes = {};
    for (const specifier of ${JSON.stringify(specifiers)}) {
      try {
        const module = await import(specifier);
        outcomes[specifier] = "loaded: " + Object.keys(module).slice(0, 5).join(", ");
      } catch (error) {
        outcomes[specifier] = String(error)
          .replace(/blob:null\\/[0-9a-f-]{36}/g, "blob:null/<uuid>");
      }
    }
    outcomes
  `;
}

Deno.test("Broker.execute() blocks Node.js built-in modules", async (t) => {
  await using broker = await createBroker({ pool: { size: 1 } });

  await t.step(
    "Broker.execute() cannot import any Node.js built-in, with or without node:",
    async () => {
      const names = builtinModules.map((name) => name.replace(/^node:/, ""));
      assert.ok(names.includes("fs") && names.includes("child_process"));
      const specifiers = names.flatMap((name) => [`node:${name}`, name]);
      const run = await broker.execute(importEach(specifiers));
      assertResult(
        run,
        Object.fromEntries(specifiers.map((s) => [s, BUILTIN_BLOCKED])),
      );
    },
  );

  await t.step(
    "Broker.execute() cannot import a Node.js built-in through a spelling the import map does not list",
    async () => {
      const unsupported = (specifier: string) =>
        `TypeError: Unsupported scheme "node" for module "${specifier}". Supported schemes:\n - "blob"\n - "data"\n - "file"\n - "http"\n - "https"\n - "jsr"\n - "npm"`;
      const run = await broker.execute(importEach([
        "NODE:process",
        "node:process?x",
        "node:process#x",
        "node:process/",
        "node:/process",
        "node:%70rocess",
        "node:internal/process",
        "ext:deno_node/process.ts",
      ]));
      assertResult(run, {
        "NODE:process": BUILTIN_BLOCKED,
        "node:process?x": unsupported("node:process?x"),
        "node:process#x": unsupported("node:process#x"),
        "node:process/": unsupported("node:process/"),
        "node:/process": unsupported("node:/process"),
        "node:%70rocess": unsupported("node:%70rocess"),
        "node:internal/process": unsupported("node:internal/process"),
        "ext:deno_node/process.ts":
          "TypeError: Importing ext: modules is only allowed from ext: and node: modules. Tried to import ext:deno_node/process.ts from blob:null/<uuid>",
      });
    },
  );

  await t.step(
    "Broker.execute() cannot import a Node.js built-in statically from a data: module",
    async () => {
      const module = 'import * as fs from "node:fs"; export default fs;';
      const run = await broker.execute(importEach([
        `data:text/javascript,${encodeURIComponent(module)}`,
      ]));
      assertResult(run, {
        [`data:text/javascript,${encodeURIComponent(module)}`]: BUILTIN_BLOCKED,
      });
    },
  );
});

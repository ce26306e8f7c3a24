/**
 * The guest realm holds what docs/guest.md lists, and nothing that reaches the
 * operating system or looks like Node.js: `Buffer`, `global`, `setImmediate`
 * and `clearImmediate` are gone, as in peer code-mode executors.
 */

import assert from "node:assert/strict";
import { createBroker } from "./_broker.ts";
import { assertResult, REPO_ROOT } from "./_fixtures.ts";

/** The names in the "complete list" block of docs/guest.md. */
async function documentedGlobals(): Promise<string[]> {
  const text = await Deno.readTextFile(`${REPO_ROOT}/docs/guest.md`);
  const section = text.slice(text.indexOf("## The complete list"));
  const block = /```text\n([\s\S]*?)```/.exec(section);
  assert.ok(block, "docs/guest.md has no complete list");
  return block[1]!.split(/\s+/).filter((name) => name !== "");
}

Deno.test("Broker.execute() offers the guest exactly the globals docs/guest.md lists", async (t) => {
  await using broker = await createBroker({ pool: { size: 1 } });

  for (const name of ["Buffer", "global", "setImmediate", "clearImmediate"]) {
    await t.step(
      `Broker.execute() gives the guest no ${name}`,
      async () => {
        const run = await broker.execute(
          `[typeof ${name}, ${JSON.stringify(name)} in globalThis]`,
        );
        assertResult(run, ["undefined", false]);
      },
    );
  }

  await t.step(
    "Broker.execute() gives the guest the globals of docs/guest.md, no more",
    async () => {
      const run = await broker.execute(
        "Object.getOwnPropertyNames(globalThis).sort()",
      );
      assertResult(run, await documentedGlobals());
    },
  );
});

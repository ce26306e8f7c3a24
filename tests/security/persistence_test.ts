import assert from "node:assert/strict";
import { createBroker } from "./_broker.ts";
import { assertResult, recordingHost } from "./_fixtures.ts";

Deno.test("Broker.execute() keeps nothing from one run for the next", async (t) => {
  const recorded = recordingHost();
  await using broker = await createBroker({
    host: recorded.host,
    pool: { size: 1 },
  });

  await t.step(
    "Broker.execute() does not carry globals, caches or localStorage into the next run",
    async () => {
      const first = await broker.execute(`
        globalThis.x = "from run 1";
        const outcomes = [];
        for (const attempt of [
          async () => (await caches.open("execbox")).put("https://a.test/", new Response("from run 1")),
          () => localStorage.setItem("execbox", "from run 1"),
          () => sessionStorage.setItem("execbox", "from run 1"),
        ]) {
          try {
            await attempt();
            outcomes.push("stored");
          } catch (error) {
            outcomes.push(String(error));
          }
        }
        outcomes
      `);
      assertResult(first, [
        "ReferenceError: caches is not defined",
        "ReferenceError: localStorage is not defined",
        "ReferenceError: sessionStorage is not defined",
      ]);
      const second = await broker.execute(
        `[typeof globalThis.x, typeof caches, typeof localStorage, typeof sessionStorage]`,
      );
      assertResult(second, [
        "undefined",
        "undefined",
        "undefined",
        "undefined",
      ]);
    },
  );

  await t.step(
    "Broker.execute() does not carry changed built-ins into the next run",
    async () => {
      const first = await broker.execute(`
        Object.prototype.polluted = "from run 1";
        Array.prototype.push = () => "hijacked";
        JSON.stringify = () => '"hijacked"';
        "changed"
      `);
      assertResult(first, "changed");
      const second = await broker.execute(`
        const xs = [];
        [({}).polluted, xs.push(1), JSON.stringify({ a: 1 })]
      `);
      // JSON has no undefined: an undefined array element arrives as null.
      assertResult(second, [null, 1, '{"a":1}']);
    },
  );

  await t.step(
    "Broker.execute() does not carry pending timers into the next run",
    async () => {
      const first = await broker.execute(`
        setTimeout(() => { globalThis.x = "late"; console.log("late") }, 0);
        "scheduled"
      `);
      assertResult(first, "scheduled");
      const second = await broker.execute(
        `await new Promise((resolve) => setTimeout(resolve, 20)); typeof globalThis.x`,
      );
      assertResult(second, "undefined");
      assert.deepEqual(second.logs, []);
    },
  );

  await t.step(
    "Broker.execute() does not carry imported modules into the next run",
    async () => {
      const module = "data:text/javascript," +
        encodeURIComponent(
          "globalThis.loads = (globalThis.loads ?? 0) + 1; export const loads = globalThis.loads;",
        );
      const code = `(await import(${JSON.stringify(module)})).loads`;
      assertResult(await broker.execute(code), 1);
      assertResult(await broker.execute(code), 1);
    },
  );

  await t.step(
    "Broker.execute() leaves nothing a guest wrote in the DENO_DIR the runtimes share",
    async () => {
      // Every runtime starts from one directory and one DENO_DIR.
      const dirs = new Set(recorded.spawns.map((spawn) => spawn.cwd));
      assert.equal(dirs.size, 1);
      const denoDirs = new Set(recorded.spawns.map((s) => s.env.DENO_DIR));
      assert.deepEqual([...denoDirs], [`${[...dirs][0]}/deno`]);
      const entries = [];
      for await (const entry of Deno.readDir([...denoDirs][0]!)) {
        entries.push(entry.name);
      }
      // Where Deno keeps localStorage and caches, and downloaded modules.
      for (const name of ["location_data", "remote", "deps"]) {
        assert.ok(!entries.includes(name), `${name} in ${entries.join(", ")}`);
      }
    },
  );
});

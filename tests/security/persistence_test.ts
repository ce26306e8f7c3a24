import assert from "node:assert/strict";
import { createBroker } from "../../mod.ts";
import { assertResult } from "./_fixtures.ts";

Deno.test("Broker.execute() keeps nothing from one run for the next", async (t) => {
  await using broker = await createBroker({ pool: { size: 1 } });

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
});

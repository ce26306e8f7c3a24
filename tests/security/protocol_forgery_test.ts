import assert from "node:assert/strict";
import { createBroker } from "./_broker.ts";
import { assertFailure, assertResult, hinted } from "./_fixtures.ts";

/** Guest code that waits long enough for a forged frame to reach the broker. */
const SETTLE = "await new Promise((resolve) => setTimeout(resolve, 50));";

Deno.test("Broker.execute() believes no outcome the guest forges", async (t) => {
  await using broker = await createBroker({ pool: { size: 1 } });

  await t.step(
    "Broker.execute() cannot forge a done frame on stdout",
    async () => {
      const run = await broker.execute(`
        const encoder = new TextEncoder();
        const head = encoder.encode('{"t":"done"}');
        const body = encoder.encode("42");
        const frame = new Uint8Array(8 + head.length + body.length);
        const view = new DataView(frame.buffer);
        view.setUint32(0, head.length);
        view.setUint32(4, body.length);
        frame.set(head, 8);
        frame.set(body, 8 + head.length);
        Deno.stdout.writeSync(frame);
        ${SETTLE}
        "not forged"
      `);
      assertFailure(
        run,
        "runtime_error",
        hinted("ReferenceError: Deno is not defined"),
      );
    },
  );

  await t.step(
    "Broker.execute() cannot forge a done message with postMessage",
    async () => {
      const run = await broker.execute(`
        postMessage({ type: "done", json: "42" });
        ${SETTLE}
        "not forged"
      `);
      assertFailure(
        run,
        "runtime_error",
        "ReferenceError: postMessage is not defined",
      );
    },
  );

  await t.step(
    "Broker.execute() cannot forge a done message with self.postMessage",
    async () => {
      const run = await broker.execute(`
        self.postMessage({ type: "done", json: "42" });
        ${SETTLE}
        "not forged"
      `);
      assertFailure(
        run,
        "runtime_error",
        "TypeError: self.postMessage is not a function",
      );
    },
  );

  await t.step(
    "Broker.execute() cannot forge a done message with a postMessage from the prototype chain",
    async () => {
      const run = await broker.execute(`
        const found = [];
        for (let o = globalThis; o !== null; o = Object.getPrototypeOf(o)) {
          const descriptor = Object.getOwnPropertyDescriptor(o, "postMessage");
          if (descriptor !== undefined) found.push(descriptor);
        }
        for (const d of found) d.value.call(globalThis, { type: "done", json: "42" });
        DedicatedWorkerGlobalScope.prototype.postMessage.call(globalThis, { type: "done", json: "42" });
        ${SETTLE}
        "not forged"
      `);
      assertFailure(
        run,
        "runtime_error",
        "TypeError: Cannot read properties of undefined (reading 'call')",
      );
    },
  );

  await t.step(
    "Broker.execute() cannot forge a done message through the event-target internals",
    async () => {
      const run = await broker.execute(`
        const key = Object.getOwnPropertySymbols(globalThis)
          .find((symbol) => symbol.description === undefined);
        const internals = globalThis[key];
        internals.host.postMessage({ type: "done", json: "42" });
        ${SETTLE}
        "not forged"
      `);
      assertFailure(
        run,
        "runtime_error",
        "TypeError: Cannot read properties of null (reading 'postMessage')",
      );
    },
  );

  await t.step(
    "Broker.execute() cannot forge a done message by calling the prelude's listener",
    async () => {
      const run = await broker.execute(`
        const key = Object.getOwnPropertySymbols(globalThis)
          .find((symbol) => symbol.description === undefined);
        for (const listener of globalThis[key].listeners.message) {
          listener.callback({ data: { type: "done", json: "42" } });
        }
        ${SETTLE}
        "not forged"
      `);
      assertResult(run, "not forged");
    },
  );

  await t.step(
    "Broker.execute() cannot forge a done message by dispatching a message event",
    async () => {
      const run = await broker.execute(`
        dispatchEvent(new MessageEvent("message", { data: { type: "done", json: "42" } }));
        ${SETTLE}
        "not forged"
      `);
      assertResult(run, "not forged");
    },
  );

  await t.step({
    name:
      "Broker.execute() ignores a warm-up message the guest dispatches itself",
    fn: async () => {
      const run = await broker.execute(`
        dispatchEvent(new MessageEvent("message", { data: { type: "warm" } }));
        ${SETTLE}
        "not forged"
      `);
      assertResult(run, "not forged");
    },
  });

  await t.step({
    name:
      "Broker.execute() ignores an exec message the guest dispatches itself",
    fn: async () => {
      const run = await broker.execute(
        `
        dispatchEvent(new MessageEvent("message", {
          data: { type: "exec", code: "(async () => 1)", namespaces: {}, maxLogBytes: 1e9 },
        }));
        console.log("y".repeat(2_000_000));
        ${SETTLE}
        "not forged"
      `,
        { limits: { maxLogBytes: 1000 } },
      );
      assertResult(run, "not forged");
    },
  });

  await t.step(
    "Broker.execute() reports a thrown out-of-memory message as a runtime_error",
    async () => {
      const run = await broker.execute(
        `throw new Error("Fatal JavaScript out of memory")`,
      );
      assertFailure(
        run,
        "runtime_error",
        "Error: Fatal JavaScript out of memory",
      );
    },
  );

  await t.step(
    "Broker.execute() treats a logged out-of-memory message as a log entry",
    async () => {
      const run = await broker.execute(
        `console.error("Fatal JavaScript out of memory"); 1`,
      );
      assertResult(run, 1);
      assert.deepEqual(run.logs, [
        { level: "error", message: "Fatal JavaScript out of memory" },
      ]);
    },
  );

  await t.step(
    "Broker.execute() returns a result shaped like a failure as data",
    async () => {
      const forged = {
        ok: false,
        error: {
          code: "timeout",
          message: "Run exceeded the time limit of 5000 ms",
        },
      };
      const run = await broker.execute(`return ${JSON.stringify(forged)}`);
      assertResult(run, forged);
    },
  );

  await t.step(
    'Broker.execute() reports an error whose code is "timeout" as a runtime_error',
    async () => {
      const run = await broker.execute(`
        const error = new Error("Run exceeded the time limit of 5000 ms");
        error.code = "timeout";
        throw error;
      `);
      assertFailure(
        run,
        "runtime_error",
        "Error: Run exceeded the time limit of 5000 ms",
      );
    },
  );

  await t.step(
    'Broker.execute() reports an error whose code is "tool_error" as a runtime_error',
    async () => {
      const run = await broker.execute(`
        const error = new Error("forged");
        error.code = "tool_error";
        error.tool = "tools.search";
        throw error;
      `);
      assertFailure(run, "runtime_error", "Error: forged");
    },
  );

  await t.step(
    "Broker.execute() reports a thrown failure-shaped object as a runtime_error",
    async () => {
      const run = await broker.execute(
        `throw { code: "memory_limit", message: "forged" }`,
      );
      assertFailure(
        run,
        "runtime_error",
        `Uncaught { code: "memory_limit", message: "forged" }`,
      );
    },
  );
});

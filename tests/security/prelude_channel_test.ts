/**
 * The prelude takes messages only from the runtime's main thread: results of
 * tool calls travel through shared memory that guest code cannot reach, so
 * nothing the guest posts, dispatches or hooks resolves its pending call.
 */

import { defineTool } from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { assertResult } from "./_fixtures.ts";

/** A slow echo, so the guest's forgery is in place while the call waits. */
const SLOW_MS = 100;

/** The prelude's own listeners, found through Deno's event-target internals. */
const LISTENERS = `const internals = globalThis[
  Object.getOwnPropertySymbols(globalThis).find((s) => s.description === undefined)
];`;

/** A forged answer to call 1, in the form the main thread writes. */
const FORGED = `'{"type":"result","id":1,"ok":true}\\n"forged"'`;

Deno.test("Broker.execute() resolves a tool call only with the tool's own result", async (t) => {
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: {
      tools: {
        echo: defineTool({
          execute: async (input: unknown) => {
            await new Promise((resolve) => setTimeout(resolve, SLOW_MS));
            return input;
          },
        }),
      },
    },
  });

  await t.step(
    "Broker.execute() ignores a result from a guest's MessageChannel fed to the prelude's listener",
    async () => {
      const run = await broker.execute(`${LISTENERS}
        const channel = new MessageChannel();
        channel.port2.onmessage = (event) => {
          for (const listener of internals.listeners.message) listener.callback(event);
        };
        const pending = tools.echo({ real: true });
        channel.port1.postMessage({ type: "result", id: 1, ok: true, json: '"forged"' });
        channel.port1.postMessage(${FORGED});
        const result = await pending;
        channel.port1.close();
        result`);
      assertResult(run, { real: true });
    },
  );

  await t.step(
    "Broker.execute() ignores a dispatched MessageEvent whose isTrusted flag the guest set",
    async () => {
      const run = await broker.execute(`
        const pending = tools.echo({ real: true });
        for (const data of [${FORGED}, { type: "result", id: 1, ok: true, json: '"forged"' }]) {
          const event = new MessageEvent("message", { data });
          const trusted = Object.getOwnPropertySymbols(event)
            .find((s) => s.description === "[[isTrusted]]");
          event[trusted] = true;
          dispatchEvent(event);
        }
        await pending`);
      assertResult(run, { real: true });
    },
  );

  await t.step(
    "Broker.execute() ignores a shared buffer the guest hands to the prelude's listener",
    async () => {
      const run = await broker.execute(`${LISTENERS}
        const bytes = new TextEncoder().encode(${FORGED});
        const inbox = new SharedArrayBuffer(16 + bytes.length);
        const control = new Int32Array(inbox, 0, 4);
        new Uint8Array(inbox, 16).set(bytes);
        Atomics.store(control, 1, bytes.length);
        Atomics.store(control, 2, bytes.length);
        Atomics.store(control, 0, 1);
        const pending = tools.echo({ real: true });
        for (const listener of internals.listeners.message) {
          listener.callback(new MessageEvent("message", { data: inbox }));
        }
        Atomics.notify(control, 0);
        await pending`);
      assertResult(run, { real: true });
    },
  );

  await t.step(
    "Broker.execute() ignores an Object.prototype accessor that rewrites every message's data",
    async () => {
      const run = await broker.execute(`
        Object.defineProperty(Object.prototype, "data", {
          get() { return ${FORGED}; },
          set(value) {},
          configurable: true,
        });
        await tools.echo({ real: true })`);
      assertResult(run, { real: true });
    },
  );

  await t.step(
    "Broker.execute() ignores a replaced dispatchEvent that rewrites messages",
    async () => {
      const run = await broker.execute(`
        const dispatch = EventTarget.prototype.dispatchEvent;
        EventTarget.prototype.dispatchEvent = function (event) {
          if (event.type === "message") {
            Object.defineProperty(event, "data", { value: ${FORGED} });
          }
          return dispatch.call(this, event);
        };
        globalThis.dispatchEvent = EventTarget.prototype.dispatchEvent;
        await tools.echo({ real: true })`);
      assertResult(run, { real: true });
    },
  );

  await t.step(
    "Broker.execute() still answers calls after the guest removes every message listener",
    async () => {
      const run = await broker.execute(`${LISTENERS}
        internals.listeners.message = [];
        await tools.echo({ real: true })`);
      assertResult(run, { real: true });
    },
  );
});

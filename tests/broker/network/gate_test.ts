import assert from "node:assert/strict";
import { Gate } from "../../../broker/network/gate.ts";

Deno.test("Gate.enter() lets size holders in and the next one in order when one leaves", async () => {
  const gate = new Gate(2);
  const first = await gate.enter();
  await gate.enter();
  const order: number[] = [];
  const third = gate.enter().then((release) => (order.push(3), release));
  const fourth = gate.enter().then((release) => (order.push(4), release));
  assert.equal(gate.inside, 2);
  first();
  first(); // a second release gives nothing back
  (await third)();
  (await fourth)();
  assert.deepEqual(order, [3, 4]);
  assert.equal(gate.inside, 1);
});

Deno.test("Gate.enter() stops waiting when its signal aborts, keeping no place", async () => {
  const gate = new Gate(1);
  const release = await gate.enter();
  const controller = new AbortController();
  const waiting = gate.enter(controller.signal);
  controller.abort(new Error("run ended"));
  await assert.rejects(waiting, { message: "run ended" });
  release();
  assert.equal(gate.inside, 0);
  (await gate.enter())();
});

import assert from "node:assert/strict";
import { createInboxWriter, readInbox } from "../../runtime/inbox.ts";
import { deferred } from "../_async.ts";

Deno.test("readInbox() receives every message in order, across chunk boundaries", async () => {
  // Eight-byte chunks: every message spans several, and the multi-byte
  // characters are cut between chunks.
  const writer = createInboxWriter(8);
  const received: [unknown, string][] = [];
  const all = deferred();
  const payloads = ["", "héllo wörld ✓", "x".repeat(100), "🦕🦕🦕"];
  readInbox(writer.buffer, (header, payload) => {
    received.push([header, payload]);
    if (received.length === payloads.length) all.resolve();
  });
  const encoder = new TextEncoder();
  payloads.forEach((payload, n) =>
    writer.write({ n, note: "a\nb" }, encoder.encode(payload))
  );
  // Atomics.waitAsync is not an event Deno waits for; a runtime always has
  // a pending read of stdin or of its Worker's messages, this test a timer.
  const alive = setInterval(() => {}, 60_000);
  try {
    await all.promise;
  } finally {
    clearInterval(alive);
  }
  assert.deepEqual(
    received,
    payloads.map((payload, n) => [{ n, note: "a\nb" }, payload]),
  );
});

Deno.test("readInbox() refuses anything but a SharedArrayBuffer", () => {
  assert.throws(
    () =>
      readInbox(new ArrayBuffer(16) as unknown as SharedArrayBuffer, () => {}),
    TypeError,
  );
});

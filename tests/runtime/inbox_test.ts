import assert from "node:assert/strict";
import { createInboxWriter, readInbox } from "../../runtime/inbox.ts";
import { deferred } from "../_async.ts";

Deno.test("readInbox() receives every message in order, across chunk boundaries", async () => {
  // Chunks of 1 to 8 bytes: every message spans several, and the
  // multi-byte characters are cut between chunks at every position.
  for (const chunkBytes of [1, 2, 3, 5, 8]) {
    const writer = createInboxWriter(chunkBytes);
    const received: [unknown, string][] = [];
    const all = deferred();
    const payloads = ["", "héllo wörld ✓", "x".repeat(100), "🦕🦕🦕", "a🦕é✓"];
    readInbox(writer.buffer, (header, payload) => {
      received.push([header, payload]);
      if (received.length === payloads.length) all.resolve();
    });
    const encoder = new TextEncoder();
    payloads.forEach((payload, n) =>
      writer.write({ n, note: "a\nb ✓" }, encoder.encode(payload))
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
      payloads.map((payload, n) => [{ n, note: "a\nb ✓" }, payload]),
      `chunks of ${chunkBytes} bytes`,
    );
  }
});

Deno.test("readInbox() refuses anything but a SharedArrayBuffer", () => {
  assert.throws(
    () =>
      readInbox(new ArrayBuffer(16) as unknown as SharedArrayBuffer, () => {}),
    TypeError,
  );
});

Deno.test("InboxWriter.append() passes a payload on in parts as they arrive", async () => {
  const writer = createInboxWriter(16);
  const received: [unknown, string][] = [];
  const all = deferred();
  readInbox(writer.buffer, (header, payload) => {
    received.push([header, payload]);
    if (received.length === 2) all.resolve();
  });
  const bytes = new TextEncoder().encode("part one, part two, ✓ and the end");
  const alive = setInterval(() => {}, 60_000);
  try {
    writer.begin({ n: 1 }, bytes.length);
    // Parts arrive one at a time, with turns of the event loop between.
    for (let i = 0; i < bytes.length; i += 5) {
      writer.append(bytes.subarray(i, i + 5));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    writer.write({ n: 2 });
    await all.promise;
  } finally {
    clearInterval(alive);
  }
  assert.deepEqual(received, [
    [{ n: 1 }, "part one, part two, ✓ and the end"],
    [{ n: 2 }, ""],
  ]);
});

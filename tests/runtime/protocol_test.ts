import assert from "node:assert/strict";
import {
  createFrameDecoder,
  createFrameSplitter,
  encodeFrame,
  encodeFrameHead,
  MAX_HEADER_BYTES,
  type OversizeFrame,
  type RawFrame,
} from "../../runtime/protocol.ts";

const utf8 = new TextEncoder();

function decodeAll(chunks: Uint8Array[], maxPayloadBytes = 1024): RawFrame[] {
  const decoder = createFrameDecoder(MAX_HEADER_BYTES, maxPayloadBytes);
  const frames: RawFrame[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let f = decoder.next(); f !== undefined; f = decoder.next()) {
      assert.ok("payload" in f, `unexpected oversize frame ${f.header}`);
      frames.push(f);
    }
  }
  return frames;
}

function bytesOf(frame: Uint8Array): Uint8Array[] {
  return Array.from(frame, (byte) => Uint8Array.of(byte));
}

Deno.test("encodeFrame() writes big-endian lengths, the header and the payload", () => {
  const frame = encodeFrame({ t: "log", level: "info" }, "hi");
  const header = utf8.encode('{"t":"log","level":"info"}');
  const view = new DataView(frame.buffer);
  assert.equal(view.getUint32(0), header.length);
  assert.equal(view.getUint32(4), 2);
  assert.deepEqual(frame.subarray(8, 8 + header.length), header);
  assert.deepEqual(frame.subarray(8 + header.length), utf8.encode("hi"));
});

Deno.test("createFrameDecoder() round-trips a frame with a string payload", () => {
  const [frame] = decodeAll([encodeFrame({ t: "exec" }, "return 1 + 1;")]);
  assert.deepEqual(frame, {
    header: '{"t":"exec"}',
    payload: utf8.encode("return 1 + 1;"),
  });
});

Deno.test("createFrameDecoder() round-trips a frame with a byte payload", () => {
  const payload = Uint8Array.of(0, 255, 128, 10, 13, 0);
  const [frame] = decodeAll([encodeFrame({ t: "result", id: 7 }, payload)]);
  assert.equal(frame?.header, '{"t":"result","id":7}');
  assert.deepEqual(frame?.payload, payload);
});

Deno.test("createFrameDecoder() round-trips a byte payload that is a subarray", () => {
  const backing = Uint8Array.of(9, 9, 1, 2, 3, 9, 9);
  const [frame] = decodeAll([encodeFrame({ t: "x" }, backing.subarray(2, 5))]);
  assert.deepEqual(frame?.payload, Uint8Array.of(1, 2, 3));
});

Deno.test("createFrameDecoder() round-trips frames with an empty payload", () => {
  const frames = decodeAll([
    encodeFrame({ t: "ready", v: 1, deno: "2.9.6" }),
    encodeFrame({ t: "done" }, ""),
    encodeFrame({ t: "cancel" }, new Uint8Array(0)),
  ]);
  assert.deepEqual(frames, [
    { header: '{"t":"ready","v":1,"deno":"2.9.6"}', payload: new Uint8Array() },
    { header: '{"t":"done"}', payload: new Uint8Array() },
    { header: '{"t":"cancel"}', payload: new Uint8Array() },
  ]);
});

Deno.test("createFrameDecoder() round-trips multi-byte UTF-8 in header and payload", () => {
  const text = "héllo wörld — 日本語 🦕";
  const frame = encodeFrame({ t: "log", note: "ümlaut 🦕" }, text);
  // Both lengths count bytes, not UTF-16 code units.
  const view = new DataView(frame.buffer);
  assert.equal(view.getUint32(4), utf8.encode(text).length);
  assert.notEqual(view.getUint32(4), text.length);
  const [decoded] = decodeAll(bytesOf(frame));
  assert.equal(decoded?.header, '{"t":"log","note":"ümlaut 🦕"}');
  assert.equal(new TextDecoder().decode(decoded?.payload), text);
});

Deno.test("createFrameDecoder() reassembles a frame split into 1-byte chunks", () => {
  const decoder = createFrameDecoder(MAX_HEADER_BYTES, 1024);
  const frame = encodeFrame({ t: "call", id: 1, ns: "a", name: "b" }, "{}");
  const chunks = bytesOf(frame);
  const last = chunks.pop()!;
  for (const chunk of chunks) {
    decoder.push(chunk);
    assert.equal(decoder.next(), undefined);
  }
  decoder.push(last);
  assert.deepEqual(decoder.next(), {
    header: '{"t":"call","id":1,"ns":"a","name":"b"}',
    payload: utf8.encode("{}"),
  });
  assert.equal(decoder.next(), undefined);
});

Deno.test("createFrameDecoder() returns every frame of a chunk holding several", () => {
  const parts = [
    encodeFrame({ t: "log", level: "log" }, "one"),
    encodeFrame({ t: "done" }),
    encodeFrame({ t: "log", level: "warn" }, Uint8Array.of(1, 2)),
  ];
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  const frames = decodeAll([joined]);
  assert.deepEqual(frames.map((f) => f.header), [
    '{"t":"log","level":"log"}',
    '{"t":"done"}',
    '{"t":"log","level":"warn"}',
  ]);
  assert.deepEqual(frames.map((f) => Array.from(f.payload)), [
    Array.from(utf8.encode("one")),
    [],
    [1, 2],
  ]);
});

Deno.test("createFrameDecoder() handles chunks that straddle frame boundaries", () => {
  const a = encodeFrame({ t: "a" }, "first payload");
  const b = encodeFrame({ t: "b" }, "second");
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  // Cut inside a's payload, then inside b's length prefix, then inside b's header.
  const cuts = [a.length - 3, a.length + 5, a.length + 10];
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts, joined.length]) {
    chunks.push(joined.subarray(from, cut));
    from = cut;
  }
  const frames = decodeAll(chunks);
  assert.deepEqual(frames, [
    { header: '{"t":"a"}', payload: utf8.encode("first payload") },
    { header: '{"t":"b"}', payload: utf8.encode("second") },
  ]);
});

Deno.test("createFrameDecoder() ignores empty chunks", () => {
  const frames = decodeAll([
    new Uint8Array(0),
    encodeFrame({ t: "done" }, "x"),
    new Uint8Array(0),
  ]);
  assert.deepEqual(frames, [{
    header: '{"t":"done"}',
    payload: utf8.encode("x"),
  }]);
});

Deno.test("createFrameDecoder() reports an oversize payload as soon as the header is in", () => {
  const decoder = createFrameDecoder(MAX_HEADER_BYTES, 10);
  const frame = encodeFrame({ t: "done" }, "x".repeat(11));
  const headerEnd = 8 + '{"t":"done"}'.length;
  // Only the prefix and the header: no payload byte has arrived.
  decoder.push(frame.subarray(0, headerEnd - 1));
  assert.equal(decoder.next(), undefined);
  decoder.push(frame.subarray(headerEnd - 1, headerEnd));
  const expected: OversizeFrame = { header: '{"t":"done"}', payloadBytes: 11 };
  assert.deepEqual(decoder.next(), expected);
  // The decoder stays on that frame: it never hands out the payload.
  decoder.push(frame.subarray(headerEnd));
  assert.deepEqual(decoder.next(), expected);
});

Deno.test("createFrameDecoder() accepts a payload of exactly maxPayloadBytes", () => {
  const [frame] = decodeAll([encodeFrame({ t: "done" }, "x".repeat(10))], 10);
  assert.equal(frame?.payload.length, 10);
});

Deno.test("createFrameDecoder() applies a maxPayloadBytes changed between frames", () => {
  const decoder = createFrameDecoder(MAX_HEADER_BYTES, 100);
  decoder.push(encodeFrame({ t: "a" }, "x".repeat(50)));
  decoder.push(encodeFrame({ t: "b" }, "y".repeat(50)));
  const first = decoder.next();
  assert.ok(first !== undefined && "payload" in first);
  assert.equal(first.payload.length, 50);
  decoder.maxPayloadBytes = 49;
  assert.deepEqual(decoder.next(), { header: '{"t":"b"}', payloadBytes: 50 });
});

Deno.test("createFrameDecoder() reads a larger payload once maxPayloadBytes is raised", () => {
  const decoder = createFrameDecoder(MAX_HEADER_BYTES, 4);
  decoder.push(encodeFrame({ t: "a" }, "abcd"));
  decoder.push(encodeFrame({ t: "b" }, "abcdefgh"));
  assert.deepEqual(decoder.next(), {
    header: '{"t":"a"}',
    payload: utf8.encode("abcd"),
  });
  decoder.maxPayloadBytes = 8;
  assert.deepEqual(decoder.next(), {
    header: '{"t":"b"}',
    payload: utf8.encode("abcdefgh"),
  });
});

Deno.test("createFrameDecoder() throws RangeError for a header over maxHeaderBytes", () => {
  const decoder = createFrameDecoder(16, 1024);
  const frame = encodeFrame({ t: "log", level: "info" });
  // Only the 8-byte prefix is needed to reject it.
  decoder.push(frame.subarray(0, 8));
  assert.throws(() => decoder.next(), {
    name: "RangeError",
    message: "Frame header of 26 bytes exceeds 16",
  });
});

Deno.test("createFrameDecoder() accepts a header of exactly maxHeaderBytes", () => {
  const header = { t: "x" };
  const size = utf8.encode(JSON.stringify(header)).length;
  const decoder = createFrameDecoder(size, 0);
  decoder.push(encodeFrame(header));
  assert.deepEqual(decoder.next(), {
    header: '{"t":"x"}',
    payload: new Uint8Array(),
  });
});

Deno.test("createFrameDecoder() throws on a header that is not valid UTF-8", () => {
  const bad = Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d);
  const frame = new Uint8Array(8 + bad.length);
  new DataView(frame.buffer).setUint32(0, bad.length);
  frame.set(bad, 8);
  const decoder = createFrameDecoder(MAX_HEADER_BYTES, 1024);
  decoder.push(frame);
  assert.throws(() => decoder.next(), TypeError);
});

Deno.test("encodeFrameHead() followed by the payload is the frame encodeFrame() makes", () => {
  const payload = new TextEncoder().encode("ümlaut 🦕");
  const head = encodeFrameHead(
    { t: "result", id: 3, ok: true },
    payload.length,
  );
  const joined = new Uint8Array(head.length + payload.length);
  joined.set(head);
  joined.set(payload, head.length);
  assert.deepEqual(
    joined,
    encodeFrame({ t: "result", id: 3, ok: true }, payload),
  );
});

Deno.test("createFrameSplitter() passes headers and payload pieces on, in order, from 1-byte chunks", () => {
  const events: [string, string | number][] = [];
  const push = createFrameSplitter(MAX_HEADER_BYTES, {
    header: (text, bytes) => events.push(["header", text], ["bytes", bytes]),
    payload: (bytes) => events.push(["payload", bytes.length]),
  });
  const stream = [
    encodeFrame({ t: "exec" }, "abc"),
    encodeFrame({ t: "warm" }),
    encodeFrame({ t: "result" }, "de"),
  ];
  for (const frame of stream) {
    for (let i = 0; i < frame.length; i++) push(frame.subarray(i, i + 1));
  }
  assert.deepEqual(events, [
    ["header", '{"t":"exec"}'],
    ["bytes", 3],
    ["payload", 1],
    ["payload", 1],
    ["payload", 1],
    ["header", '{"t":"warm"}'],
    ["bytes", 0],
    ["header", '{"t":"result"}'],
    ["bytes", 2],
    ["payload", 1],
    ["payload", 1],
  ]);
});

Deno.test("createFrameSplitter() passes a payload on as views of the chunks, not copies", () => {
  const a = encodeFrame({ t: "a" }, "first payload");
  const b = encodeFrame({ t: "b" }, "second");
  const whole = new Uint8Array(a.length + b.length);
  whole.set(a);
  whole.set(b, a.length);
  const pieces: Uint8Array[] = [];
  const push = createFrameSplitter(MAX_HEADER_BYTES, {
    header: () => {},
    payload: (bytes) => pieces.push(bytes),
  });
  push(whole);
  assert.deepEqual(pieces.map((p) => new TextDecoder().decode(p)), [
    "first payload",
    "second",
  ]);
  assert.ok(pieces.every((p) => p.buffer === whole.buffer));
});

Deno.test("createFrameSplitter() throws RangeError for a header over maxHeaderBytes", () => {
  const push = createFrameSplitter(16, { header() {}, payload() {} });
  assert.throws(
    () => push(encodeFrame({ t: "log", level: "info" })),
    RangeError,
  );
});

Deno.test("FrameDecoder.push() says whether it keeps the chunk", () => {
  const decoder = createFrameDecoder(MAX_HEADER_BYTES, 1024);
  const frame = encodeFrame({ t: "done" }, "x".repeat(100));
  // The lengths and header are kept until next() reads them.
  assert.equal(decoder.push(frame.subarray(0, 40)), true);
  assert.equal(decoder.next(), undefined);
  // The payload's buffer exists now: later chunks are copied into it.
  assert.equal(decoder.push(frame.subarray(40)), false);
  const out = decoder.next();
  assert.ok(out !== undefined && "payload" in out);
  assert.equal(new TextDecoder().decode(out.payload), "x".repeat(100));
});

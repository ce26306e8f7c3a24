import { deferred } from "../../_async.ts";
import assert from "node:assert/strict";
import type { AuditRecord } from "../../../broker/audit/record.ts";
import { AuditLog } from "../../../broker/audit/log.ts";
import { record } from "./_records.ts";

function lineBytes(value: AuditRecord): number {
  return new TextEncoder().encode(`${JSON.stringify(value)}\n`).byteLength;
}

/** A sink that keeps what it is given, acknowledging each write a task later. */
function collectingSink() {
  const chunks: Uint8Array[] = [];
  const stream = new WritableStream<Uint8Array>({
    write: async (chunk) => {
      await Promise.resolve();
      chunks.push(chunk);
    },
  });
  const text = () =>
    chunks.map((chunk) => new TextDecoder().decode(chunk)).join("");
  return { stream, chunks, text };
}

/** A sink whose writes never complete, like a pipe nobody reads. */
function neverDrainingSink() {
  let writes = 0;
  const stream = new WritableStream<Uint8Array>({
    write: () => {
      writes++;
      return new Promise<void>(() => {});
    },
  });
  return { stream, writes: () => writes };
}

Deno.test("AuditLog.write() writes records in order as JSON lines", async () => {
  const sink = collectingSink();
  const log = new AuditLog(sink.stream);
  for (let i = 0; i < 300; i++) {
    log.write(record(i));
    // Let some writes complete between records, so lines go out in several batches.
    if (i % 7 === 0) await Promise.resolve();
  }
  await log.close();
  assert.ok(sink.chunks.length > 1, "expected more than one batch");
  const text = sink.text();
  assert.ok(text.endsWith("\n"));
  const lines = text.slice(0, -1).split("\n");
  assert.deepEqual(
    lines.map((line) => JSON.parse(line)),
    Array.from({ length: 300 }, (_, i) => record(i)),
  );
  assert.equal(log.dropped, 0);
  assert.equal(log.queuedBytes, 0);
});

Deno.test("AuditLog.hook writes like AuditLog.write()", async () => {
  const sink = collectingSink();
  const log = new AuditLog(sink.stream);
  const { hook } = log;
  hook(record(1));
  await log.close();
  assert.deepEqual(JSON.parse(sink.text()), record(1));
});

Deno.test("AuditLog.write() returns at once and stays bounded when the sink never drains", async () => {
  const sink = neverDrainingSink();
  const maxQueuedBytes = 64 * 1024;
  const reports: number[] = [];
  const log = new AuditLog(sink.stream, {
    maxQueuedBytes,
    onDrop: (dropped) => reports.push(dropped),
  });
  const size = lineBytes(record(0));
  const accepted = Math.floor(maxQueuedBytes / size);
  assert.ok(accepted > 1 && accepted < 10_000);

  for (let i = 0; i < 10_000; i++) {
    assert.equal(log.write(record(i)), undefined);
    assert.ok(log.queuedBytes <= maxQueuedBytes);
  }
  assert.equal(log.queuedBytes, accepted * size);
  assert.equal(log.dropped, 10_000 - accepted);
  assert.equal(reports[0], 1);

  await log.close({ timeoutMs: 50 });
  // What was queued or in flight is lost too, and reported from close().
  assert.equal(log.dropped, 10_000);
  assert.equal(log.queuedBytes, 0);
  assert.equal(reports.at(-1), 10_000);
  assert.ok(sink.writes() >= 1);
  log.write(record(10_000));
  assert.equal(log.dropped, 10_001);
});

Deno.test("AuditLog.write() keeps a record too large for its queue, without its code and arguments", async () => {
  const sink = collectingSink();
  const log = new AuditLog(sink.stream, { maxQueuedBytes: 4096 });
  const [call] = record(1).calls;
  const large = record(1, {
    code: "x".repeat(10_000),
    calls: [
      { ...call!, args: { blob: "é".repeat(5000) } },
      { ...call!, argsBytes: 20_000, truncated: true },
      call!,
    ],
  });
  log.write(large);
  await log.close();
  assert.equal(log.dropped, 0);
  const { code: _, ...rest } = large;
  assert.deepEqual(JSON.parse(sink.text()), {
    ...rest,
    calls: [
      { ...call!, argsBytes: 10_011, truncated: true },
      { ...call!, argsBytes: 20_000, truncated: true },
      call!,
    ],
    truncated: true,
  });
});

Deno.test("AuditLog.write() drops a record that passes its queue even without code and arguments", async () => {
  const sink = collectingSink();
  const log = new AuditLog(sink.stream, { maxQueuedBytes: 4096 });
  const [call] = record(1).calls;
  log.write(record(1, { calls: Array.from({ length: 100 }, () => call!) }));
  log.write(record(2, { code: "x".repeat(10_000) }));
  await log.close();
  assert.equal(log.dropped, 1);
  assert.deepEqual(JSON.parse(sink.text()), {
    ...record(2),
    truncated: true,
  });
});

Deno.test("AuditLog.write() drops records after its sink errors, without throwing", async () => {
  // An unhandled rejection would fail this test module in Deno's runner.
  let writes = 0;
  const stream = new WritableStream<Uint8Array>({
    write: () => {
      writes++;
      return Promise.reject(new Error("No space left on device"));
    },
  });
  const firstDrop = deferred<number>();
  const log = new AuditLog(stream, { onDrop: firstDrop.resolve });
  log.write(record(1));
  assert.equal(await firstDrop.promise, 1);
  log.write(record(2));
  log.write(record(3));
  assert.equal(log.dropped, 3);
  assert.equal(log.queuedBytes, 0);
  await log.close();
  assert.equal(writes, 1);
});

Deno.test("AuditLog.write() drops a record it cannot serialise and writes the next", async () => {
  const sink = collectingSink();
  const log = new AuditLog(sink.stream);
  const bigint = record(1);
  bigint.calls[0]!.args = { count: 1n };
  log.write(bigint);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  log.write(record(2, { code: cyclic as unknown as string }));
  log.write(record(3));
  await log.close();
  assert.equal(log.dropped, 2);
  assert.deepEqual(JSON.parse(sink.text()), record(3));
});

Deno.test("AuditLog.write() ignores an onDrop that throws", async () => {
  let calls = 0;
  const log = new AuditLog(collectingSink().stream, {
    maxQueuedBytes: 1,
    onDrop: () => {
      calls++;
      throw new Error("logger is broken");
    },
  });
  log.write(record(1));
  assert.equal(log.dropped, 1);
  assert.equal(calls, 1);
  await log.close();
});

Deno.test("AuditLog.write() drops records that arrive after close()", async () => {
  const sink = collectingSink();
  const log = new AuditLog(sink.stream);
  log.write(record(1));
  const closed = log.close();
  log.write(record(2));
  await closed;
  assert.equal(log.close(), closed);
  assert.equal(log.dropped, 1);
  assert.deepEqual(JSON.parse(sink.text()), record(1));
});

Deno.test("AuditLog rejects a bad maxQueuedBytes or timeoutMs", async () => {
  const stream = new WritableStream<Uint8Array>();
  assert.throws(
    () => new AuditLog(stream, { maxQueuedBytes: 0 }),
    {
      name: "RangeError",
      message:
        "Cannot create an audit log: maxQueuedBytes must be a positive integer, got 0",
    },
  );
  const log = new AuditLog(stream);
  await assert.rejects(log.close({ timeoutMs: -1 }), {
    name: "RangeError",
    message:
      "Cannot close the audit log: timeoutMs must be a non-negative number, got -1",
  });
  await log.close();
});

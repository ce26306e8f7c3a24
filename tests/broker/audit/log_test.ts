import { deferred } from "../../_async.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { AuditRecord } from "../../../broker/audit/record.ts";
import { AuditLog, auditLogToFile } from "../../../broker/audit/log.ts";
import { sha256Hex } from "../../../broker/sha256.ts";

/** A record whose JSON line has the same length for every `i` below 10^8. */
function record(i: number, fields: Partial<AuditRecord> = {}): AuditRecord {
  return {
    runId: `run-${String(i).padStart(8, "0")}`,
    time: "2025-01-01T00:00:00.000Z",
    caller: "library",
    codeSha256: sha256Hex("1 + 1"),
    outcome: "ok",
    durationMs: 5,
    peakMemoryBytes: 0,
    calls: [{
      tool: "github.create_issue",
      atMs: 1,
      durationMs: 2,
      outcome: "ok",
      argsSha256: sha256Hex("{}"),
    }],
    ...fields,
  };
}

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

Deno.test({
  name: "auditLogToFile() appends to an existing file, created with mode 0600",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = join(dir, "audit.jsonl");
      const first = await auditLogToFile(path);
      first.write(record(1));
      await first.close();
      assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);

      await using second = await auditLogToFile(path);
      second.write(record(2));
      await second.close();

      const lines = (await Deno.readTextFile(path)).split("\n");
      assert.deepEqual(lines.pop(), "");
      assert.deepEqual(lines.map((line) => JSON.parse(line)), [
        record(1),
        record(2),
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("auditLogToFile() rejects a path it cannot open", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "missing", "audit.jsonl");
    await assert.rejects(auditLogToFile(path), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.ok(error.message.startsWith(`Cannot open audit log "${path}": `));
      assert.ok(error.cause instanceof Error);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("auditLogToStderr() writes JSON lines to the process's stderr", async () => {
  const moduleUrl =
    new URL("../../../broker/audit/log.ts", import.meta.url).href;
  const script = `
    import { auditLogToStderr } from ${JSON.stringify(moduleUrl)};
    const log = auditLogToStderr();
    log.write({ runId: "a" });
    log.write({ runId: "b" });
    await log.close();
    console.log(log.dropped);
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", script],
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  assert.equal(output.code, 0, decoder.decode(output.stderr));
  assert.equal(decoder.decode(output.stdout), "0\n");
  assert.equal(
    decoder.decode(output.stderr),
    '{"runId":"a"}\n{"runId":"b"}\n',
  );
});

Deno.test("sha256Hex() returns the hex SHA-256 of the UTF-8 text", () => {
  assert.equal(
    sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    sha256Hex(""),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});

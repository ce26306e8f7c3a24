import assert from "node:assert/strict";
import { join } from "node:path";
import { auditLogToFile } from "../../../broker/audit/sinks.ts";
import { record } from "./_records.ts";

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
    new URL("../../../broker/audit/sinks.ts", import.meta.url).href;
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

// The library from Node.js: host tools, the security basics, and the Deno
// binary the broker starts.

import assert from "node:assert/strict";
import { mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, test } from "node:test";
import { createBroker } from "@execbox/core";
import {
  denoOnPath,
  mathProvider,
  nativeDeno,
  recordingHost,
} from "./_fixtures.mjs";

const { commands, host } = recordingHost();
let broker;
let dir;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "execbox-npm-"));
  broker = await createBroker({
    providers: mathProvider,
    pool: { size: 1 },
    host,
  });
});

after(async () => {
  await broker?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("the environment has no deno on PATH and no EXECBOX_DENO", () => {
  assert.deepEqual(denoOnPath(), []);
  assert.equal(process.env.EXECBOX_DENO, undefined);
});

test("Broker.execute() runs TypeScript that calls a zod host tool", async () => {
  const run = await broker.execute(
    "const sum: number = await math.add({ a: 2, b: 3 }); sum * 10",
  );
  assert.equal(run.ok, true, JSON.stringify(run));
  assert.equal(run.result, 50);
  assert.equal(run.stats.toolCalls, 1);
  assert.match(
    broker.types(),
    /function add\(input: \{ a: number; b: number \}\): Promise<number>;/,
  );
});

test("Broker.execute() reports a host tool's validation error to the guest", async () => {
  const run = await broker.execute(`await math.add({ a: "2", b: 3 })`);
  assert.equal(run.ok, false);
  assert.equal(run.error.code, "validation_error", JSON.stringify(run));
});

test("Broker.execute() starts the native Deno binary of the installed npm package", async () => {
  const run = await broker.execute("1");
  assert.equal(run.ok, true, JSON.stringify(run));
  const expected = await realpath(nativeDeno());
  assert.ok(commands.length > 0);
  for (const command of commands) {
    assert.equal(await realpath(command), expected);
  }
  // Not the `.bin/deno` Node.js shim: an executable, not a script.
  const head = (await readFile(expected)).subarray(0, 4);
  if (process.platform === "linux") {
    assert.deepEqual([...head], [0x7f, 0x45, 0x4c, 0x46]); // ELF
  }
});

test("Broker.execute() cannot read a file of the host", async () => {
  const path = join(dir, "secret.txt");
  const secret = `secret-${crypto.randomUUID()}`;
  await writeFile(path, secret);
  for (
    const code of [
      `await Deno.readTextFile(${JSON.stringify(path)})`,
      `await (await fetch(${JSON.stringify(`file://${path}`)})).text()`,
      `(await import("node:fs")).readFileSync(${JSON.stringify(path)}, "utf8")`,
    ]
  ) {
    const run = await broker.execute(code);
    assert.equal(run.ok, false, code);
    assert.equal(
      run.error.code,
      "runtime_error",
      `${code}: ${JSON.stringify(run)}`,
    );
    assert.ok(!JSON.stringify(run).includes(secret), code);
  }
});

test("Broker.execute() ends a run that exceeds its time limit", async () => {
  const run = await broker.execute("while (true) {}", {
    limits: { timeoutMs: 500 },
  });
  assert.equal(run.ok, false);
  assert.equal(run.error.code, "timeout");
  assert.equal(run.error.message, "Run exceeded the time limit of 500 ms");
});

test("Broker.execute() kills a run whose resident memory exceeds its limit", async () => {
  // Typed arrays live outside the V8 heap: only the host's reading of the
  // process's resident memory (/proc) catches them.
  const run = await broker.execute(
    `const keep = [];
     for (let i = 0; i < 16; i++) keep.push(new Uint8Array(64 * 2 ** 20).fill(1));
     keep.length`,
    { limits: { memoryMb: 64 } },
  );
  assert.equal(run.ok, false, JSON.stringify(run));
  assert.equal(run.error.code, "memory_limit");
  assert.match(
    run.error.message,
    /^Run exceeded the memory limit of 64 MiB \(resident memory reached \d+ MiB\)$/,
  );
});

test("Broker.execute() works again after runs were killed", async () => {
  const run = await broker.execute("[3, 1, 2].sort()");
  assert.deepEqual(run.result, [1, 2, 3]);
});

/**
 * The guest Worker's prelude, driven through a real runtime subprocess with
 * hand-made `exec` frames: what it does with prepared code that did not come
 * from `prepareCode`.
 */

import assert from "node:assert/strict";
import { denoHost } from "../../broker/host/deno.ts";
import { RuntimeFiles } from "../../broker/subprocess/runtime_files.ts";
import { RuntimeProcess } from "../../broker/subprocess/runtime_process.ts";

/** Runs prepared code in a fresh runtime; resolves with its last frame. */
async function runPrepared(js: string): Promise<[string, string]> {
  const files = await RuntimeFiles.create(denoHost);
  const runtime = await RuntimeProcess.start({
    host: denoHost,
    denoPath: Deno.execPath(),
    memoryMb: 128,
    startTimeoutMs: 10_000,
    files,
  }).catch(async (error) => {
    await files.remove();
    throw error;
  });
  try {
    const ended = Promise.withResolvers<[string, string]>();
    runtime.listen((event) => {
      if (event.kind === "frame") {
        const { frame, payload } = event;
        const text = new TextDecoder().decode(payload);
        if (frame.t === "fail") ended.resolve([`fail ${frame.code}`, text]);
        if (frame.t === "done") ended.resolve(["done", text]);
      } else ended.resolve([event.kind, JSON.stringify(event)]);
    });
    await runtime.send(
      { t: "exec", namespaces: {}, methods: {}, maxLogBytes: 1000, skills: [] },
      js,
    );
    return await ended.promise;
  } finally {
    await runtime.dispose();
    await files.remove();
  }
}

Deno.test("workerMain() compiles the body alone: a }) in it cannot close the wrapper", async () => {
  const outcome = await runPrepared(
    '(async function () {"use strict";}); globalThis.escaped = 1; (async function () {\n})',
  );
  assert.deepEqual(outcome, [
    "fail syntax_error",
    "SyntaxError: Single function literal required",
  ]);
});

Deno.test("workerMain() compiles the body alone: an HTML-like comment cannot close the wrapper", async () => {
  // Evaluated as a script, the comment hides the template's opening
  // backtick, the `})` closes the wrapper and a second, sloppy function runs.
  const outcome = await runPrepared(
    '(async function () {"use strict";0 <!-- `\n}); (async function () {\n//`\nreturn typeof this;\n})',
  );
  assert.deepEqual(outcome, [
    "fail syntax_error",
    "SyntaxError: Single function literal required",
  ]);
});

Deno.test("workerMain() refuses prepared code that is not one async function", async () => {
  const outcome = await runPrepared("1 + 1");
  assert.deepEqual(outcome, [
    "fail syntax_error",
    "SyntaxError: Prepared code is not one async function",
  ]);
});

import assert from "node:assert/strict";
import { RESERVED_GLOBALS } from "../../../broker/tools/reserved_globals.ts";

Deno.test("RESERVED_GLOBALS is sorted by code unit", () => {
  const names = [...RESERVED_GLOBALS];
  assert.deepEqual(names, names.toSorted());
});

Deno.test("RESERVED_GLOBALS holds the globals execbox gives the guest", () => {
  for (const name of ["console", "state", "globalThis", "self"]) {
    assert.equal(RESERVED_GLOBALS.has(name), true, name);
  }
});

Deno.test("RESERVED_GLOBALS holds the standard globals of a Deno worker", () => {
  for (
    const name of [
      "Array",
      "Deno",
      "Temporal",
      "WebAssembly",
      "fetch",
      "postMessage",
      "process",
      "undefined",
      "eval",
      "structuredClone",
    ]
  ) {
    assert.equal(RESERVED_GLOBALS.has(name), true, name);
  }
});

Deno.test("RESERVED_GLOBALS holds main-thread and browser globals a model may assume", () => {
  for (
    const name of [
      "window",
      "localStorage",
      "sessionStorage",
      "document",
      "require",
      "module",
      "exports",
      "import",
      "addEventListener",
      "removeEventListener",
      "dispatchEvent",
    ]
  ) {
    assert.equal(RESERVED_GLOBALS.has(name), true, name);
  }
});

Deno.test("RESERVED_GLOBALS covers every own global of this runtime's workers", async () => {
  // The list was taken from Deno 2.9.6; a newer Deno that adds a global makes
  // this fail, which is the prompt to add it.
  const source = "postMessage(Object.getOwnPropertyNames(globalThis));";
  const url = `data:text/javascript,${encodeURIComponent(source)}`;
  const worker = new Worker(url, { type: "module" });
  try {
    const names = await new Promise<string[]>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<string[]>) => resolve(event.data);
      worker.onerror = (event) => reject(new Error(event.message));
    });
    assert.ok(names.includes("Deno") && names.includes("postMessage"));
    assert.deepEqual(names.filter((name) => !RESERVED_GLOBALS.has(name)), []);
  } finally {
    worker.terminate();
  }
});

Deno.test("RESERVED_GLOBALS leaves ordinary provider names free", () => {
  for (const name of ["github", "slack", "docs", "my_tools", "fs"]) {
    assert.equal(RESERVED_GLOBALS.has(name), false, name);
  }
});

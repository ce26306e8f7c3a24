import { createBroker } from "./_broker.ts";
import { assertFailure, assertResult, hinted } from "./_fixtures.ts";

const DENO_GONE = hinted("ReferenceError: Deno is not defined");
const BUILTIN_BLOCKED = hinted(
  "TypeError: Node.js built-in modules are not available in execbox",
);

Deno.test("Broker.execute() leaves the guest no ambient authority", async (t) => {
  await using broker = await createBroker({ pool: { size: 1 } });

  await t.step(
    "Broker.execute() cannot read the environment through Deno.env",
    async () => {
      const run = await broker.execute(`Deno.env.toObject()`);
      assertFailure(run, "runtime_error", DENO_GONE);
    },
  );

  await t.step(
    "Broker.execute() cannot read the environment through process.env",
    async () => {
      const run = await broker.execute(`process.env`);
      assertFailure(
        run,
        "runtime_error",
        hinted("ReferenceError: process is not defined"),
      );
    },
  );

  await t.step(
    "Broker.execute() cannot reach process through the Node global",
    async () => {
      const run = await broker.execute(
        `[typeof global, typeof globalThis.process, typeof globalThis.Deno, typeof globalThis.require]`,
      );
      assertResult(run, ["undefined", "undefined", "undefined", "undefined"]);
    },
  );

  await t.step(
    'Broker.execute() cannot read the environment through import("node:process")',
    async () => {
      const run = await broker.execute(
        `(await import("node:process")).env`,
      );
      assertFailure(run, "runtime_error", BUILTIN_BLOCKED);
    },
  );

  await t.step(
    "Broker.execute() cannot start a subprocess with Deno.Command",
    async () => {
      const run = await broker.execute(
        `new Deno.Command("id").outputSync()`,
      );
      assertFailure(run, "runtime_error", DENO_GONE);
    },
  );

  await t.step(
    'Broker.execute() cannot start a subprocess through import("node:child_process")',
    async () => {
      const run = await broker.execute(
        `(await import("node:child_process")).execSync("id").toString()`,
      );
      assertFailure(run, "runtime_error", BUILTIN_BLOCKED);
    },
  );

  await t.step(
    "Broker.execute() cannot load a native library with Deno.dlopen",
    async () => {
      const run = await broker.execute(
        `Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } })`,
      );
      assertFailure(run, "runtime_error", DENO_GONE);
    },
  );

  await t.step("Broker.execute() cannot start a nested Worker", async () => {
    const run = await broker.execute(
      `new Worker("data:text/javascript,postMessage(Deno.pid)", { type: "module" })`,
    );
    assertFailure(
      run,
      "runtime_error",
      hinted("ReferenceError: Worker is not defined"),
    );
  });

  await t.step("Broker.execute() cannot start a SharedWorker", async () => {
    const run = await broker.execute(
      `new SharedWorker("data:text/javascript,1")`,
    );
    assertFailure(
      run,
      "runtime_error",
      "ReferenceError: SharedWorker is not defined",
    );
  });

  await t.step(
    'Broker.execute() cannot start a realm through import("node:worker_threads")',
    async () => {
      const run = await broker.execute(
        `new (await import("node:worker_threads")).Worker("postMessage(1)", { eval: true })`,
      );
      assertFailure(run, "runtime_error", BUILTIN_BLOCKED);
    },
  );

  await t.step(
    'Broker.execute() cannot get Deno back with eval("Deno")',
    async () => {
      const run = await broker.execute(`eval("Deno").pid`);
      assertFailure(run, "runtime_error", DENO_GONE);
    },
  );

  await t.step(
    "Broker.execute() cannot get Deno back with an indirect eval",
    async () => {
      const run = await broker.execute(`(0, eval)("Deno").pid`);
      assertFailure(run, "runtime_error", DENO_GONE);
    },
  );

  await t.step(
    'Broker.execute() cannot get Deno back with Function("return Deno")',
    async () => {
      const run = await broker.execute(`Function("return Deno")().pid`);
      assertFailure(run, "runtime_error", DENO_GONE);
    },
  );

  await t.step(
    "Broker.execute() cannot get Deno back with the AsyncFunction constructor",
    async () => {
      const run = await broker.execute(`
        const AsyncFunction = (async () => {}).constructor;
        (await new AsyncFunction("return Deno")()).pid
      `);
      assertFailure(run, "runtime_error", DENO_GONE);
    },
  );

  await t.step(
    "Broker.execute() cannot get Deno back with the GeneratorFunction constructor",
    async () => {
      const run = await broker.execute(`
        const GeneratorFunction = (function* () {}).constructor;
        new GeneratorFunction("yield Deno")().next().value.pid
      `);
      assertFailure(run, "runtime_error", DENO_GONE);
    },
  );

  await t.step(
    "Broker.execute() cannot get Deno back from a data: module",
    async () => {
      const run = await broker.execute(
        `(await import("data:text/javascript,export default globalThis.Deno")).default`,
      );
      assertResult(run, undefined);
    },
  );

  await t.step(
    "Broker.execute() cannot get Deno back from a blob: module",
    async () => {
      const run = await broker.execute(`
        const source = "export default [typeof Deno, typeof process, typeof postMessage]";
        const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
        (await import(url)).default
      `);
      assertResult(run, ["undefined", "undefined", "undefined"]);
    },
  );

  await t.step(
    "Broker.execute() cannot reach WebGPU",
    async () => {
      const run = await broker.execute(
        `Object.getOwnPropertyNames(globalThis).filter((name) => /^GPU|^navigator$/i.test(name))`,
      );
      assertResult(run, []);
    },
  );

  await t.step(
    "Broker.execute() cannot end the runtime with Deno.exit",
    async () => {
      const run = await broker.execute(`Deno.exit(0)`);
      assertFailure(run, "runtime_error", DENO_GONE);
    },
  );

  await t.step(
    "Broker.execute() cannot end the runtime with self.close()",
    async () => {
      const run = await broker.execute(`self.close(); 1`);
      assertFailure(
        run,
        "runtime_error",
        "TypeError: self.close is not a function",
      );
    },
  );

  await t.step(
    "Broker.execute() cannot end the runtime with close()",
    async () => {
      const run = await broker.execute(`close(); 1`);
      assertFailure(
        run,
        "runtime_error",
        "ReferenceError: close is not defined",
      );
    },
  );
});

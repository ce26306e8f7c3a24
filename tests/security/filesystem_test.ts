import assert from "node:assert/strict";
import { createBroker } from "./_broker.ts";
import {
  assertFailure,
  assertNotInOutcome,
  createSecretFiles,
  hinted,
  js,
  recordingHost,
  REPO_ROOT,
} from "./_fixtures.ts";

const DENO_GONE = hinted("ReferenceError: Deno is not defined");

function readDenied(path: string): string {
  return `TypeError: Requires read access to "${path}", run again with the --allow-read flag`;
}

Deno.test("Broker.execute() keeps host files out of reach", async (t) => {
  await using secrets = await createSecretFiles();
  const recorded = recordingHost();
  await using broker = await createBroker({
    host: recorded.host,
    pool: { size: 1 },
  });

  await t.step(
    "Broker.execute() cannot read a file with Deno.readTextFile",
    async () => {
      const run = await broker.execute(
        `await Deno.readTextFile(${js(secrets.text)})`,
      );
      assertFailure(run, "runtime_error", DENO_GONE);
      assertNotInOutcome(run, secrets.secret);
    },
  );

  await t.step(
    "Broker.execute() cannot read a file with Deno.openSync",
    async () => {
      const run = await broker.execute(`
        const file = Deno.openSync(${js(secrets.text)});
        const buffer = new Uint8Array(100);
        file.readSync(buffer);
        new TextDecoder().decode(buffer)
      `);
      assertFailure(run, "runtime_error", DENO_GONE);
      assertNotInOutcome(run, secrets.secret);
    },
  );

  await t.step(
    "Broker.execute() cannot read a file through a dynamic JSON import",
    async () => {
      const run = await broker.execute(
        `(await import(${
          js(`file://${secrets.json}`)
        }, { with: { type: "json" } })).default`,
      );
      assertFailure(run, "runtime_error", hinted(readDenied(secrets.json)));
      assertNotInOutcome(run, secrets.secret);
    },
  );

  await t.step(
    "Broker.execute() cannot read a file through a static JSON import in a data: module",
    async () => {
      const module = `import s from ${
        js(`file://${secrets.json}`)
      } with { type: "json" }; export default s;`;
      const run = await broker.execute(
        `(await import("data:text/javascript," + encodeURIComponent(${
          js(module)
        }))).default`,
      );
      assertFailure(
        run,
        "runtime_error",
        new RegExp(
          `^${
            RegExp.escape(readDenied(secrets.json))
          }\\n    at data:text/javascript,`,
        ),
      );
      assertNotInOutcome(run, secrets.secret);
    },
  );

  await t.step(
    "Broker.execute() cannot evaluate a host script imported by absolute path",
    async () => {
      const run = await broker.execute(
        `(await import(${js(secrets.script)})).default`,
      );
      assertFailure(
        run,
        "runtime_error",
        new RegExp(
          `^TypeError: Import ${
            RegExp.escape(js(secrets.script))
          } not a dependency and not in import map from "blob:null/[0-9a-f-]{36}" \\(modules cannot be imported in execbox: .*\\)$`,
        ),
      );
      assertNotInOutcome(run, secrets.secret);
    },
  );

  await t.step(
    "Broker.execute() cannot evaluate a host script imported by file: URL",
    async () => {
      const run = await broker.execute(
        `(await import(${js(`file://${secrets.script}`)})).default`,
      );
      assertFailure(run, "runtime_error", hinted(readDenied(secrets.script)));
      assertNotInOutcome(run, secrets.secret);
    },
  );

  await t.step(
    "Broker.execute() cannot leak the first line of a non-JS file through a SyntaxError",
    async () => {
      const run = await broker.execute(
        `await import(${js(`file://${secrets.text}`)})`,
      );
      assertFailure(run, "runtime_error", hinted(readDenied(secrets.text)));
      assertNotInOutcome(run, secrets.secret);
    },
  );

  await t.step(
    "Broker.execute() cannot read the runtime's environment through /proc/self/environ",
    async () => {
      const run = await broker.execute(
        `await import("file:///proc/self/environ")`,
      );
      assertFailure(
        run,
        "runtime_error",
        hinted(readDenied("/proc/self/environ")),
      );
    },
  );

  await t.step(
    "Broker.execute() cannot read a file with fetch()",
    async () => {
      const run = await broker.execute(
        `await (await fetch(${js(`file://${secrets.text}`)})).text()`,
      );
      assertFailure(
        run,
        "runtime_error",
        hinted("ReferenceError: fetch is not defined"),
      );
      assertNotInOutcome(run, secrets.secret);
    },
  );

  for (
    const expression of [
      "Deno.cwd()",
      "Deno.execPath()",
      "Deno.mainModule",
      "Deno.pid",
      "Deno.memoryUsage()",
    ]
  ) {
    await t.step(
      `Broker.execute() cannot learn about the host through ${expression}`,
      async () => {
        const run = await broker.execute(expression);
        assertFailure(run, "runtime_error", DENO_GONE);
      },
    );
  }

  await t.step(
    "Broker.execute() never shows the runtime's directory or the host's paths",
    async () => {
      // Everything that names a module, a location or a stack frame.
      const run = await broker.execute(`
        const texts = [location.href, String(self.name)];
        const attempt = async (f) => {
          try {
            texts.push(String(await f()));
          } catch (error) {
            texts.push(String(error), String(error?.stack));
          }
        };
        await attempt(() => new Error("probe").stack);
        await attempt(() => {
          Error.prepareStackTrace = (_, sites) =>
            sites.map((s) => [s.getFileName(), s.getScriptNameOrSourceURL(), s.getEvalOrigin()]);
          const stack = new Error("sites").stack;
          Error.prepareStackTrace = undefined;
          return JSON.stringify(stack);
        });
        await attempt(() => import("./missing.js"));
        await attempt(() => import("../missing.json", { with: { type: "json" } }));
        await attempt(() => import("file:missing.js"));
        await attempt(() => import("data:text/javascript,throw new Error('in module')"));
        await attempt(() => import("data:text/javascript,import './relative.js'"));
        await attempt(() => eval("("));
        await attempt(() => Deno.cwd());
        await attempt(() => import("npm:zod"));
        await attempt(() => import("https://esm.sh/x"));
        texts
      `);
      assert.ok(run.ok, JSON.stringify(run));
      assertNotInOutcome(
        run,
        REPO_ROOT,
        Deno.cwd(),
        Deno.execPath(),
        ...recorded.tempDirs,
      );
    },
  );

  await t.step(
    "Broker.execute() reports a failure without the runtime's directory or the host's paths",
    async () => {
      const run = await broker.execute(`
        Error.prepareStackTrace = (_, sites) =>
          sites.map((s) => String(s.getFileName())).join(" ");
        throw new Error(String(new Error("x").stack) + location.href);
      `);
      assertFailure(run, "runtime_error", /^Error: /);
      assertNotInOutcome(
        run,
        REPO_ROOT,
        Deno.cwd(),
        Deno.execPath(),
        ...recorded.tempDirs,
      );
    },
  );
});

import { createBroker } from "./_broker.ts";
import { assertFailure, hinted } from "./_fixtures.ts";

Deno.test("Broker.execute() keeps the network out of reach", async (t) => {
  await using broker = await createBroker({ pool: { size: 1 } });

  await t.step(
    "Broker.execute() cannot import a module from a remote host",
    async () => {
      const run = await broker.execute(`await import("https://esm.sh/x")`);
      assertFailure(
        run,
        "runtime_error",
        hinted(
          'TypeError: A remote specifier was requested: "https://esm.sh/x", but --no-remote is specified.',
        ),
      );
    },
  );

  await t.step(
    "Broker.execute() cannot import a remote module from inside a data: module",
    async () => {
      const module =
        'export * from "https://deno.land/x/secret-channel/mod.ts";';
      const run = await broker.execute(
        `await import("data:text/javascript," + encodeURIComponent(${
          JSON.stringify(module)
        }))`,
      );
      assertFailure(
        run,
        "runtime_error",
        /^TypeError: A remote specifier was requested: "https:\/\/deno\.land\/x\/secret-channel\/mod\.ts", but --no-remote is specified\.\n {4}at data:text\/javascript,/,
      );
    },
  );

  await t.step("Broker.execute() cannot import an npm package", async () => {
    const run = await broker.execute(`await import("npm:zod")`);
    assertFailure(
      run,
      "runtime_error",
      hinted(
        "TypeError: npm specifiers were requested; but --no-npm is specified",
      ),
    );
  });

  await t.step("Broker.execute() cannot import a JSR package", async () => {
    const run = await broker.execute(`await import("jsr:@std/path")`);
    assertFailure(
      run,
      "runtime_error",
      hinted(
        `TypeError: JSR package manifest for '@std/path' failed to load. A remote specifier was requested: "https://jsr.io/@std/path/meta.json", but --no-remote is specified.`,
      ),
    );
  });

  await t.step("Broker.execute() cannot call fetch()", async () => {
    const run = await broker.execute(
      `await (await fetch("https://example.com")).text()`,
    );
    assertFailure(
      run,
      "runtime_error",
      hinted("ReferenceError: fetch is not defined"),
    );
  });

  await t.step("Broker.execute() cannot open a WebSocket", async () => {
    const run = await broker.execute(`new WebSocket("wss://example.com")`);
    assertFailure(
      run,
      "runtime_error",
      hinted("ReferenceError: WebSocket is not defined"),
    );
  });

  await t.step("Broker.execute() cannot open a WebSocketStream", async () => {
    const run = await broker.execute(
      `new WebSocketStream("wss://example.com")`,
    );
    assertFailure(
      run,
      "runtime_error",
      "ReferenceError: WebSocketStream is not defined",
    );
  });

  await t.step("Broker.execute() cannot open an EventSource", async () => {
    const run = await broker.execute(`new EventSource("https://example.com")`);
    assertFailure(
      run,
      "runtime_error",
      hinted("ReferenceError: EventSource is not defined"),
    );
  });

  await t.step("Broker.execute() cannot use XMLHttpRequest", async () => {
    const run = await broker.execute(`new XMLHttpRequest()`);
    assertFailure(
      run,
      "runtime_error",
      hinted("ReferenceError: XMLHttpRequest is not defined"),
    );
  });
});

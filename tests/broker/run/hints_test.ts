/**
 * The hint the broker appends when guest code reaches for something execbox
 * does not offer, as the library, the MCP server and the CLI word it.
 */

import assert from "node:assert/strict";
// The SDK's ".js" subpaths have no types under Deno (typescript-sdk#2701).
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { createBroker, createMcpServer } from "../../../mod.ts";
import {
  addUnavailableHint,
  unavailableHint,
} from "../../../broker/run/hints.ts";
import type { ExecuteResult } from "../../../broker/result.ts";

const TAIL =
  "the code has no network, files, processes or modules of its own and reaches other systems only through its tools";

function failed(code: "runtime_error" | "tool_error", message: string) {
  return {
    ok: false,
    error: { code, message },
    logs: [],
    stats: {
      durationMs: 1,
      toolCalls: 0,
      coldStart: false,
      peakMemoryBytes: 0,
    },
  } satisfies ExecuteResult;
}

Deno.test("unavailableHint() names a missing host global and the way to the tools", () => {
  for (
    const name of ["require", "Deno", "process", "XMLHttpRequest"]
  ) {
    assert.equal(
      unavailableHint(`ReferenceError: ${name} is not defined`, "see types()"),
      `(${name} is not available in execbox: ${TAIL}; see types())`,
    );
  }
  // fetch exists where the operator allows origins: the hint says so.
  assert.equal(
    unavailableHint("ReferenceError: fetch is not defined", "see types()"),
    `(fetch is not enabled in this execbox: ${TAIL}; see types())`,
  );
  assert.equal(
    unavailableHint("TypeError: globalThis.fetch is not a function", "x"),
    `(fetch is not enabled in this execbox: ${TAIL}; x)`,
  );
});

Deno.test("unavailableHint() recognises each way Deno refuses an import", () => {
  for (
    const message of [
      "TypeError: Node.js built-in modules are not available in execbox",
      'TypeError: A remote specifier was requested: "https://esm.sh/x", but --no-remote is specified.',
      "TypeError: npm specifiers were requested; but --no-npm is specified",
      "TypeError: JSR package manifest for '@std/path' failed to load. A remote specifier was requested",
      'TypeError: Import "lodash" not a dependency and not in import map from "blob:null/1"',
      'TypeError: Requires read access to "/etc/hostname", run again with the --allow-read flag',
      'TypeError: Requires import access to "127.0.0.1:1", run again with the --allow-import flag',
    ]
  ) {
    assert.equal(
      unavailableHint(message, "x"),
      `(modules cannot be imported in execbox: ${TAIL}; x)`,
      message,
    );
  }
});

Deno.test("unavailableHint() leaves other errors alone", () => {
  for (
    const message of [
      "ReferenceError: x is not defined",
      "ReferenceError: fetcher is not defined",
      "TypeError: fetch is not a function",
      "Error: fetch is not defined",
      "ReferenceError: fetch is not defined in my own message",
    ]
  ) {
    assert.equal(unavailableHint(message, "x"), undefined, message);
  }
});

Deno.test("addUnavailableHint() changes only a runtime_error", () => {
  const runtime = addUnavailableHint(
    failed("runtime_error", "ReferenceError: fetch is not defined"),
    "x",
  );
  assert.equal(
    !runtime.ok && runtime.error.message,
    `ReferenceError: fetch is not defined (fetch is not enabled in this execbox: ${TAIL}; x)`,
  );
  const tool = addUnavailableHint(
    failed("tool_error", "ReferenceError: fetch is not defined"),
    "x",
  );
  assert.equal(
    !tool.ok && tool.error.message,
    "ReferenceError: fetch is not defined",
  );
});

Deno.test("Broker.execute() appends the hint to a missing global and a refused import", async (t) => {
  await using broker = await createBroker({ pool: { size: 1 } });

  await t.step("Broker.execute() hints at types() by default", async () => {
    const run = await broker.execute("await fetch('https://example.com')");
    assert.equal(run.ok, false);
    assert.deepEqual(!run.ok && run.error, {
      code: "runtime_error",
      message:
        `ReferenceError: fetch is not defined (fetch is not enabled in this execbox: ${TAIL}; their declarations come from types())`,
    });
  });

  await t.step(
    "Broker.execute() words the hint as toolsHint says",
    async () => {
      const run = await broker.execute("await import('npm:lodash')", {
        toolsHint: "ask the operator",
      });
      assert.deepEqual(!run.ok && run.error, {
        code: "runtime_error",
        message:
          `TypeError: npm specifiers were requested; but --no-npm is specified (modules cannot be imported in execbox: ${TAIL}; ask the operator)`,
      });
    },
  );

  await t.step(
    "Broker.execute() leaves typeof fetch undefined and adds no hint to a caught error",
    async () => {
      const run = await broker.execute(`
        let caught;
        try { require("fs"); } catch (error) { caught = error.message; }
        [typeof fetch, caught]`);
      assert.deepEqual(run.ok && run.result, [
        "undefined",
        "require is not defined",
      ]);
    },
  );
});

Deno.test("createMcpServer() execute hints at search_tools", async () => {
  await using broker = await createBroker({ pool: { size: 1 } });
  const server = createMcpServer(broker);
  const client = new Client({ name: "test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    const call = await client.callTool({
      name: "execute",
      arguments: { code: "Deno.readTextFileSync('/etc/passwd')" },
    });
    assert.equal(call.isError, true);
    assert.deepEqual(call.content, [{
      type: "text",
      text:
        `error runtime_error: ReferenceError: Deno is not defined (Deno is not available in execbox: ${TAIL}; find them with search_tools)`,
    }]);
  } finally {
    await client.close();
    await server.close();
  }
});

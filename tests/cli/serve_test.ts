/**
 * `execbox serve` as a subprocess on an ephemeral loopback port.
 */

import assert from "node:assert/strict";
import { repo, serve } from "./_cli.ts";

Deno.test("execbox serve answers HTTP and logs one line per request", async () => {
  const served = await serve();
  try {
    const health = await fetch(`${served.url}/healthz`);
    assert.deepEqual([health.status, await health.json()], [200, { ok: true }]);
    const run = await fetch(`${served.url}/v1/execute`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code: "const secretCode = 6; secretCode * 7" }),
    });
    assert.equal(run.status, 200);
    assert.equal((await run.json()).result, 42);
  } finally {
    served.child.kill("SIGTERM");
    assert.equal((await served.exited).code, 0);
  }
  const log = served.stderr();
  assert.match(log, /method=POST path=\/v1\/execute status=200 .*outcome=ok/);
  assert.equal(
    log.includes("secretCode"),
    false,
    "the access log never holds the code",
  );
  assert.match(
    log,
    /execbox: SIGTERM: draining for up to 10000 ms\nexecbox: stopped\n/,
  );
});

Deno.test("execbox serve refuses a non-loopback address without a token", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${repo}cli/main.ts`,
      "serve",
      "--hostname",
      "0.0.0.0",
      "--port",
      "0",
    ],
    cwd: repo,
    stdin: "null",
    env: { NO_COLOR: "1", EXECBOX_TOKEN: "" },
  }).output();
  assert.equal(output.code, 1);
  assert.equal(new TextDecoder().decode(output.stdout), "");
  assert.match(
    new TextDecoder().decode(output.stderr),
    /^error: Cannot listen on "0\.0\.0\.0" without a token/,
  );
});

Deno.test("execbox serve requires EXECBOX_TOKEN when it is set", async () => {
  const served = await serve([], { EXECBOX_TOKEN: "tok-123456" });
  try {
    const anonymous = await fetch(`${served.url}/v1/types`);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    const authorized = await fetch(`${served.url}/v1/types`, {
      headers: { authorization: "Bearer tok-123456" },
    });
    assert.equal(authorized.status, 200);
    await authorized.body?.cancel();
  } finally {
    served.child.kill("SIGTERM");
    await served.exited;
  }
  assert.equal(served.stderr().includes("tok-123456"), false);
});

Deno.test("execbox serve lets a running request finish on SIGTERM, then stops", async () => {
  const served = await serve();
  const pending = fetch(`${served.url}/v1/execute`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      code: "await new Promise((r) => setTimeout(r, 700)); 'finished'",
    }),
  });
  await runningOne(served.url);
  served.child.kill("SIGTERM");
  const response = await pending;
  assert.deepEqual((await response.json()).result, "finished");
  const status = await served.exited;
  assert.equal(status.code, 0);
  assert.equal(_runtimeChildren(served.child.pid), 0);
});

Deno.test("execbox serve cancels what is left after the grace period", async () => {
  const served = await serve(["--drain", "200"]);
  const pending = fetch(`${served.url}/v1/execute`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      code: "while (true) {}",
      limits: { timeoutMs: 4000 },
    }),
  });
  await runningOne(served.url);
  served.child.kill("SIGTERM");
  const body = await (await pending).json();
  assert.deepEqual(body.error, {
    code: "cancelled",
    message: "The broker was closed",
  });
  assert.equal((await served.exited).code, 0);
  assert.match(
    served.stderr(),
    /grace period over: cancelling the remaining runs/,
  );
});

/** Waits until the service reports one run executing (its /metrics gauge). */
async function runningOne(url: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const text = await (await fetch(`${url}/metrics`)).text();
    if (/^execbox_runs_running 1$/m.test(text)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("no run started");
}

/** Runtime subprocesses of a serve process that are executing a run. */
function _runtimeChildren(pid: number): number {
  let count = 0;
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== pid) continue;
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes("--no-prompt")) count++;
    } catch {
      // gone
    }
  }
  return count;
}

Deno.test("execbox serve ends /mcp sessions on SIGTERM, so their streams do not hold the drain", async () => {
  const served = await serve(["--drain", "30000"]);
  const headers = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  const init = await fetch(`${served.url}/mcp`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "raw", version: "1" },
      },
    }),
  });
  await init.body?.cancel();
  const session = init.headers.get("mcp-session-id");
  assert.ok(session);
  // The stream of the server's own messages stays open until the session ends.
  const stream = await fetch(`${served.url}/mcp`, {
    headers: { ...headers, "mcp-session-id": session },
  });
  assert.equal(stream.status, 200);
  served.child.kill("SIGTERM");
  await stream.body?.pipeTo(new WritableStream());
  assert.equal((await served.exited).code, 0);
  assert.doesNotMatch(served.stderr(), /grace period over/);
});

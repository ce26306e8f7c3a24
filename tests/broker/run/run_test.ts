/**
 * The broker against a hostile runtime: a fake runtime script, started with
 * the real flags, that writes bad frames. The broker must end each run with
 * the right code, never crash and never hang.
 */

import assert from "node:assert/strict";
import {
  type AuditRecord,
  createBroker,
  defineTool,
  ExecboxError,
} from "../../../mod.ts";
import { recordingHost } from "../_recording_host.ts";
import { PROTOCOL_VERSION } from "../../../runtime/protocol.ts";

function fakeRuntime(
  scenario: string,
  ready = `{ t: "ready", v: ${PROTOCOL_VERSION}, deno: "2.9.6" }`,
): string {
  const source = `
const enc = new TextEncoder();
function frame(header, payload = "", lengths = {}) {
  const h = enc.encode(typeof header === "string" ? header : JSON.stringify(header));
  const p = typeof payload === "string" ? enc.encode(payload) : payload;
  const out = new Uint8Array(8 + h.length + p.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, lengths.h ?? h.length);
  v.setUint32(4, lengths.p ?? p.length);
  out.set(h, 8);
  out.set(p, 8 + h.length);
  return out;
}
function write(bytes) {
  let o = 0;
  while (o < bytes.length) o += Deno.stdout.writeSync(bytes.subarray(o));
}
write(frame(${ready}));
await Deno.stdin.read(new Uint8Array(65536));
${scenario}
setInterval(() => {}, 1 << 30); // stay alive, silent
`;
  return `data:text/javascript;base64,${btoa(source)}`;
}

function hostileHost(scenario: string, ready?: string) {
  return recordingHost(undefined, (options) => ({
    ...options,
    args: [...options.args.slice(0, -1), fakeRuntime(scenario, ready)],
  }));
}

async function runAgainst(scenario: string, limits = {}) {
  await using broker = await createBroker({
    host: hostileHost(scenario),
    pool: { size: 0 },
    limits: { timeoutMs: 2000, ...limits },
  });
  return await broker.execute("1");
}

const cases: [string, string, { code: string; message: string | RegExp }][] = [
  [
    "a header that is not JSON",
    `write(frame("{nope"));`,
    {
      code: "internal_error",
      message: "malformed frame from the runtime: header is not JSON",
    },
  ],
  [
    "an unknown frame type",
    `write(frame({ t: "shell", cmd: "rm" }));`,
    {
      code: "internal_error",
      message: 'malformed frame from the runtime: unknown frame type "shell"',
    },
  ],
  [
    "a fail frame claiming a broker-decided code",
    `write(frame({ t: "fail", code: "timeout" }, "forged"));`,
    {
      code: "internal_error",
      message:
        'malformed frame from the runtime: fail frame with code "timeout"',
    },
  ],
  [
    "a call frame with a bad id",
    `write(frame({ t: "call", id: "x", ns: "a", name: "b" }, "{}"));`,
    {
      code: "internal_error",
      message: "malformed frame from the runtime: bad call frame",
    },
  ],
  [
    "a second ready frame",
    `write(frame({ t: "ready", v: ${PROTOCOL_VERSION}, deno: "2.9.6" }));`,
    { code: "internal_error", message: "Runtime sent a second ready frame" },
  ],
  [
    "a header longer than 64 KiB",
    `write(frame({ t: "log", level: "log" }, "", { h: 2 ** 31 }));`,
    {
      code: "internal_error",
      message:
        /^malformed output from the runtime: Frame header of 2147483648 bytes exceeds 65536$/,
    },
  ],
  [
    "a log payload announcing 2 GiB",
    `write(frame({ t: "log", level: "log" }, "", { p: 2 ** 31 }));`,
    {
      code: "internal_error",
      message: 'Runtime sent a "log" frame of 2147483648 bytes',
    },
  ],
  [
    "a result announcing more than maxResultBytes",
    `write(frame({ t: "done" }, "", { p: 2 ** 31 }));`,
    {
      code: "limit_exceeded",
      message: "Result is 2147483648 bytes, more than the limit of 1048576",
    },
  ],
  [
    "a call frame whose skill tag is not a string",
    `write(frame({ t: "call", id: 1, ns: "a", name: "b", skill: 7 }, "{}"));`,
    {
      code: "internal_error",
      message: "malformed frame from the runtime: bad call frame",
    },
  ],
  [
    "a result that is not JSON",
    `write(frame({ t: "done" }, "{not json"));`,
    { code: "internal_error", message: /^Runtime sent a bad result: / },
  ],
  [
    "tool arguments nested 100000 levels deep",
    `write(frame({ t: "call", id: 1, ns: "a", name: "b" }, "[".repeat(100000) + "]".repeat(100000)));`,
    {
      code: "internal_error",
      message:
        "Runtime sent bad tool arguments: value nested deeper than 128 levels",
    },
  ],
  [
    "a result nested 100000 levels deep",
    `write(frame({ t: "done" }, "[".repeat(100000) + "]".repeat(100000)));`,
    {
      code: "internal_error",
      message: "Runtime sent a bad result: value nested deeper than 128 levels",
    },
  ],
  [
    "a piece that is not an array",
    `write(frame({ t: "piece" }, '{"a":1}'));`,
    {
      code: "internal_error",
      message: "Runtime sent a bad result: piece 1 is not a non-empty array",
    },
  ],
  [
    "fewer pieces than its done frame announces",
    `write(frame({ t: "piece" }, "[1]")); write(frame({ t: "done", pieces: 3 }, "[2]"));`,
    {
      code: "internal_error",
      message: "Runtime sent a bad result: 2 pieces, announced 3",
    },
  ],
  [
    "pieces and then a done frame without a count",
    `write(frame({ t: "piece" }, "[1]")); write(frame({ t: "done" }, "[2]"));`,
    {
      code: "internal_error",
      message: "Runtime sent a bad result: 2 pieces, announced 1",
    },
  ],
  [
    "a done frame with a bad piece count",
    `write(frame({ t: "done", pieces: 0 }, "[1]"));`,
    {
      code: "internal_error",
      message: "malformed frame from the runtime: bad done frame",
    },
  ],
  [
    "pieces that together pass maxResultBytes",
    `const p = "[" + "1,".repeat(49999) + "1]"; for (let i = 0; i < 20; i++) write(frame({ t: "piece" }, p));`,
    {
      code: "limit_exceeded",
      message:
        "Result reached 1100001 bytes in 11 pieces, more than the limit of 1048576",
    },
  ],
  [
    "a piece announcing 2 GiB",
    `write(frame({ t: "piece" }, "", { p: 2 ** 31 }));`,
    {
      code: "limit_exceeded",
      message: "Result is 2147483648 bytes, more than the limit of 1048576",
    },
  ],
  [
    "a piece nested 100000 levels deep",
    `write(frame({ t: "piece" }, "[".repeat(100000) + "]".repeat(100000)));`,
    {
      code: "internal_error",
      message:
        "Runtime sent a bad result: piece 1: value nested deeper than 128 levels",
    },
  ],
  [
    "an exit before any outcome",
    `Deno.exit(3);`,
    {
      code: "internal_error",
      message: "Runtime exited unexpectedly (exit code 3)",
    },
  ],
  [
    "a frame cut off by an exit",
    `write(frame({ t: "done" }, "12345").subarray(0, 12)); Deno.exit(0);`,
    {
      code: "internal_error",
      message: "Runtime exited unexpectedly (exit code 0)",
    },
  ],
  [
    "silence",
    ``,
    { code: "timeout", message: "Run exceeded the time limit of 2000 ms" },
  ],
  [
    "a flood of garbage",
    `const junk = new Uint8Array(1 << 20).fill(255); for (let i = 0; i < 64; i++) write(junk);`,
    {
      code: "internal_error",
      message:
        /^malformed output from the runtime: Frame header of \d+ bytes exceeds 65536$/,
    },
  ],
];

for (const [name, scenario, expected] of cases) {
  Deno.test(`Broker.execute() ends the run cleanly when the runtime sends ${name}`, async () => {
    const r = await runAgainst(scenario);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.error.code, expected.code);
    if (typeof expected.message === "string") {
      assert.equal(r.error.message, expected.message);
    } else assert.match(r.error.message, expected.message);
  });
}

Deno.test("Broker.execute() answers an unknown tool call with a tool error, not a crash", async () => {
  const r = await runAgainst(`
    write(frame({ t: "call", id: 1, ns: "nope", name: "x" }, "{}"));
    const buf = new Uint8Array(65536);
    const n = await Deno.stdin.read(buf);
    const text = new TextDecoder().decode(buf.subarray(8, n));
    write(frame({ t: "done" }, JSON.stringify(text)));
  `);
  assert.equal(r.ok, true);
  assert.equal(
    r.ok && r.result,
    '{"t":"result","id":1,"ok":false,"code":"tool_error","tool":"nope.x"}Unknown tool nope.x',
  );
});

Deno.test("createBroker() rejects a runtime that never reports ready", async () => {
  await assert.rejects(
    () =>
      createBroker({
        host: hostileHost(
          "",
          "{ t: 'nothing' }".replace("{ t: 'nothing' }", '"x"'),
        ),
        pool: { size: 1 },
        // A bad frame fails the start at once; the time is for slow machines.
        startTimeoutMs: 10_000,
      }),
    {
      name: "ExecboxError",
      message:
        "Runtime failed to start: malformed frame from the runtime: header is not JSON",
    },
  );
  const silent = recordingHost(undefined, (options) => ({
    ...options,
    args: [
      ...options.args.slice(0, -1),
      "data:text/javascript,setInterval(() => {}, 1 << 30)",
    ],
  }));
  await assert.rejects(
    () =>
      createBroker({ host: silent, pool: { size: 1 }, startTimeoutMs: 300 }),
    {
      name: "ExecboxError",
      message: "Runtime did not become ready within 300 ms",
    },
  );
});

Deno.test("createBroker() rejects a runtime on a Deno older than the minimum", async () => {
  await assert.rejects(
    () =>
      createBroker({
        host: hostileHost(
          "",
          `{ t: "ready", v: ${PROTOCOL_VERSION}, deno: "2.1.0" }`,
        ),
        pool: { size: 1 },
      }),
    (e) =>
      e instanceof ExecboxError && e.code === "deno_version" &&
      /^Deno 2\.1\.0 at ".*" is older than the minimum 2\.9\.6$/.test(
        e.message,
      ),
  );
  await assert.rejects(
    () =>
      createBroker({
        host: hostileHost("", '{ t: "ready", v: 99, deno: "2.9.6" }'),
        pool: { size: 1 },
      }),
    {
      name: "ExecboxError",
      message: `Runtime speaks protocol 99, expected ${PROTOCOL_VERSION}`,
    },
  );
});

Deno.test("Broker.execute() judges a runtime that died while the broker's thread was busy by its exit, not by the deadline", async () => {
  // The runtime asks for a tool that blocks the broker's thread for 2 s,
  // exits by itself at 300 ms, and its deadline (1 s) passes before the
  // broker can read the exit: the watchdog must leave the verdict to it.
  await using broker = await createBroker({
    host: hostileHost(`
      write(frame({ t: "call", id: 1, ns: "tools", name: "block" }, "{}"));
      setTimeout(() => Deno.exit(3), 300);`),
    pool: { size: 0 },
    limits: { timeoutMs: 1000 },
    providers: {
      tools: {
        block: defineTool({
          execute() {
            const end = performance.now() + 2000;
            while (performance.now() < end) {
              // Busy.
            }
          },
        }),
      },
    },
  });
  const r = await broker.execute("1");
  assert.deepEqual(r.ok ? undefined : r.error, {
    code: "internal_error",
    message: "Runtime exited unexpectedly (exit code 3)",
  });
});

Deno.test("Broker.execute() keeps a call's skill tag only when it names one of the run's skills", async () => {
  const records: AuditRecord[] = [];
  await using broker = await createBroker({
    host: hostileHost(`
      write(frame({ t: "call", id: 1, ns: "tools", name: "echo", skill: "ghost" }, "{}"));
      await Deno.stdin.read(new Uint8Array(65536));
      write(frame({ t: "call", id: 2, ns: "tools", name: "echo", skill: "real" }, "{}"));
      await Deno.stdin.read(new Uint8Array(65536));
      write(frame({ t: "done" }, "1"));`),
    pool: { size: 0 },
    providers: { tools: { echo: defineTool({ execute: () => 1 }) } },
    skills: {
      preload: [{ name: "real", description: "A skill", code: "return 1" }],
    },
    onRun: (record) => void records.push(record),
  });
  const r = await broker.execute("1");
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.deepEqual(records[0]!.calls.map((c) => c.skill), [undefined, "real"]);
});

/**
 * The guest replaces intrinsics (String, Array, Object, JSON, Promise, Map,
 * Symbol, typed arrays, TextEncoder, Function, Error, events) and then logs,
 * returns, throws and calls tools. No run may end with `internal_error`, which
 * is for execbox's own faults, and every outcome is the guest's own.
 */

import assert from "node:assert/strict";
import {
  defineTool,
  type ErrorCode,
  type ExecuteResult,
  MIN_LOG_ENTRY_BYTES,
} from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { assertFailure, assertResult } from "./_fixtures.ts";

/** Runs before each sabotage: what the actions need, made while it works. */
const PROLOGUE = `const HUGE = "h".repeat(3_000_000);
let DEEP = {};
for (let i = 0; i < 300; i++) DEEP = { d: DEEP };`;

type Outcome = { result: unknown } | {
  code: ErrorCode;
  message: string | RegExp;
};
type Action = "log" | "tool" | "throw" | "toolError" | "result";

/** What each action does after the sabotage, and its outcome when intact. */
const ACTIONS: Record<Action, [string, Outcome]> = {
  log: [
    `console.log("short"); console.log({ a: 1 }); console.log(HUGE);
     console.group("g"); console.groupEnd(); console.count(); console.assert(false, "x");
     return "logged";`,
    { result: "logged" },
  ],
  tool: [
    `return await tools.echo({ a: [1, { b: "c" }] });`,
    { result: { a: [1, { b: "c" }] } },
  ],
  throw: [
    `throw new Error(HUGE);`,
    { code: "runtime_error", message: `Error: ${"h".repeat(4089)}` },
  ],
  toolError: [
    `return await tools.boom({});`,
    { code: "tool_error", message: "boom" },
  ],
  result: [
    `return { nested: { list: [1, 2, 3] }, text: "t" };`,
    { result: { nested: { list: [1, 2, 3] }, text: "t" } },
  ],
};

interface Sabotage {
  name: string;
  code: string;
  /** Outcomes that differ from the intact ones. */
  differs?: Partial<Record<Action, Outcome>>;
}

const SABOTAGES: Sabotage[] = [
  {
    name: "every String.prototype method and String itself",
    code: `
      for (const name of Object.getOwnPropertyNames(String.prototype)) {
        if (name !== "constructor" && name !== "length") {
          String.prototype[name] = function () { return HUGE; };
        }
      }
      String.prototype[Symbol.iterator] = function* () { yield HUGE; };
      String.fromCharCode = String.fromCodePoint = String.raw = () => HUGE;
      globalThis.String = function () { return HUGE; };`,
  },
  {
    name: "every Array.prototype method, its iterator and its indices",
    code: `
      const names = Object.getOwnPropertyNames(Array.prototype);
      for (let i = 0; i < names.length; i++) {
        const name = names[i];
        if (name !== "constructor" && name !== "length") {
          Array.prototype[name] = function () { throw new Error("array " + name); };
        }
      }
      Array.prototype[Symbol.iterator] = function () { throw new Error("array iterator"); };
      Array.isArray = Array.from = Array.of = () => { throw new Error("Array static"); };
      for (let i = 0; i < 4; i++) {
        Object.defineProperty(Array.prototype, i, {
          get() { return HUGE; },
          set() { throw new Error("array index"); },
          configurable: true,
        });
      }`,
  },
  {
    name: "every Object method and Object.prototype method",
    code: `
      const statics = Object.getOwnPropertyNames(Object);
      const methods = Object.getOwnPropertyNames(Object.prototype);
      for (const name of methods) {
        if (name !== "constructor" && name !== "__proto__") {
          Object.prototype[name] = function () { throw new Error("Object.prototype." + name); };
        }
      }
      for (const name of statics) {
        if (!["length", "name", "prototype"].includes(name)) {
          Object[name] = () => { throw new Error("Object." + name); };
        }
      }`,
  },
  {
    name: "accessors on Object.prototype for the names messages and events use",
    code: `
      for (const key of ["data", "type", "id", "json", "message", "code", "tool", "ok",
        "level", "seq", "ports", "origin", "lastEventId", "source", "bubbles",
        "cancelable", "composed", "transfer", "reason", "error", "colors", "depth",
        "value", "get", "set", "done", "next", "length", "name", "stack", "cause"]) {
        Object.defineProperty(Object.prototype, key, {
          __proto__: null,
          get() { return { deep: DEEP, text: HUGE }; },
          set(v) { globalThis["stolen_" + key] = v; },
          configurable: true,
        });
      }`,
  },
  {
    name: "Object.prototype.toJSON and Array.prototype.toJSON",
    code:
      `Object.prototype.toJSON = Array.prototype.toJSON = function () { return DEEP; };`,
    differs: {
      tool: {
        code: "serialization_error",
        message:
          "Cannot serialize a cycle at input.d (in a call to tools.echo)",
      },
      toolError: {
        code: "serialization_error",
        message:
          "Cannot serialize a cycle at input.d (in a call to tools.boom)",
      },
      result: {
        code: "serialization_error",
        message: "Cannot serialize a cycle at result.d",
      },
    },
  },
  {
    name: "JSON.stringify and JSON.parse",
    code: `JSON.stringify = () => HUGE; JSON.parse = () => DEEP;`,
  },
  {
    name: "Promise.prototype.then, catch, finally and the Promise statics",
    code: `
      const then = Promise.prototype.then;
      Promise.prototype.then = function (f, r) {
        return then.call(this, (v) => (f ? f({ forged: true }) : v), r);
      };
      Promise.prototype.catch = Promise.prototype.finally = () => { throw new Error("catch"); };
      for (const name of ["resolve", "reject", "all", "race", "any", "allSettled", "withResolvers", "try"]) {
        Promise[name] = () => { throw new Error("Promise." + name); };
      }`,
  },
  {
    name: "a Promise.prototype.constructor that throws",
    code: `Object.defineProperty(Promise.prototype, "constructor", {
      get() { throw new Error("no constructor"); },
    });`,
    differs: {
      log: { code: "runtime_error", message: "Error: no constructor" },
      tool: { code: "runtime_error", message: "Error: no constructor" },
      throw: { code: "runtime_error", message: "Error: no constructor" },
      toolError: { code: "runtime_error", message: "Error: no constructor" },
      result: { code: "runtime_error", message: "Error: no constructor" },
    },
  },
  {
    name: "every Map, Set, WeakMap and WeakSet method",
    code: `
      for (const C of [Map, Set, WeakMap, WeakSet]) {
        for (const name of Object.getOwnPropertyNames(C.prototype)) {
          if (name === "constructor") continue;
          Object.defineProperty(C.prototype, name, {
            get() { throw new Error(C.name + " " + name); },
            configurable: true,
          });
        }
      }
      globalThis.Map = function () { throw new Error("Map"); };`,
  },
  {
    name: "Symbol.prototype and Symbol",
    code: `
      for (const name of Object.getOwnPropertyNames(Symbol.prototype)) {
        if (name === "constructor") continue;
        Object.defineProperty(Symbol.prototype, name, {
          get() { throw new Error("symbol " + name); },
          configurable: true,
        });
      }
      Symbol.for = () => { throw new Error("Symbol.for"); };
      globalThis.Symbol = () => { throw new Error("Symbol"); };`,
  },
  {
    name: "typed arrays, TextEncoder, TextDecoder, Atomics and buffer lengths",
    code: `
      const TypedArray = Object.getPrototypeOf(Uint8Array.prototype);
      for (const name of Object.getOwnPropertyNames(TypedArray)) {
        if (name === "constructor") continue;
        Object.defineProperty(TypedArray, name, { get() { return () => 0; }, configurable: true });
      }
      Object.defineProperty(TypedArray, "length", { get() { return 0; }, configurable: true });
      TextEncoder.prototype.encode = () => new Uint8Array(0);
      TextEncoder.prototype.encodeInto = () => ({ read: 0, written: 0 });
      TextDecoder.prototype.decode = () => HUGE;
      for (const name of Object.getOwnPropertyNames(Atomics)) Atomics[name] = () => 0;
      for (const C of [ArrayBuffer, SharedArrayBuffer]) {
        Object.defineProperty(C.prototype, "byteLength", { get() { return 0; }, configurable: true });
      }`,
  },
  {
    name: "Function.prototype.call, apply, bind and toString, and Reflect",
    code: `
      Function.prototype.call = function () { throw new Error("call"); };
      Function.prototype.apply = function () { throw new Error("apply"); };
      Function.prototype.bind = function () { throw new Error("bind"); };
      Function.prototype.toString = function () { return HUGE; };
      for (const name of Object.getOwnPropertyNames(Reflect)) {
        Reflect[name] = () => { throw new Error("Reflect." + name); };
      }`,
  },
  {
    name: "Error names, messages, Symbol.hasInstance and stack hooks",
    code: `
      for (const E of [Error, TypeError, SyntaxError, RangeError, ReferenceError]) {
        Object.defineProperty(E.prototype, "name", { get() { return HUGE; }, configurable: true });
        Object.defineProperty(E.prototype, "message", { get() { return HUGE; }, configurable: true });
        Object.defineProperty(E, Symbol.hasInstance, { value: () => { throw new Error("hasInstance"); } });
      }
      Error.captureStackTrace = () => { throw new Error("captureStackTrace"); };
      Error.prepareStackTrace = () => HUGE;
      Error.isError = () => { throw new Error("isError"); };`,
    // A getter on Error.prototype.message loses to the message of the error
    // itself; the name is the guest's HUGE.
    differs: {
      throw: { code: "runtime_error", message: "h".repeat(4096) },
    },
  },
  {
    name: "EventTarget, Event and MessageEvent methods and accessors",
    code: `
      for (const name of ["addEventListener", "removeEventListener", "dispatchEvent"]) {
        EventTarget.prototype[name] = () => { throw new Error(name); };
      }
      for (const C of [Event, MessageEvent]) {
        for (const name of Object.getOwnPropertyNames(C.prototype)) {
          if (name === "constructor") continue;
          try {
            Object.defineProperty(C.prototype, name, {
              get() { throw new Error(C.name + " " + name); },
              configurable: true,
            });
          } catch { /* isTrusted cannot be redefined */ }
        }
      }`,
  },
  {
    name: "Number, Boolean and BigInt conversions",
    code: `
      for (const C of [Number, Boolean, BigInt]) {
        for (const name of ["toString", "valueOf", "toLocaleString", "toFixed"]) {
          if (name in C.prototype) C.prototype[name] = () => { throw new Error(C.name + " " + name); };
        }
      }
      globalThis.Number = () => 42;
      globalThis.Boolean = () => false;`,
  },
  {
    name: "the global constructors and functions themselves",
    code: `
      for (const name of ["Object", "Array", "Map", "Set", "WeakMap", "Promise", "JSON",
        "Reflect", "Symbol", "TextEncoder", "TextDecoder", "Error", "TypeError",
        "SyntaxError", "Uint8Array", "Int32Array", "Atomics", "SharedArrayBuffer",
        "Function", "String", "EventTarget", "Event", "MessageEvent", "queueMicrotask",
        "setTimeout", "structuredClone", "performance", "crypto"]) {
        try {
          Object.defineProperty(globalThis, name, {
            value: () => { throw new Error(name); },
            writable: true,
            configurable: true,
          });
        } catch { /* not configurable */ }
      }`,
  },
];

const MARKER = "[execbox] log output truncated: more than 65536 bytes";

function assertOutcome(run: ExecuteResult, outcome: Outcome): void {
  if (!run.ok) {
    assert.notEqual(run.error.code, "internal_error", run.error.message);
  }
  if ("result" in outcome) assertResult(run, outcome.result);
  else assertFailure(run, outcome.code, outcome.message);
}

function assertLogs(run: ExecuteResult): void {
  const messages = run.logs.map((entry) => entry.message);
  assert.deepEqual(messages.slice(0, 2), ["short", "{ a: 1 }"]);
  assert.equal(messages.at(-1), MARKER);
  // Each entry counts its UTF-8 bytes, and at least MIN_LOG_ENTRY_BYTES.
  const bytes = messages.slice(0, -1).reduce(
    (sum, m) =>
      sum + Math.max(new TextEncoder().encode(m).length, MIN_LOG_ENTRY_BYTES),
    0,
  );
  assert.equal(bytes, 65536);
}

Deno.test("Broker.execute() never ends internal_error whatever intrinsics the guest replaces", async (t) => {
  await using broker = await createBroker({
    pool: { size: 1 },
    limits: { timeoutMs: 3000 },
    providers: {
      tools: {
        echo: defineTool({ execute: (input: unknown) => input }),
        boom: defineTool({
          execute: () => {
            throw new Error("boom");
          },
        }),
      },
    },
  });

  for (const sabotage of SABOTAGES) {
    await t.step(
      `Broker.execute() logs, returns, throws and calls tools after the guest replaces ${sabotage.name}`,
      async () => {
        for (const [action, [code, intact]] of Object.entries(ACTIONS)) {
          const run = await broker.execute(
            `${PROLOGUE}\n${sabotage.code}\n${code}`,
          );
          const outcome = sabotage.differs?.[action as Action] ?? intact;
          try {
            assertOutcome(run, outcome);
            if (action === "log") assertLogs(run);
          } catch (error) {
            throw new Error(`${action}: ${(error as Error).message}`, {
              cause: error,
            });
          }
        }
      },
    );
  }
});

/** A getter whose first read returns `first` and every later read `later`. */
function twoFaced(first: string, later: string): string {
  return `let DEEP = {};
for (let i = 0; i < 300; i++) DEEP = { d: DEEP };
let reads = 0;
const value = {
  get a() {
    reads++;
    console.log("read " + reads);
    return reads === 1 ? ${first} : ${later};
  },
};`;
}

const TOO_DEEP = `Cannot serialize a value nested deeper than 128 levels at`;

Deno.test("Broker.execute() reads each value the guest hands over once", async (t) => {
  await using broker = await createBroker({
    pool: { size: 1 },
    providers: {
      tools: { echo: defineTool({ execute: (input: unknown) => input }) },
    },
  });

  await t.step(
    "Broker.execute() returns the first read of a getter that turns deep on the second",
    async () => {
      const run = await broker.execute(`${twoFaced("1", "DEEP")}\nvalue`);
      assertResult(run, { a: 1 });
      assert.deepEqual(run.logs, [{ level: "log", message: "read 1" }]);
    },
  );

  await t.step(
    "Broker.execute() checks the depth of the read it encodes, deep first",
    async () => {
      const run = await broker.execute(`${twoFaced("DEEP", "1")}\nvalue`);
      assertFailure(
        run,
        "serialization_error",
        `${TOO_DEEP} result.a${".d".repeat(127)}`,
      );
    },
  );

  await t.step(
    "Broker.execute() sends a tool the first read of a getter that turns deep on the second",
    async () => {
      const run = await broker.execute(
        `${twoFaced("1", "DEEP")}\nawait tools.echo(value)`,
      );
      assertResult(run, { a: 1 });
      assert.deepEqual(run.logs, [{ level: "log", message: "read 1" }]);
    },
  );

  await t.step(
    "Broker.execute() checks the depth of the tool argument it encodes, deep first",
    async () => {
      const run = await broker.execute(
        `${twoFaced("DEEP", "1")}\nawait tools.echo(value)`,
      );
      assertFailure(
        run,
        "serialization_error",
        `${TOO_DEEP} input.a${".d".repeat(127)} (in a call to tools.echo)`,
      );
    },
  );

  await t.step(
    "Broker.execute() sends no oversized log frame when String.prototype.slice returns 10 MB",
    async () => {
      const run = await broker.execute(`
        const big = "x".repeat(10_000_000);
        String.prototype.slice = function () { return big; };
        console.log("y".repeat(70_000));
        "done"`);
      assertResult(run, "done");
      assert.deepEqual(run.logs, [
        { level: "log", message: "y".repeat(65536) },
        { level: "warn", message: MARKER },
      ]);
    },
  );

  await t.step(
    "Broker.execute() sends no oversized fail frame when String.prototype.slice returns 10 MB",
    async () => {
      const run = await broker.execute(`
        const big = "x".repeat(10_000_000);
        String.prototype.slice = function () { return big; };
        throw new Error("z".repeat(10_000))`);
      assertFailure(run, "runtime_error", `Error: ${"z".repeat(4089)}`);
    },
  );

  await t.step(
    "Broker.execute() reports a guest's changed tool error message as the tool's",
    async () => {
      const run = await broker.execute(`
        try {
          await tools.echo({ n: 1n });
        } catch (error) {
          error.message = "x".repeat(10_000_000);
          error.code = "internal_error";
          throw error;
        }`);
      assertFailure(
        run,
        "serialization_error",
        "Cannot serialize a bigint at input.n (in a call to tools.echo)",
      );
    },
  );
});

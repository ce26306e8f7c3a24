import assert from "node:assert/strict";
import { createGuestConsole } from "../../runtime/console.ts";
import type { LogLevel } from "../../runtime/protocol.ts";

function capture() {
  const entries: [LogLevel, string][] = [];
  const console = createGuestConsole(
    (level, message) => entries.push([level, message]),
    (value) => JSON.stringify(value),
  );
  return { console, entries };
}

Deno.test("createGuestConsole() formats strings as they are and other values with inspect", () => {
  const { console, entries } = capture();
  console.log("a", { b: 1 }, 2);
  console.warn("w");
  console.error(new Map().size);
  console.trace("t");
  assert.deepEqual(entries, [
    ["log", 'a {"b":1} 2'],
    ["warn", "w"],
    ["error", "0"],
    ["debug", "t"],
  ]);
});

Deno.test("createGuestConsole() indents groups, counts, and asserts", () => {
  const { console, entries } = capture();
  console.group("outer");
  console.info("in", [1]);
  console.groupEnd();
  console.log("out");
  console.count();
  console.count("x");
  console.count();
  console.countReset();
  console.count();
  console.assert(true, "never");
  console.assert(0, "failed", 1);
  assert.deepEqual(entries, [
    ["log", "outer"],
    ["info", "  in [1]"],
    ["log", "out"],
    ["log", "default: 1"],
    ["log", "x: 1"],
    ["log", "default: 2"],
    ["log", "default: 1"],
    ["error", "Assertion failed failed 1"],
  ]);
});

Deno.test("createGuestConsole() times labels and is frozen", () => {
  const { console, entries } = capture();
  console.timeLog("none");
  console.time("t");
  console.timeEnd("t");
  console.timeLog("t");
  assert.equal(entries.length, 1);
  assert.match(entries[0]![1], /^t: \d+(\.\d+)?ms$/);
  assert.equal(Object.isFrozen(console), true);
});

Deno.test("createGuestConsole() keeps working after guest code replaces Map and Array methods", () => {
  const { console, entries } = capture();
  const originals = [
    Map.prototype.get,
    Map.prototype.set,
    Array.prototype.join,
  ];
  try {
    Map.prototype.get = () => {
      throw new Error("tampered");
    };
    Map.prototype.set = () => {
      throw new Error("tampered");
    };
    Array.prototype.join = () => "tampered";
    console.count("a");
    console.log("x", "y");
  } finally {
    [Map.prototype.get, Map.prototype.set, Array.prototype.join] =
      originals as [
        typeof Map.prototype.get,
        typeof Map.prototype.set,
        typeof Array.prototype.join,
      ];
  }
  assert.deepEqual(entries, [["log", "a: 1"], ["log", "x y"]]);
});

Deno.test("createGuestConsole() keeps working after a guest replaces the intrinsics it used", () => {
  const { console, entries } = capture();
  const iterator = Array.prototype[Symbol.iterator];
  const slice = String.prototype.slice;
  try {
    Array.prototype[Symbol.iterator] = function () {
      throw new Error("iterator hijacked");
    };
    String.prototype.slice = function () {
      return "x".repeat(1000);
    };
    console.group("g");
    console.assert(false, "a", 1);
    console.timeLog("none");
    console.groupEnd();
    console.log("after");
  } finally {
    Array.prototype[Symbol.iterator] = iterator;
    String.prototype.slice = slice;
  }
  assert.deepEqual(entries, [
    ["log", "g"],
    ["error", "  Assertion failed a 1"],
    ["log", "after"],
  ]);
});

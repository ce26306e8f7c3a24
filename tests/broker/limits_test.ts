import assert from "node:assert/strict";
import {
  DEFAULT_LIMITS,
  type Limits,
  mergeLimits,
} from "../../broker/limits.ts";

const MINIMUMS: Readonly<Limits> = {
  timeoutMs: 1,
  memoryMb: 16,
  maxLogBytes: 0,
  maxResultBytes: 16,
  maxToolCalls: 0,
  maxCodeBytes: 1,
  maxInFlightArgBytes: 1024,
  maxToolResultBytes: 16,
  maxRunToolResultBytes: 16,
};

Deno.test("DEFAULT_LIMITS holds the documented defaults and is frozen", () => {
  assert.deepEqual(DEFAULT_LIMITS, {
    timeoutMs: 5000,
    memoryMb: 128,
    maxLogBytes: 65_536,
    maxResultBytes: 1_048_576,
    maxToolCalls: 1000,
    maxCodeBytes: 262_144,
    maxInFlightArgBytes: 16_777_216,
    maxToolResultBytes: 16_777_216,
    maxRunToolResultBytes: 268_435_456,
  });
  assert.equal(Object.isFrozen(DEFAULT_LIMITS), true);
});

Deno.test("mergeLimits() returns a copy of the base when there are no overrides", () => {
  for (const overrides of [undefined, {}]) {
    const merged = mergeLimits(DEFAULT_LIMITS, overrides, "run options");
    assert.deepEqual(merged, DEFAULT_LIMITS);
    assert.notEqual(merged, DEFAULT_LIMITS);
    assert.equal(Object.isFrozen(merged), false);
  }
});

Deno.test("mergeLimits() replaces the values it is given and keeps the rest", () => {
  const merged = mergeLimits(
    DEFAULT_LIMITS,
    { timeoutMs: 250, maxToolCalls: 3 },
    "run options",
  );
  assert.deepEqual(merged, {
    ...DEFAULT_LIMITS,
    timeoutMs: 250,
    maxToolCalls: 3,
  });
});

Deno.test("mergeLimits() merges over any base, not only the defaults", () => {
  const base: Limits = { ...MINIMUMS };
  assert.deepEqual(
    mergeLimits(base, { memoryMb: 512 }, "broker options"),
    { ...base, memoryMb: 512 },
  );
});

Deno.test("mergeLimits() accepts every limit at its minimum", () => {
  assert.deepEqual(mergeLimits(DEFAULT_LIMITS, MINIMUMS, "test"), MINIMUMS);
});

Deno.test("mergeLimits() ignores keys whose value is undefined", () => {
  const merged = mergeLimits(
    DEFAULT_LIMITS,
    { timeoutMs: undefined, memoryMb: 64 } as unknown as Partial<Limits>,
    "run options",
  );
  assert.deepEqual(merged, { ...DEFAULT_LIMITS, memoryMb: 64 });
});

Deno.test("mergeLimits() throws TypeError naming an unknown key", () => {
  assert.throws(
    () =>
      mergeLimits(
        DEFAULT_LIMITS,
        { timeout: 100 } as unknown as Partial<Limits>,
        "run options",
      ),
    { name: "TypeError", message: 'Unknown limit "timeout" in run options' },
  );
  // The key is checked before its value, so an undefined one is still unknown.
  assert.throws(
    () =>
      mergeLimits(
        DEFAULT_LIMITS,
        { maxMemory: undefined } as unknown as Partial<Limits>,
        "execbox.jsonc",
      ),
    {
      name: "TypeError",
      message: 'Unknown limit "maxMemory" in execbox.jsonc',
    },
  );
});

Deno.test({
  name:
    "mergeLimits() throws TypeError for keys inherited from Object.prototype",
  fn() {
    for (const key of ["toString", "constructor", "hasOwnProperty"]) {
      assert.throws(
        () =>
          mergeLimits(
            DEFAULT_LIMITS,
            { [key]: 5 } as unknown as Partial<Limits>,
            "run options",
          ),
        { name: "TypeError", message: `Unknown limit "${key}" in run options` },
      );
    }
  },
});

Deno.test("mergeLimits() throws RangeError for a value that is not a whole number", () => {
  const cases: [keyof Limits, unknown, string][] = [
    ["timeoutMs", 1.5, "1.5"],
    ["maxLogBytes", Number.NaN, "NaN"],
    ["maxResultBytes", Infinity, "Infinity"],
    ["maxToolCalls", 2 ** 53, "9007199254740992"],
    ["memoryMb", "256", "256"],
    ["memoryMb", null, "null"],
  ];
  for (const [key, value, shown] of cases) {
    assert.throws(
      () =>
        mergeLimits(
          DEFAULT_LIMITS,
          { [key]: value } as Partial<Limits>,
          "run options",
        ),
      {
        name: "RangeError",
        message:
          `Limit "${key}" in run options must be a whole number of at least ${
            MINIMUMS[key]
          }, got ${shown}`,
      },
    );
  }
});

Deno.test("mergeLimits() throws RangeError for a negative value", () => {
  assert.throws(
    () => mergeLimits(DEFAULT_LIMITS, { maxLogBytes: -1 }, "run options"),
    {
      name: "RangeError",
      message:
        'Limit "maxLogBytes" in run options must be a whole number of at least 0, got -1',
    },
  );
});

Deno.test("mergeLimits() throws RangeError for a value below the minimum", () => {
  const cases: [keyof Limits, number, number][] = [
    ["timeoutMs", 0, 1],
    ["memoryMb", 15, 16],
    ["maxResultBytes", 15, 16],
  ];
  for (const [key, value, min] of cases) {
    assert.throws(
      () => mergeLimits(DEFAULT_LIMITS, { [key]: value }, "broker options"),
      {
        name: "RangeError",
        message:
          `Limit "${key}" in broker options must be a whole number of at least ${min}, got ${value}`,
      },
    );
  }
});

Deno.test("mergeLimits() leaves the base untouched when it throws", () => {
  const base: Limits = { ...DEFAULT_LIMITS };
  assert.throws(
    () => mergeLimits(base, { timeoutMs: 10, memoryMb: 1 }, "run options"),
    RangeError,
  );
  assert.deepEqual(base, DEFAULT_LIMITS);
});

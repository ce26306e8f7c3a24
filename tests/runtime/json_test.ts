import assert from "node:assert/strict";
import { createJsonEncoder } from "../../runtime/json.ts";

const encode = createJsonEncoder(128);

function assertCannotSerialize(value: unknown, message: string): void {
  assert.throws(() => encode(value, "result"), { name: "TypeError", message });
}

Deno.test("createJsonEncoder() encodes plain values like JSON.stringify", () => {
  const value = {
    s: "text",
    n: 1.5,
    b: true,
    z: null,
    a: [1, "two", [3], { four: 4 }],
    o: { nested: { deeper: [] } },
  };
  assert.equal(encode(value, "result"), JSON.stringify(value));
  assert.equal(encode("top", "result"), '"top"');
  assert.equal(encode(0, "result"), "0");
  assert.equal(encode(null, "result"), "null");
});

Deno.test("createJsonEncoder() reads only own keys when Object.prototype has an enumerable one", () => {
  // The fast path lists keys with for...in, which sees inherited ones too.
  const proto = Object.prototype as Record<string, unknown>;
  proto.polluted = () => "not JSON";
  try {
    const value = { a: [{ b: 1 }, { c: "two" }], d: null };
    assert.equal(encode(value, "result"), JSON.stringify(value));
    assertCannotSerialize(
      { a: [{ b: 1 }, { c: () => 1 }] },
      "Cannot serialize a function at result.a[1].c",
    );
  } finally {
    delete proto.polluted;
  }
});

Deno.test("createJsonEncoder() checks a non-plain value in the thousandth row", () => {
  const rows: unknown[] = Array.from({ length: 1000 }, (_, id) => ({ id }));
  rows[999] = { id: 999, tags: new Set([1]) };
  assertCannotSerialize(
    rows,
    "Cannot serialize a Set at result[999].tags (convert it with Array.from)",
  );
});

Deno.test("createJsonEncoder() honours toJSON, Date's included", () => {
  const value = {
    when: new Date(0),
    custom: { toJSON: () => ({ replaced: true }) },
    keyed: { toJSON: (key: string) => `key was ${key}` },
  };
  assert.equal(
    encode(value, "result"),
    '{"when":"1970-01-01T00:00:00.000Z","custom":{"replaced":true},"keyed":"key was keyed"}',
  );
});

Deno.test("createJsonEncoder() checks what toJSON returns", () => {
  assertCannotSerialize(
    { a: { toJSON: () => ({ big: 1n }) } },
    "Cannot serialize a bigint at result.a.big",
  );
});

Deno.test("createJsonEncoder() omits object properties that are undefined", () => {
  assert.equal(
    encode({ a: undefined, b: 1, c: { toJSON: () => undefined } }, "result"),
    '{"b":1}',
  );
});

Deno.test("createJsonEncoder() turns undefined array elements and holes into null", () => {
  // deno-lint-ignore no-sparse-arrays
  assert.equal(encode([undefined, 1, , 3], "result"), "[null,1,null,3]");
});

Deno.test("createJsonEncoder() turns NaN and infinities into null", () => {
  assert.equal(
    encode({ n: NaN, p: Infinity, m: -Infinity }, "result"),
    '{"n":null,"p":null,"m":null}',
  );
});

Deno.test("createJsonEncoder() returns undefined for a top-level undefined", () => {
  assert.equal(encode(undefined, "result"), undefined);
  assert.equal(encode({ toJSON: () => undefined }, "result"), undefined);
});

Deno.test("createJsonEncoder() unwraps boxed primitives", () => {
  assert.equal(
    encode(
      [new Number(3), new String("s"), new Boolean(false)],
      "result",
    ),
    '[3,"s",false]',
  );
  assert.equal(encode(new String("top"), "result"), '"top"');
});

Deno.test("createJsonEncoder() ignores symbol-keyed properties", () => {
  assert.equal(encode({ [Symbol("k")]: 1, a: 2 }, "result"), '{"a":2}');
});

Deno.test("createJsonEncoder() rejects a function, top-level and nested", () => {
  assertCannotSerialize(() => 1, "Cannot serialize a function at result");
  assertCannotSerialize(
    { run() {} },
    "Cannot serialize a function at result.run",
  );
  assertCannotSerialize(
    [1, () => 1],
    "Cannot serialize a function at result[1]",
  );
});

Deno.test("createJsonEncoder() rejects a symbol, top-level and nested", () => {
  assertCannotSerialize(Symbol("s"), "Cannot serialize a symbol at result");
  assertCannotSerialize(
    { a: { b: Symbol("s") } },
    "Cannot serialize a symbol at result.a.b",
  );
});

Deno.test("createJsonEncoder() rejects a bigint, top-level and nested", () => {
  assertCannotSerialize(1n, "Cannot serialize a bigint at result");
  assertCannotSerialize(
    { a: [1, 2n] },
    "Cannot serialize a bigint at result.a[1]",
  );
});

Deno.test("createJsonEncoder() names the path of a cycle", () => {
  const value: { a: { self?: unknown } } = { a: {} };
  value.a.self = value.a;
  assertCannotSerialize(value, "Cannot serialize a cycle at result.a.self");

  const root: { me?: unknown } = {};
  root.me = root;
  assertCannotSerialize(root, "Cannot serialize a cycle at result.me");

  const list: unknown[] = [1];
  list.push({ back: list });
  assertCannotSerialize(list, "Cannot serialize a cycle at result[1].back");
});

Deno.test("createJsonEncoder() accepts an object shared by two branches", () => {
  const shared = { v: 1 };
  assert.equal(
    encode({ a: shared, b: { c: shared }, d: [shared, shared] }, "result"),
    '{"a":{"v":1},"b":{"c":{"v":1}},"d":[{"v":1},{"v":1}]}',
  );
});

Deno.test("createJsonEncoder() rejects a Map and a Set with a conversion hint", () => {
  assertCannotSerialize(
    { m: new Map() },
    "Cannot serialize a Map at result.m (convert it with Object.fromEntries)",
  );
  assertCannotSerialize(
    new Map([["k", 1]]),
    "Cannot serialize a Map at result (convert it with Object.fromEntries)",
  );
  assertCannotSerialize(
    { s: [new Set([1])] },
    "Cannot serialize a Set at result.s[0] (convert it with Array.from)",
  );
});

Deno.test("createJsonEncoder() rejects a WeakMap and a WeakSet", () => {
  assertCannotSerialize(
    { w: new WeakMap() },
    "Cannot serialize a WeakMap at result.w",
  );
  assertCannotSerialize(
    { w: new WeakSet() },
    "Cannot serialize a WeakSet at result.w",
  );
});

Deno.test("createJsonEncoder() rejects a Promise with a hint about await", () => {
  const pending = Promise.resolve(1);
  assertCannotSerialize(
    { p: pending },
    "Cannot serialize a Promise at result.p (is an await missing?)",
  );
});

Deno.test("createJsonEncoder() rejects a subclass of Map", () => {
  class Registry extends Map<string, number> {}
  assertCannotSerialize(
    { r: new Registry() },
    "Cannot serialize a Map at result.r (convert it with Object.fromEntries)",
  );
});

Deno.test("createJsonEncoder() rejects nesting deeper than maxDepth", () => {
  const encode3 = createJsonEncoder(3);
  assert.equal(
    encode3({ a: { b: { c: 1 } } }, "result"),
    '{"a":{"b":{"c":1}}}',
  );
  assert.equal(encode3([[[1]]], "result"), "[[[1]]]");
  assert.throws(() => encode3({ a: { b: { c: {} } } }, "result"), {
    name: "TypeError",
    message:
      "Cannot serialize a value nested deeper than 3 levels at result.a.b.c",
  });
  assert.throws(() => encode3([[[[]]]], "result"), {
    name: "TypeError",
    message:
      "Cannot serialize a value nested deeper than 3 levels at result[0][0][0]",
  });
});

Deno.test({
  name:
    "createJsonEncoder() does not count a boxed primitive as a nesting level",
  fn() {
    const encode3 = createJsonEncoder(3);
    assert.equal(
      encode3({ a: { b: { c: new Number(1) } } }, "result"),
      '{"a":{"b":{"c":1}}}',
    );
  },
});

Deno.test("createJsonEncoder() quotes keys that are not identifiers in paths", () => {
  assertCannotSerialize(
    { "a-b": [() => 1] },
    'Cannot serialize a function at result["a-b"][0]',
  );
  assertCannotSerialize(
    { ok: { "": 1n, "0": 1 } },
    'Cannot serialize a bigint at result.ok[""]',
  );
  assertCannotSerialize(
    { "1x": { 'q"uote': 1n } },
    'Cannot serialize a bigint at result["1x"]["q\\"uote"]',
  );
});

Deno.test("createJsonEncoder() starts paths at the given root", () => {
  assert.throws(() => encode({ a: 1n }, "input"), {
    message: "Cannot serialize a bigint at input.a",
  });
});

Deno.test("createJsonEncoder() lets an error from a getter propagate", () => {
  const boom = new Error("boom");
  const value = {
    get x(): never {
      throw boom;
    },
  };
  assert.throws(() => encode(value, "result"), (error) => error === boom);
});

Deno.test("createJsonEncoder() lets an error from toJSON propagate", () => {
  const boom = new RangeError("no JSON for you");
  const value = {
    inner: {
      toJSON(): never {
        throw boom;
      },
    },
  };
  assert.throws(() => encode(value, "result"), (error) => error === boom);
});

Deno.test("createJsonEncoder() keeps working after a guest replaces the intrinsics", () => {
  const encodeEarly = createJsonEncoder(128);
  const stringify = JSON.stringify;
  const isArray = Array.isArray;
  const iterator = Array.prototype[Symbol.iterator];
  let encoded: string | undefined;
  let failure: unknown;
  try {
    JSON.stringify = () => '"hijacked"';
    Array.isArray = (_value: unknown): _value is unknown[] => false;
    Array.prototype[Symbol.iterator] = function () {
      throw new Error("iterator hijacked");
    };
    encoded = encodeEarly({ a: [1, { b: "c" }] }, "result");
    try {
      encodeEarly({ a: [{ "x-y": 1n }] }, "result");
    } catch (error) {
      failure = error;
    }
  } finally {
    JSON.stringify = stringify;
    Array.isArray = isArray;
    Array.prototype[Symbol.iterator] = iterator;
  }
  assert.equal(encoded, '{"a":[1,{"b":"c"}]}');
  assert.ok(failure instanceof TypeError);
  assert.equal(
    failure.message,
    'Cannot serialize a bigint at result.a[0]["x-y"]',
  );
});

Deno.test({
  name:
    "createJsonEncoder() names paths after a guest replaces RegExp.prototype.exec",
  fn() {
    const encodeEarly = createJsonEncoder(128);
    const exec = RegExp.prototype.exec;
    let failure: unknown;
    try {
      RegExp.prototype.exec = function () {
        throw new Error("exec hijacked");
      };
      encodeEarly({ a: 1n }, "result");
    } catch (error) {
      failure = error;
    } finally {
      RegExp.prototype.exec = exec;
    }
    assert.ok(failure instanceof TypeError);
    assert.equal(failure.message, "Cannot serialize a bigint at result.a");
  },
});

Deno.test("createJsonEncoder() with readOnce reads each getter once and checks that read", () => {
  const encodeOnce = createJsonEncoder(3, { readOnce: true });
  let reads = 0;
  const shallowFirst = {
    get a() {
      reads++;
      return reads === 1 ? 1 : { b: { c: { d: {} } } };
    },
  };
  assert.equal(encodeOnce(shallowFirst, "result"), '{"a":1}');
  assert.equal(reads, 1);

  reads = 0;
  const deepFirst = {
    get a() {
      reads++;
      return reads === 1 ? { b: { c: { d: {} } } } : 1;
    },
  };
  assert.throws(() => encodeOnce(deepFirst, "result"), {
    name: "TypeError",
    message:
      "Cannot serialize a value nested deeper than 3 levels at result.a.b.c",
  });
  assert.equal(reads, 1);
});

Deno.test("JsonEncoder.cannotSerialize() tells the encoder's errors from a getter's", () => {
  const encodeOnce = createJsonEncoder(128, { readOnce: true });
  let own: unknown;
  try {
    encodeOnce({ f() {} }, "input");
  } catch (error) {
    own = error;
  }
  assert.equal(
    encodeOnce.cannotSerialize(own),
    "Cannot serialize a function at input.f",
  );
  const forged = new TypeError("Cannot serialize a forged claim");
  let thrown: unknown;
  try {
    encodeOnce({
      get x(): never {
        throw forged;
      },
    }, "input");
  } catch (error) {
    thrown = error;
  }
  assert.equal(thrown, forged);
  assert.equal(encodeOnce.cannotSerialize(thrown), undefined);
  assert.equal(encodeOnce.cannotSerialize("a string"), undefined);
});

Deno.test("createJsonEncoder() ignores a Symbol.hasInstance the guest puts on Map", () => {
  const encodeEarly = createJsonEncoder(128, { readOnce: true });
  const descriptor = Object.getOwnPropertyDescriptor(Map, Symbol.hasInstance);
  try {
    Object.defineProperty(Map, Symbol.hasInstance, {
      value: () => false,
      configurable: true,
    });
    assert.throws(() => encodeEarly({ m: new Map() }, "result"), {
      message:
        "Cannot serialize a Map at result.m (convert it with Object.fromEntries)",
    });
  } finally {
    if (descriptor === undefined) {
      delete (Map as unknown as Record<symbol, unknown>)[Symbol.hasInstance];
    } else Object.defineProperty(Map, Symbol.hasInstance, descriptor);
  }
});

/**
 * JSON encoding with the checks execbox promises at the boundary: `toJSON` is
 * honoured and plain JSON semantics apply, but a value JSON cannot carry
 * faithfully (function, symbol, bigint, cycle, Map, Set, Promise, too deep) is
 * an error that names where it was found.
 *
 * The factory is self-contained: the runtime injects its source into the guest
 * Worker, where it runs before guest code and captures the intrinsics it uses,
 * so a guest that later replaces `JSON.stringify` changes nothing here. The
 * broker uses the same code for tool results.
 *
 * @module
 */

/**
 * Encodes a value as JSON text, or returns `undefined` for a top-level
 * `undefined`.
 */
export interface JsonEncoder {
  /**
   * Encodes `value`; `root` names it in error paths (`result.a[0]`).
   *
   * @throws {TypeError} When the value holds something JSON cannot carry; any
   * error a getter, Proxy trap or `toJSON` throws propagates as it is.
   */
  (value: unknown, root: string): string | undefined;
  /**
   * The message of an error this encoder threw because the value holds
   * something JSON cannot carry, or `undefined` for any other error (one that
   * a getter, Proxy trap or `toJSON` threw, whatever its class or message).
   */
  cannotSerialize(error: unknown): string | undefined;
}

/** Options of {@linkcode createJsonEncoder}. */
export interface JsonEncoderOptions {
  /**
   * Read every value exactly once, in the same pass that checks and encodes
   * it, so getters, Proxy traps and `toJSON` run once and what is encoded is
   * what was checked. Values from guest code need it; it is several times
   * slower than the default, which first walks plain data to check it and
   * then lets `JSON.stringify` read it again.
   * @default {false}
   */
  readOnce?: boolean;
}

/**
 * Creates a {@linkcode JsonEncoder}, capturing the intrinsics it needs now.
 *
 * @param maxDepth How deeply objects and arrays may nest.
 * @param options Whether every value must be read exactly once.
 * @returns The encoder.
 *
 * @example Encode a tool result
 * ```ts
 * import { createJsonEncoder } from "./json.ts";
 * const encode = createJsonEncoder(64);
 * encode({ a: [1, 2] }, "result"); // '{"a":[1,2]}'
 * ```
 */
export function createJsonEncoder(
  maxDepth: number,
  options: JsonEncoderOptions = {},
): JsonEncoder {
  const readOnce = options.readOnce === true;
  const stringify = JSON.stringify;
  const isArray = Array.isArray;
  const TypeErrorCtor = TypeError;
  const WeakMapCtor = WeakMap;
  // Prototypes, not constructors: `instanceof` would call a guest's own
  // `Symbol.hasInstance` on the constructor.
  const kinds: [object, string, string][] = [
    [Map.prototype, "Map", " (convert it with Object.fromEntries)"],
    [Set.prototype, "Set", " (convert it with Array.from)"],
    [WeakMap.prototype, "WeakMap", ""],
    [WeakSet.prototype, "WeakSet", ""],
    [Promise.prototype, "Promise", " (is an await missing?)"],
  ];
  const isPrototypeOf = Object.prototype.isPrototypeOf;
  const getPrototypeOf = Object.getPrototypeOf;
  const objectPrototype = Object.prototype;
  const numberValue = Number.prototype.valueOf;
  const stringValue = String.prototype.valueOf;
  const booleanValue = Boolean.prototype.valueOf;
  const apply = Reflect.apply;
  const getInfo = WeakMap.prototype.get;
  const setInfo = WeakMap.prototype.set;
  const defineProperty = Object.defineProperty;
  // Messages of the errors this encoder threw, by error.
  const ownErrors = new WeakMapCtor<object, string>();

  function cannotSerialize(message: string): TypeError {
    const error = new TypeErrorCtor(message);
    apply(setInfo, ownErrors, [error, message]);
    return error;
  }

  // By character codes: RegExp methods look up `exec` on every call, and the
  // guest may have replaced it.
  function isIdentifier(key: string): boolean {
    if (key.length === 0) return false;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ||
        c === 95 || c === 36;
      if (!letter && !(i > 0 && c >= 48 && c <= 57)) return false;
    }
    return true;
  }

  // A Number, String or Boolean object, told by its internal slot (not its
  // prototype, which the guest can fake): JSON.stringify unboxes it, so it is
  // no nesting level. Arrays and plain objects, nearly every value, are
  // answered without the brand checks: each failed check throws, and
  // exceptions made this the encoder's main cost.
  function isBoxed(v: object): boolean {
    if (isArray(v)) return false;
    const proto = getPrototypeOf(v);
    if (proto === objectPrototype || proto === null) return false;
    const brands = [numberValue, stringValue, booleanValue];
    for (let i = 0; i < brands.length; i++) {
      try {
        apply(brands[i]!, v, []);
        return true;
      } catch {
        // not this brand
      }
    }
    return false;
  }

  // The fast path: a walk that only accepts arrays and plain objects of JSON
  // values (no toJSON, no class instances), then JSON.stringify with no
  // replacer, which is several times faster than one. Anything else, and any
  // problem, goes to the precise encoder, which applies toJSON and names the
  // path of what JSON cannot carry. Only objects are visited (a primitive is
  // judged where it is read), and their keys come from `for...in`, which
  // allocates no array of names as `Object.keys` does: 100,000 rows are
  // checked in a quarter of the time. `for...in` also lists enumerable keys
  // inherited from Object.prototype, when something put one there; checking
  // those too only ever sends a value to the precise encoder.
  function plainMember(v: unknown, depth: number): boolean {
    const type = typeof v;
    if (type === "object") return v === null || plainObject(v as object, depth);
    return type !== "function" && type !== "symbol" && type !== "bigint";
  }
  function plainObject(v: object, depth: number): boolean {
    if (depth >= maxDepth) return false;
    if (isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (!plainMember(v[i], depth + 1)) return false;
      }
      return true;
    }
    const proto = getPrototypeOf(v);
    if (proto !== objectPrototype && proto !== null) return false;
    const record = v as Record<string, unknown>;
    if (typeof record.toJSON === "function") return false;
    for (const name in record) {
      if (!plainMember(record[name], depth + 1)) return false;
    }
    return true;
  }
  const plain = (v: unknown): boolean => plainMember(v, 0);

  function encode(value: unknown, root: string): string | undefined {
    if (readOnce) return precise(value, root);
    let fast = false;
    try {
      fast = plain(value);
    } catch {
      // a getter or Proxy that throws: the precise encoder reports it
    }
    return fast ? stringify(value) : precise(value, root);
  }
  defineProperty(encode, "cannotSerialize", {
    value: (error: unknown): string | undefined =>
      error !== null && typeof error === "object"
        ? apply(getInfo, ownErrors, [error])
        : undefined,
  });
  return encode as JsonEncoder;

  function precise(value: unknown, root: string): string | undefined {
    interface Info {
      parent: object | undefined;
      key: string;
      depth: number;
    }
    const info = new WeakMapCtor<object, Info>();
    const lookup = (o: object): Info | undefined => apply(getInfo, info, [o]);

    // Built by prepending, not in an array: a guest may have put setters on
    // Array.prototype's indices.
    function pathOf(holder: object | undefined, key: string): string {
      let path = "";
      let current: object | undefined = holder;
      let currentKey = key;
      while (current !== undefined) {
        const parentInfo = lookup(current);
        if (parentInfo === undefined) break; // the wrapper JSON.stringify made
        path = (isArray(current)
          ? `[${currentKey}]`
          : isIdentifier(currentKey)
          ? `.${currentKey}`
          : `[${stringify(currentKey)}]`) + path;
        currentKey = parentInfo.key;
        current = parentInfo.parent;
      }
      return root + path;
    }

    function replacer(this: object, key: string, v: unknown): unknown {
      // JSON.stringify passes the object holding `key` as `this`.
      // deno-lint-ignore no-this-alias
      const holder: object = this;
      const type = typeof v;
      if (type === "function" || type === "symbol" || type === "bigint") {
        const what = type === "function" ? "a function" : `a ${type}`;
        throw cannotSerialize(
          `Cannot serialize ${what} at ${pathOf(this, key)}`,
        );
      }
      if (type !== "object" || v === null || isBoxed(v as object)) return v;
      const object = v as object;
      // Index loops: a guest may have replaced Array.prototype[Symbol.iterator].
      for (let i = 0; i < kinds.length; i++) {
        const kind = kinds[i]!;
        if (apply(isPrototypeOf, kind[0], [object])) {
          throw cannotSerialize(
            `Cannot serialize a ${kind[1]} at ${pathOf(this, key)}${kind[2]}`,
          );
        }
      }
      const holderInfo = lookup(this);
      const depth = holderInfo === undefined ? 1 : holderInfo.depth + 1;
      if (depth > maxDepth) {
        throw cannotSerialize(
          `Cannot serialize a value nested deeper than ${maxDepth} levels at ${
            pathOf(this, key)
          }`,
        );
      }
      for (
        let ancestor: object | undefined = holder;
        ancestor !== undefined;
        ancestor = lookup(ancestor)?.parent
      ) {
        if (ancestor === object) {
          throw cannotSerialize(
            `Cannot serialize a cycle at ${pathOf(this, key)}`,
          );
        }
      }
      apply(setInfo, info, [object, { parent: this, key, depth }]);
      return v;
    }

    return stringify(value, replacer);
  }
}

/**
 * Building blocks for TypeScript type text: literals, unions and
 * intersections that flatten, drop duplicates and add only the parentheses
 * the meaning needs.
 *
 * @module
 */

/** Type text, plus what it needs to be nested without changing meaning. */
export interface TypeText {
  /** The type as TypeScript source, for example `string | null`. */
  text: string;
  /** `"union"` and `"intersection"` need parentheses before `[]` or `?`. */
  kind: "atom" | "union" | "intersection";
  /** The members of a union, so a union inside a union is flattened. */
  members?: readonly string[];
}

/** The type that says nothing: a union with it is `unknown` too. */
export const UNKNOWN_TYPE: TypeText = { text: "unknown", kind: "atom" };

/** The empty type: an intersection with it is `never` too. */
export const NEVER_TYPE: TypeText = { text: "never", kind: "atom" };

const _IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const _MAX_DEPTH = 32;

/**
 * Wraps type text that needs no parentheses anywhere (a keyword, a literal,
 * an object or tuple type, `T[]`, `Record<K, V>`).
 *
 * @param text The type.
 * @returns The type, as {@linkcode UNKNOWN_TYPE} or {@linkcode NEVER_TYPE}
 * when it is one of those.
 *
 * @example An atom
 * ```ts
 * import assert from "node:assert/strict";
 * import { atomType } from "./type_text.ts";
 *
 * assert.deepEqual(atomType("string"), { text: "string", kind: "atom" });
 * ```
 */
export function atomType(text: string): TypeText {
  if (text === "unknown") return UNKNOWN_TYPE;
  if (text === "never") return NEVER_TYPE;
  return { text, kind: "atom" };
}

/**
 * The literal type of a JSON value: `"a"`, `1`, `null`, `[1, "b"]`,
 * `{ a: true }`. Values nested deeper than 32 levels become `unknown`.
 *
 * @param value A JSON value.
 * @returns Its literal type, or `unknown` for anything that is not JSON.
 *
 * @example A literal
 * ```ts
 * import assert from "node:assert/strict";
 * import { literalType } from "./type_text.ts";
 *
 * assert.equal(literalType({ kind: "x", "a-b": [1, null] }).text, '{ kind: "x"; "a-b": [1, null] }');
 * ```
 */
export function literalType(value: unknown): TypeText {
  return atomType(_literal(value, 0));
}

/**
 * The union of types: nested unions flattened, duplicates and `never`
 * dropped, `unknown` if any member is `unknown`, `never` if none is left.
 *
 * @param types The members, in order.
 * @returns The union.
 *
 * @example A union
 * ```ts
 * import assert from "node:assert/strict";
 * import { atomType, unionType } from "./type_text.ts";
 *
 * const ab = unionType([atomType('"a"'), atomType('"b"')]);
 * assert.equal(unionType([ab, atomType('"b"'), atomType("null")]).text, '"a" | "b" | null');
 * ```
 */
export function unionType(types: readonly TypeText[]): TypeText {
  const members = new Set<string>();
  for (const type of types) {
    if (type.text === "unknown") return UNKNOWN_TYPE;
    if (type.text === "never") continue;
    for (const member of type.members ?? [type.text]) members.add(member);
  }
  const list = [...members];
  if (list.length === 0) return NEVER_TYPE;
  if (list.length === 1) return atomType(list[0]!);
  return { text: list.join(" | "), kind: "union", members: list };
}

/**
 * The intersection of types: duplicates and `unknown` dropped, `never` if any
 * part is `never`, `unknown` if none is left, unions in parentheses.
 *
 * @param types The parts, in order.
 * @returns The intersection.
 *
 * @example An intersection
 * ```ts
 * import assert from "node:assert/strict";
 * import { atomType, intersectionType, UNKNOWN_TYPE, unionType } from "./type_text.ts";
 *
 * const aOrB = unionType([atomType("{ a: 1 }"), atomType("{ b: 2 }")]);
 * assert.equal(
 *   intersectionType([atomType("{ c: 3 }"), UNKNOWN_TYPE, aOrB]).text,
 *   "{ c: 3 } & ({ a: 1 } | { b: 2 })",
 * );
 * ```
 */
export function intersectionType(types: readonly TypeText[]): TypeText {
  const parts = new Map<string, TypeText>();
  for (const type of types) {
    if (type.text === "never") return NEVER_TYPE;
    if (type.text !== "unknown") parts.set(type.text, type);
  }
  const list = [...parts.values()];
  if (list.length === 0) return UNKNOWN_TYPE;
  if (list.length === 1) return list[0]!;
  const text = list.map((type) =>
    type.kind === "union" ? `(${type.text})` : type.text
  );
  return { text: text.join(" & "), kind: "intersection" };
}

/**
 * Type text that can stand before `[]` (an array) or `?` (an optional tuple
 * element): unions and intersections get parentheses.
 *
 * @param type The type.
 * @returns Its text, in parentheses when needed.
 *
 * @example An array of a union
 * ```ts
 * import assert from "node:assert/strict";
 * import { atomType, nestedType, unionType } from "./type_text.ts";
 *
 * const type = unionType([atomType("string"), atomType("number")]);
 * assert.equal(`${nestedType(type)}[]`, "(string | number)[]");
 * ```
 */
export function nestedType(type: TypeText): string {
  return type.kind === "atom" ? type.text : `(${type.text})`;
}

/**
 * A property name as it can stand in an object type: identifiers as they
 * are, anything else quoted.
 *
 * @param key The property name.
 * @returns The name, quoted when it is not an ASCII identifier.
 *
 * @example Quote a name with a dash
 * ```ts
 * import assert from "node:assert/strict";
 * import { propertyKey } from "./type_text.ts";
 *
 * assert.equal(propertyKey("owner"), "owner");
 * assert.equal(propertyKey("x-id"), '"x-id"');
 * ```
 */
export function propertyKey(key: string): string {
  return _IDENTIFIER.test(key) ? key : JSON.stringify(key);
}

function _literal(value: unknown, depth: number): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    return Number.isFinite(value) ? String(value) : "number";
  }
  if (typeof value === "boolean" || value === null) return String(value);
  if (depth >= _MAX_DEPTH || typeof value !== "object") return "unknown";
  if (Array.isArray(value)) {
    return `[${value.map((item) => _literal(item, depth + 1)).join(", ")}]`;
  }
  const members = Object.entries(value).map(([key, item]) =>
    `${propertyKey(key)}: ${_literal(item, depth + 1)}`
  );
  return members.length ? `{ ${members.join("; ")} }` : "{}";
}

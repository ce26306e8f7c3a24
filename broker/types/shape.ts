/**
 * The JSON shape of tool results: learned from a value (types, key names,
 * array elements; never values), merged across results, and written as
 * TypeScript. Pure functions, so every rule is testable without a broker.
 *
 * @module
 */

import {
  atomType,
  nestedType,
  propertyKey,
  type TypeText,
  unionType,
  UNKNOWN_TYPE,
} from "./type_text.ts";

/**
 * The shape of the values a tool returned: one flag or sub-shape per kind of
 * value seen. An empty shape (`{}`) has seen nothing. It is plain JSON, so a
 * store can keep it as it is.
 */
export interface Shape {
  /** Anything: past a cap, or not JSON. Absorbs every other kind. */
  unknown?: true;
  /** `null`. */
  null?: true;
  /** `undefined` (a tool that returned nothing). */
  undefined?: true;
  /** `true` or `false`. */
  boolean?: true;
  /** A number. */
  number?: true;
  /** A string. */
  string?: true;
  /** Arrays, with the merged shape of their elements (`{}` if all were empty). */
  array?: Shape;
  /** Objects whose keys are names, in the order first seen. */
  object?: ShapeProperty[];
  /** Objects whose keys are data, with the merged shape of their values. */
  record?: Shape;
}

/** One key of an object shape. */
export interface ShapeProperty {
  /** The key, a name that passed {@linkcode isNameKey}. */
  key: string;
  /** The merged shape of its values. */
  shape: Shape;
  /** Set when some object seen lacked the key. */
  optional?: true;
}

/** How much of a value {@linkcode shapeOf} looks at, and what a name is. */
export interface ShapeCaps {
  /**
   * Objects and arrays nested deeper than this become `unknown`.
   * @default {6}
   */
  maxDepth: number;
  /**
   * Values examined in one result; past it, what is left is `unknown`.
   * @default {2000}
   */
  maxValues: number;
  /**
   * Distinct keys an object may have before it is a `Record<string, T>`.
   * @default {50}
   */
  maxKeys: number;
  /**
   * Elements of one array (or values of one record) examined.
   * @default {50}
   */
  maxElements: number;
  /**
   * Nodes (shapes and keys) a merged shape may have; a bigger one is cut to
   * a smaller depth until it fits.
   * @default {200}
   */
  maxNodes: number;
  /**
   * Whether a key is a name (else the object is data-keyed).
   * @default {isNameKey}
   */
  isName: (key: string) => boolean;
}

/**
 * Whether an object key looks like a name rather than data. Data: empty,
 * longer than 64 characters, containing `@`, `/`, `\`, whitespace or a
 * control character, starting with a digit (all digits, dates, addresses),
 * a UUID, or a run of 16 or more letters and digits with both (hashes, keys,
 * tokens).
 *
 * @param key The key.
 * @returns `true` for a name.
 *
 * @example Names and data
 * ```ts
 * import assert from "node:assert/strict";
 * import { isNameKey } from "./shape.ts";
 *
 * assert.equal(isNameKey("created_at"), true);
 * assert.equal(isNameKey("ada@example.com"), false);
 * assert.equal(isNameKey("2026-01-01"), false);
 * ```
 */
export function isNameKey(key: string): boolean {
  if (key.length === 0 || key.length > 64) return false;
  if (/[@/\\\s\p{C}]/u.test(key) || /^\d/.test(key)) return false;
  if (/[0-9a-f]{8}-[0-9a-f]{4}-/i.test(key)) return false;
  for (const run of key.match(/[A-Za-z0-9]{16,}/g) ?? []) {
    if (/\d/.test(run) && /[A-Za-z]/.test(run)) return false;
  }
  return true;
}

/** The caps {@linkcode shapeOf} and {@linkcode mergeShapes} use by default. */
export const DEFAULT_SHAPE_CAPS: Readonly<ShapeCaps> = Object.freeze({
  maxDepth: 6,
  maxValues: 2000,
  maxKeys: 50,
  maxElements: 50,
  maxNodes: 200,
  isName: isNameKey,
});

const _UNKNOWN: Shape = Object.freeze({ unknown: true }) as Shape;

/**
 * The shape of one value as guest code receives it in JSON: `undefined`
 * object members are left out, functions and other values that are not JSON
 * are `unknown`, as are objects that are not plain (a `Date`, a class).
 *
 * @param value A tool's result.
 * @param caps The caps (defaults for those left out).
 * @returns Its shape, holding key names and kinds, never a value.
 *
 * @example The shape of a result
 * ```ts
 * import assert from "node:assert/strict";
 * import { shapeOf } from "./shape.ts";
 *
 * assert.deepEqual(shapeOf({ id: 7, tags: ["a"] }), {
 *   object: [
 *     { key: "id", shape: { number: true } },
 *     { key: "tags", shape: { array: { string: true } } },
 *   ],
 * });
 * ```
 */
export function shapeOf(value: unknown, caps: Partial<ShapeCaps> = {}): Shape {
  const all = { ...DEFAULT_SHAPE_CAPS, ...caps };
  return _limitNodes(_shapeOf(value, all), all);
}

/**
 * Merges two shapes: kinds seen in either, keys seen in only one optional,
 * array elements merged, objects with too many keys (or data keys) turned
 * into records.
 *
 * @param a A shape.
 * @param b Another shape.
 * @param caps The caps (defaults for those left out).
 * @returns The merged shape; neither argument is changed.
 *
 * @example Merge two results
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeShapes, shapeOf, shapeToType } from "./shape.ts";
 *
 * const merged = mergeShapes(shapeOf({ a: 1 }), shapeOf({ a: "x", b: true }));
 * assert.equal(shapeToType(merged).text, "{ a: string | number; b?: boolean }");
 * ```
 */
export function mergeShapes(
  a: Shape,
  b: Shape,
  caps: Partial<ShapeCaps> = {},
): Shape {
  const all = { ...DEFAULT_SHAPE_CAPS, ...caps };
  return _limitNodes(_merge(a, b, all), all);
}

/**
 * The TypeScript type of a shape. Members in a fixed order (objects, arrays,
 * string, number, boolean, null, undefined), so equal shapes give equal text.
 *
 * @param shape The shape.
 * @returns Its type; `unknown` for a shape that has seen nothing.
 *
 * @example A record of arrays
 * ```ts
 * import assert from "node:assert/strict";
 * import { shapeToType } from "./shape.ts";
 *
 * assert.equal(
 *   shapeToType({ record: { array: { number: true } } }).text,
 *   "Record<string, number[]>",
 * );
 * ```
 */
export function shapeToType(shape: Shape): TypeText {
  const type = _type(shape);
  return type.text === "never" ? UNKNOWN_TYPE : type;
}

/**
 * Reads a shape back from untrusted JSON (a store's file): every kind and key
 * checked, key names tested again, depth and size capped.
 *
 * @param value What the store returned.
 * @param caps The caps (defaults for those left out).
 * @returns The shape, or `undefined` when `value` is not one.
 *
 * @example A stored shape
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseShape } from "./shape.ts";
 *
 * assert.deepEqual(parseShape({ string: true }), { string: true });
 * assert.equal(parseShape({ string: "yes" }), undefined);
 * ```
 */
export function parseShape(
  value: unknown,
  caps: Partial<ShapeCaps> = {},
): Shape | undefined {
  const all = { ...DEFAULT_SHAPE_CAPS, ...caps };
  const budget = { left: all.maxNodes };
  return _parse(value, 0, all, budget);
}

const _FLAGS = [
  "unknown",
  "null",
  "undefined",
  "boolean",
  "number",
  "string",
] as const;

// A shape being built in place while a value is walked: one allocation per
// distinct position, not per value, so a long array costs little.
interface _Builder {
  flags: Set<(typeof _FLAGS)[number]>;
  array?: _Builder;
  record?: _Builder;
  // Objects with name keys seen here, and how many held each key.
  objects: number;
  keys?: Map<string, { count: number; builder: _Builder }>;
}

interface _Walk {
  caps: ShapeCaps;
  left: number;
  // Key verdicts, so repeated keys (rows of a table) are tested once.
  names: Map<string, boolean>;
}

function _shapeOf(value: unknown, caps: ShapeCaps): Shape {
  const walk: _Walk = { caps, left: caps.maxValues, names: new Map() };
  const builder = _builder();
  _add(builder, value, 0, walk);
  return _finish(builder, caps);
}

function _builder(): _Builder {
  return { flags: new Set(), objects: 0 };
}

function _add(b: _Builder, value: unknown, depth: number, walk: _Walk): void {
  if (walk.left <= 0) {
    b.flags.add("unknown");
    return;
  }
  walk.left--;
  switch (typeof value) {
    case "string":
      b.flags.add("string");
      return;
    case "number":
      // JSON has no NaN or Infinity: they arrive as null.
      b.flags.add(Number.isFinite(value) ? "number" : "null");
      return;
    case "boolean":
      b.flags.add("boolean");
      return;
    case "undefined":
      b.flags.add("undefined");
      return;
    case "object":
      break;
    default:
      b.flags.add("unknown");
      return;
  }
  if (value === null) {
    b.flags.add("null");
    return;
  }
  const caps = walk.caps;
  if (depth >= caps.maxDepth) {
    b.flags.add("unknown");
    return;
  }
  if (Array.isArray(value)) {
    const items = b.array ??= _builder();
    const count = Math.min(value.length, caps.maxElements);
    for (let i = 0; i < count; i++) {
      // Past the budget, the elements already seen stand for the rest.
      if (i > 0 && walk.left <= 0) break;
      const item: unknown = value[i];
      if (item === undefined || typeof item === "function") {
        items.flags.add("null"); // as JSON.stringify writes them
      } else _add(items, item, depth + 1, walk);
    }
    return;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    b.flags.add("unknown");
    return;
  }
  const keys: string[] = [];
  let data = false;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (keys.length === caps.maxKeys) {
      data = true;
      break;
    }
    let name = walk.names.get(key);
    if (name === undefined) {
      name = caps.isName(key);
      walk.names.set(key, name);
    }
    if (!name) data = true;
    keys.push(key);
  }
  const record = value as Record<string, unknown>;
  if (data) {
    const values = b.record ??= _builder();
    for (const key of keys.slice(0, caps.maxElements)) {
      if (walk.left <= 0) break;
      const item = record[key];
      if (item === undefined || typeof item === "function") continue;
      _add(values, item, depth + 1, walk);
    }
    return;
  }
  b.objects++;
  const entries = b.keys ??= new Map();
  for (const key of keys) {
    const item = record[key];
    if (
      item === undefined || typeof item === "function" ||
      typeof item === "symbol"
    ) continue; // JSON leaves the key out
    let entry = entries.get(key);
    if (entry === undefined) {
      entry = { count: 0, builder: _builder() };
      entries.set(key, entry);
    }
    entry.count++;
    _add(entry.builder, item, depth + 1, walk);
  }
}

function _finish(b: _Builder, caps: ShapeCaps): Shape {
  if (b.flags.has("unknown")) return _UNKNOWN;
  const out: Shape = {};
  for (const flag of _FLAGS) if (b.flags.has(flag)) out[flag] = true;
  if (b.array) {
    out.array = _finish(b.array, caps);
  }
  let object: ShapeProperty[] | undefined;
  if (b.objects > 0) {
    object = [];
    for (const [key, { count, builder }] of b.keys ?? []) {
      const shape = _finish(builder, caps);
      object.push(
        count < b.objects ? { key, shape, optional: true } : { key, shape },
      );
    }
  }
  if (b.record || (object && object.length > caps.maxKeys)) {
    let values: Shape = b.record ? _finish(b.record, caps) : {};
    for (const { shape } of object ?? []) values = _merge(values, shape, caps);
    out.record = values;
  } else if (object) out.object = object;
  return out;
}

function _merge(a: Shape, b: Shape, caps: ShapeCaps): Shape {
  if (a.unknown || b.unknown) return _UNKNOWN;
  const out: Shape = {};
  for (const flag of _FLAGS) {
    if (a[flag] || b[flag]) out[flag] = true;
  }
  if (a.array && b.array) out.array = _merge(a.array, b.array, caps);
  else if (a.array || b.array) out.array = (a.array ?? b.array)!;
  if (a.record || b.record) {
    let values: Shape = {};
    for (const shape of _values(a).concat(_values(b))) {
      values = _merge(values, shape, caps);
    }
    out.record = values;
  } else if (a.object && b.object) {
    const merged = _mergeProperties(a.object, b.object, caps);
    if (merged.length > caps.maxKeys) {
      let values: Shape = {};
      for (const { shape } of merged) values = _merge(values, shape, caps);
      out.record = values;
    } else out.object = merged;
  } else if (a.object || b.object) out.object = (a.object ?? b.object)!;
  return out;
}

// The values an object or record shape holds, for turning it into a record.
function _values(shape: Shape): Shape[] {
  const values = (shape.object ?? []).map((p) => p.shape);
  if (shape.record) values.push(shape.record);
  return values;
}

function _mergeProperties(
  a: readonly ShapeProperty[],
  b: readonly ShapeProperty[],
  caps: ShapeCaps,
): ShapeProperty[] {
  const inB = new Map(b.map((p) => [p.key, p]));
  const out: ShapeProperty[] = [];
  for (const p of a) {
    const other = inB.get(p.key);
    inB.delete(p.key);
    const shape = other ? _merge(p.shape, other.shape, caps) : p.shape;
    out.push(
      other && !p.optional && !other.optional
        ? { key: p.key, shape }
        : { key: p.key, shape, optional: true },
    );
  }
  for (const p of inB.values()) {
    out.push({ key: p.key, shape: p.shape, optional: true });
  }
  return out;
}

// Cuts a shape to a smaller depth until it has at most `maxNodes` nodes.
function _limitNodes(shape: Shape, caps: ShapeCaps): Shape {
  let depth = caps.maxDepth;
  while (_count(shape, caps.maxNodes + 1) > caps.maxNodes && depth > 0) {
    depth--;
    shape = _prune(shape, depth);
  }
  return _count(shape, caps.maxNodes + 1) > caps.maxNodes ? _UNKNOWN : shape;
}

// Nodes in a shape, counting no further than `stop`.
function _count(shape: Shape, stop: number): number {
  let n = 1;
  for (const child of _children(shape)) {
    if (n >= stop) break;
    n += _count(child, stop - n);
  }
  n += shape.object?.length ?? 0;
  return n;
}

function _children(shape: Shape): Shape[] {
  const children = (shape.object ?? []).map((p) => p.shape);
  if (shape.array) children.push(shape.array);
  if (shape.record) children.push(shape.record);
  return children;
}

// Replaces what lies `depth` levels of objects and arrays down by `unknown`.
function _prune(shape: Shape, depth: number): Shape {
  if (shape.unknown) return shape;
  const nested = shape.array || shape.object || shape.record;
  if (!nested) return shape;
  if (depth <= 0) return _UNKNOWN;
  const out: Shape = { ...shape };
  if (shape.array) out.array = _prune(shape.array, depth - 1);
  if (shape.record) out.record = _prune(shape.record, depth - 1);
  if (shape.object) {
    out.object = shape.object.map((p) => ({
      ...p,
      shape: _prune(p.shape, depth - 1),
    }));
  }
  return out;
}

function _type(shape: Shape): TypeText {
  if (shape.unknown) return UNKNOWN_TYPE;
  const members: TypeText[] = [];
  if (shape.object) {
    const fields = shape.object.map((p) =>
      `${propertyKey(p.key)}${p.optional ? "?" : ""}: ${_type(p.shape).text}`
    );
    members.push(atomType(fields.length ? `{ ${fields.join("; ")} }` : "{}"));
  }
  if (shape.record) {
    members.push(atomType(`Record<string, ${_element(shape.record)}>`));
  }
  if (shape.array) members.push(atomType(`${_nested(shape.array)}[]`));
  for (const flag of ["string", "number", "boolean", "null", "undefined"]) {
    if (shape[flag as keyof Shape]) members.push(atomType(flag));
  }
  return unionType(members);
}

// An element type: one never seen is `unknown`.
function _element(shape: Shape): string {
  return shapeToType(shape).text;
}

function _nested(shape: Shape): string {
  return nestedType(shapeToType(shape));
}

function _parse(
  value: unknown,
  depth: number,
  caps: ShapeCaps,
  budget: { left: number },
): Shape | undefined {
  if (budget.left-- <= 0 || depth > caps.maxDepth) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return undefined;
  }
  const out: Shape = {};
  for (const [key, item] of Object.entries(value)) {
    if ((_FLAGS as readonly string[]).includes(key)) {
      if (item !== true) return undefined;
      out[key as (typeof _FLAGS)[number]] = true;
    } else if (key === "array" || key === "record") {
      const inner = _parse(item, depth + 1, caps, budget);
      if (inner === undefined) return undefined;
      out[key] = inner;
    } else if (key === "object") {
      if (!Array.isArray(item) || item.length > caps.maxKeys) return undefined;
      const properties: ShapeProperty[] = [];
      const seen = new Set<string>();
      for (const p of item as unknown[]) {
        if (typeof p !== "object" || p === null) return undefined;
        const { key: name, shape, optional, ...rest } = p as Record<
          string,
          unknown
        >;
        if (
          typeof name !== "string" || !caps.isName(name) || seen.has(name) ||
          (optional !== undefined && optional !== true) ||
          Object.keys(rest).length > 0
        ) return undefined;
        seen.add(name);
        budget.left--;
        const inner = _parse(shape, depth + 1, caps, budget);
        if (inner === undefined) return undefined;
        properties.push(
          optional ? { key: name, shape: inner, optional } : {
            key: name,
            shape: inner,
          },
        );
      }
      out.object = properties;
    } else return undefined;
  }
  if (out.unknown) return _UNKNOWN;
  return out.object && out.record ? undefined : out;
}

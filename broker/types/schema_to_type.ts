/**
 * JSON Schema to TypeScript type text, written for a model to read: single
 * line, only what shapes a call, property descriptions kept as JSDoc.
 *
 * @module
 */

import type { JsonSchema } from "../tools/info.ts";
import {
  atomType,
  intersectionType,
  literalType,
  nestedType,
  NEVER_TYPE,
  propertyKey,
  type TypeText,
  unionType,
  UNKNOWN_TYPE,
} from "./type_text.ts";

/**
 * Renders a JSON Schema as TypeScript type text.
 *
 * Kept: `type` (`integer` becomes `number`), `enum`, `const`, `anyOf`/`oneOf`
 * (union), `allOf` (intersection), `nullable`, objects with optional members
 * (`?` when not `required`), `additionalProperties` and `patternProperties`
 * (`Record<string, T>`, or an index signature beside declared properties),
 * arrays (`T[]`), tuples (`prefixItems`, or draft 7 array `items`), and local
 * `$ref`s (`#/$defs/...`, `#/definitions/...`, any `#/...` pointer), which are
 * inlined; a `$ref` met again inside its own expansion becomes `unknown`.
 * Validation keywords (`format`, `minimum`, ...) are dropped, except in the
 * JSDoc of a property that has a `description`. Anything else, or an empty
 * schema, is `unknown`.
 *
 * @param schema The schema to render; its `$defs`/`definitions` resolve refs.
 * @returns Type text such as `{ q: string; limit?: number }`.
 *
 * @example Render an input schema
 * ```ts
 * import assert from "node:assert/strict";
 * import { schemaToType } from "./schema_to_type.ts";
 *
 * assert.equal(
 *   schemaToType({
 *     type: "object",
 *     properties: {
 *       q: { type: "string", description: "Words to find" },
 *       state: { enum: ["open", "closed"] },
 *       labels: { type: "array", items: { type: "string" } },
 *     },
 *     required: ["q"],
 *   }),
 *   '{ /** Words to find *\/ q: string; state?: "open" | "closed"; labels?: string[] }',
 * );
 * ```
 */
export function schemaToType(schema: JsonSchema): string {
  const ctx = {
    root: schema,
    expanding: [],
    depth: 0,
    budget: { left: _BUDGET },
  };
  return _render(schema, ctx).text;
}

/**
 * Tells whether a tool whose input has this schema can be called without an
 * argument: the schema is empty, or an object that requires no property.
 *
 * @param schema The tool's input schema.
 * @returns `true` when the input may be left out.
 *
 * @example Optional input
 * ```ts
 * import assert from "node:assert/strict";
 * import { acceptsNoInput } from "./schema_to_type.ts";
 *
 * assert.equal(acceptsNoInput({ type: "object", properties: {} }), true);
 * assert.equal(acceptsNoInput({ type: "object", required: ["q"] }), false);
 * ```
 */
export function acceptsNoInput(schema: JsonSchema): boolean {
  return _acceptsNoInput(schema, schema, 0);
}

/** Deepest nesting rendered; deeper schemas become `unknown`. */
const _MAX_DEPTH = 32;
/** Schema nodes rendered per call, so shared `$ref`s cannot blow up the text. */
const _BUDGET = 4000;

/** Keywords worth a word in a described property's JSDoc, in that order. */
const _NOTED_KEYWORDS = [
  "format",
  "pattern",
  "minimum",
  "exclusiveMinimum",
  "maximum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "uniqueItems",
  "default",
] as const;

interface _Context {
  root: unknown;
  /** `$ref`s being expanded, outermost first. */
  expanding: string[];
  depth: number;
  /** Schema nodes left to render, shared by the whole call. */
  budget: { left: number };
}

function _render(schema: unknown, ctx: _Context): TypeText {
  if (schema === false) return NEVER_TYPE;
  if (!_isRecord(schema) || ctx.depth >= _MAX_DEPTH || ctx.budget.left-- <= 0) {
    return UNKNOWN_TYPE;
  }
  const inner: _Context = { ...ctx, depth: ctx.depth + 1 };
  const parts: TypeText[] = [];
  if (typeof schema.$ref === "string") {
    parts.push(_renderRef(schema.$ref, inner));
  }
  if ("const" in schema) parts.push(literalType(schema.const));
  else if (Array.isArray(schema.enum)) {
    parts.push(unionType(schema.enum.map(literalType)));
  } else parts.push(_renderTypes(schema, inner));
  if (Array.isArray(schema.allOf)) {
    for (const part of schema.allOf) parts.push(_render(part, inner));
  }
  for (const keyword of ["anyOf", "oneOf"]) {
    const options = schema[keyword];
    if (Array.isArray(options)) {
      parts.push(unionType(options.map((option) => _render(option, inner))));
    }
  }
  const type = intersectionType(parts);
  return schema.nullable === true ? unionType([type, atomType("null")]) : type;
}

function _renderRef(ref: string, ctx: _Context): TypeText {
  if (ctx.expanding.includes(ref)) return UNKNOWN_TYPE;
  const target = _resolve(ref, ctx.root);
  if (target === undefined) return UNKNOWN_TYPE;
  return _render(target, { ...ctx, expanding: [...ctx.expanding, ref] });
}

function _renderTypes(
  schema: Record<string, unknown>,
  ctx: _Context,
): TypeText {
  const types = typeof schema.type === "string"
    ? [schema.type]
    : Array.isArray(schema.type)
    ? schema.type
    : _isRecord(schema.properties) || _isRecord(schema.additionalProperties) ||
        _isRecord(schema.patternProperties)
    ? ["object"]
    : "items" in schema || "prefixItems" in schema
    ? ["array"]
    : [];
  if (types.length === 0) return UNKNOWN_TYPE;
  return unionType(types.map((type): TypeText => {
    switch (type) {
      case "string":
      case "number":
      case "boolean":
      case "null":
        return atomType(type);
      case "integer":
        return atomType("number");
      case "object":
        return _renderObject(schema, ctx);
      case "array":
        return _renderArray(schema, ctx);
      default:
        return UNKNOWN_TYPE;
    }
  }));
}

function _renderObject(
  schema: Record<string, unknown>,
  ctx: _Context,
): TypeText {
  const properties = _isRecord(schema.properties)
    ? schema.properties
    : undefined;
  const required = new Set(
    Array.isArray(schema.required)
      ? schema.required.filter((key) => typeof key === "string")
      : [],
  );
  const extra: TypeText[] = [];
  if (_isRecord(schema.additionalProperties)) {
    extra.push(_render(schema.additionalProperties, ctx));
  }
  if (_isRecord(schema.patternProperties)) {
    for (const value of Object.values(schema.patternProperties)) {
      extra.push(_render(value, ctx));
    }
  }
  const missing = [...required].filter((key) =>
    !properties || !Object.hasOwn(properties, key)
  );
  if (
    !properties && missing.length === 0 && schema.additionalProperties !== false
  ) {
    return atomType(
      `Record<string, ${extra.length ? unionType(extra).text : "unknown"}>`,
    );
  }
  const members: string[] = [];
  const valueTypes: TypeText[] = [...extra];
  for (const [key, value] of Object.entries(properties ?? {})) {
    const type = _render(value, ctx);
    const optional = !required.has(key);
    valueTypes.push(type);
    if (optional) valueTypes.push(atomType("undefined"));
    const doc = _propertyDoc(value, ctx.root);
    members.push(
      `${doc ? `/** ${doc} */ ` : ""}${propertyKey(key)}${
        optional ? "?" : ""
      }: ${type.text}`,
    );
  }
  for (const key of missing) {
    members.push(`${propertyKey(key)}: unknown`);
    valueTypes.push(UNKNOWN_TYPE);
  }
  // An index signature must admit every declared property's type too.
  if (extra.length && unionType(extra).text !== "unknown") {
    members.push(`[key: string]: ${unionType(valueTypes).text}`);
  }
  return atomType(members.length ? `{ ${members.join("; ")} }` : "{}");
}

function _renderArray(
  schema: Record<string, unknown>,
  ctx: _Context,
): TypeText {
  const draft7Tuple = Array.isArray(schema.items);
  const prefix = Array.isArray(schema.prefixItems)
    ? schema.prefixItems
    : draft7Tuple
    ? schema.items as unknown[]
    : undefined;
  if (!prefix) {
    if (schema.items === false) return atomType("[]");
    return atomType(`${nestedType(_render(schema.items ?? true, ctx))}[]`);
  }
  // Without `minItems` the schema's author almost always means a fixed tuple.
  const minItems = typeof schema.minItems === "number"
    ? schema.minItems
    : prefix.length;
  const elements = prefix.map((item, index) => {
    const type = _render(item, ctx);
    return index < minItems ? type.text : `${nestedType(type)}?`;
  });
  const rest = draft7Tuple ? schema.additionalItems : schema.items;
  if (rest === true || _isRecord(rest)) {
    elements.push(`...${nestedType(_render(rest, ctx))}[]`);
  }
  return atomType(`[${elements.join(", ")}]`);
}

/** A property's description, plus its validation keywords, on one line. */
function _propertyDoc(schema: unknown, root: unknown): string | undefined {
  if (!_isRecord(schema)) return undefined;
  let description = schema.description;
  if (description === undefined && typeof schema.$ref === "string") {
    const target = _resolve(schema.$ref, root);
    if (_isRecord(target)) description = target.description;
  }
  if (typeof description !== "string") return undefined;
  const notes = _NOTED_KEYWORDS.filter((keyword) => keyword in schema).map(
    (keyword) => `${keyword}: ${JSON.stringify(schema[keyword])}`,
  );
  const text = notes.length
    ? `${description} (${notes.join(", ")})`
    : description;
  return _oneLine(text) || undefined;
}

function _acceptsNoInput(
  schema: unknown,
  root: unknown,
  depth: number,
): boolean {
  if (!_isRecord(schema) || depth >= _MAX_DEPTH) return schema !== false;
  if (Array.isArray(schema.required) && schema.required.length > 0) {
    return false;
  }
  if (typeof schema.$ref === "string") {
    const target = _resolve(schema.$ref, root);
    if (!_acceptsNoInput(target, root, depth + 1)) return false;
  }
  if (Array.isArray(schema.allOf)) {
    if (!schema.allOf.every((part) => _acceptsNoInput(part, root, depth + 1))) {
      return false;
    }
  }
  const types = typeof schema.type === "string" ? [schema.type] : schema.type;
  return !Array.isArray(types) || types.includes("object");
}

/** Resolves a local JSON pointer (`#/$defs/Name`) against the root schema. */
function _resolve(ref: string, root: unknown): unknown {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let node = root;
  for (const raw of ref.slice(2).split("/")) {
    let token: string;
    try {
      token = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll(
        "~0",
        "~",
      );
    } catch {
      return undefined;
    }
    if (
      !(_isRecord(node) || Array.isArray(node)) || !Object.hasOwn(node, token)
    ) {
      return undefined;
    }
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

/** Collapses whitespace and makes the text safe inside a `/** ... *\/` comment. */
function _oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim().replaceAll("*/", "*\\/");
}

function _isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Host-defined tools: `defineTool`, and how their schemas (zod 4, or JSON
 * Schema) check inputs and outputs at the boundary.
 *
 * @module
 */

import { type SchemaDraft, Validator } from "@cfworker/json-schema";
import { z } from "zod";
import { ExecboxError } from "../errors.ts";
import type { StandardSchemaV1 } from "./standard_schema.ts";
import type { JsonSchema } from "./info.ts";
import type { LogLevel } from "../../runtime/protocol.ts";

/** What a tool's `execute` receives besides its input. */
export interface ToolContext {
  /** Aborted when the run that made the call ends (timeout, cancel, limit, or done). */
  signal: AbortSignal;
  /** Adds an entry to the logs of the run that made the call (subject to `maxLogBytes`). */
  log(level: LogLevel, message: string): void;
}

/**
 * A schema for a tool's input or output: a zod 4 schema (any Standard Schema
 * whose vendor is zod, so that its JSON Schema can be derived) or a JSON
 * Schema object.
 */
export type ToolSchema<T> = StandardSchemaV1<unknown, T> | JsonSchema;

/** A tool the host offers to guest code. */
export interface ToolDefinition<I = unknown, O = unknown> {
  /** What the tool does; the model reads it as JSDoc. */
  description?: string;
  /**
   * Schema of the tool's single argument, checked before `execute` runs.
   * @default {an object with any properties}
   */
  input?: ToolSchema<I>;
  /** Schema of the result, checked after `execute`; also types the declaration. */
  output?: ToolSchema<O>;
  /**
   * `"required"`: each call waits for an approver (`onApproval`, an MCP
   * client's elicitation, `POST /v1/approvals/{id}`, or the CLI's prompt)
   * and is denied when none approves.
   * @default {undefined (calls run without approval)}
   */
  approval?: "required";
  /** Does the work. Its result must be JSON (`toJSON` honoured). */
  execute(input: I, context: ToolContext): O | Promise<O>;
}

/**
 * Defines a host tool. The identity function, for type inference: with zod
 * schemas, `execute` gets a typed input.
 *
 * @param definition The tool.
 * @returns The same definition.
 *
 * @example A tool with a zod input
 * ```ts
 * import { z } from "zod";
 * import { defineTool } from "./tool.ts";
 * const add = defineTool({
 *   description: "Adds two numbers",
 *   input: z.object({ a: z.number(), b: z.number() }),
 *   execute: ({ a, b }) => a + b,
 * });
 * ```
 */
export function defineTool<I, O>(
  definition: ToolDefinition<I, O>,
): ToolDefinition<I, O> {
  return definition;
}

/** A schema made usable: its JSON Schema form and a check. */
export interface ResolvedSchema {
  /** JSON Schema, for declarations. */
  json: JsonSchema;
  /**
   * Checks a value; returns the value to use (zod may transform it).
   * @throws {ExecboxError} With code `validation_error` and a message listing the problems.
   */
  check(value: unknown, label: string): unknown;
}

// The draft a JSON Schema names in `$schema` (MCP servers built with older
// SDKs publish draft-07); 2020-12 when it names none.
function _draft($schema: unknown): SchemaDraft {
  if (typeof $schema !== "string") return "2020-12";
  if (/draft-0[67]\b/.test($schema)) return "7";
  if (/draft-04\b/.test($schema)) return "4";
  if ($schema.includes("2019-09")) return "2019-09";
  return "2020-12";
}

function _isStandard(schema: unknown): schema is StandardSchemaV1 {
  return typeof schema === "object" && schema !== null && "~standard" in schema;
}

function _location(label: string, pointer: string): string {
  const parts = pointer.replace(/^#\/?/, "").split("/").filter(Boolean);
  return parts.reduce(
    (
      path,
      part,
    ) => (/^\d+$/.test(part) ? `${path}[${part}]` : `${path}.${part}`),
    label,
  );
}

// Keywords whose errors only summarise the errors of their subschemas.
const _SUMMARY_KEYWORDS = new Set([
  "properties",
  "items",
  "prefixItems",
  "allOf",
  "$ref",
  "false",
]);

/**
 * Turns a zod or JSON Schema into a {@linkcode ResolvedSchema}.
 *
 * @param schema The schema, or `undefined` for "any object" (`{ type: "object" }`).
 * @param io Whether it describes an input or an output (zod types differ).
 * @returns The resolved schema.
 * @throws {TypeError} When the schema is neither zod 4 nor a JSON Schema object.
 */
export function resolveSchema(
  schema: ToolSchema<unknown> | undefined,
  io: "input" | "output",
): ResolvedSchema {
  if (schema === undefined) return resolveSchema({ type: "object" }, io);
  if (_isStandard(schema)) {
    if (schema["~standard"].vendor !== "zod" || !("_zod" in schema)) {
      throw new TypeError(
        `Tool ${io} schema from "${
          schema["~standard"].vendor
        }" is not supported: use zod 4 or a JSON Schema object`,
      );
    }
    const zod = schema as unknown as z.ZodType;
    const { $schema: _, ...json } = z.toJSONSchema(zod, {
      io,
      unrepresentable: "any",
    }) as JsonSchema;
    return {
      json,
      check(value, label) {
        const parsed = zod.safeParse(value);
        if (parsed.success) return parsed.data;
        const problems = parsed.error.issues.map((issue) =>
          `${
            _location(label, issue.path.map(String).join("/"))
          }: ${issue.message}`
        );
        throw new ExecboxError("validation_error", problems.join("; "));
      },
    };
  }
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new TypeError(
      `Tool ${io} schema must be a zod schema or a JSON Schema object, got ${typeof schema}`,
    );
  }
  const validator = new Validator(
    schema as Record<string, unknown>,
    _draft(schema.$schema),
    false,
  );
  return {
    json: schema as JsonSchema,
    check(value, label) {
      const result = validator.validate(value);
      if (result.valid) return value;
      const leaves = result.errors.filter((e) =>
        !_SUMMARY_KEYWORDS.has(e.keyword)
      );
      const problems = (leaves.length > 0 ? leaves : result.errors).map((e) =>
        `${_location(label, e.instanceLocation)}: ${e.error.replace(/\.$/, "")}`
      );
      throw new ExecboxError("validation_error", problems.join("; "));
    },
  };
}

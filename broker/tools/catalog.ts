/**
 * The guest namespace: every provider's tools under their guest identifiers,
 * as one immutable snapshot that a run uses from start to end.
 *
 * @module
 */

import { ExecboxError } from "../errors.ts";
import { redact, redactValue } from "../redact.ts";
import { assertProviderName, toolIdentifiers } from "./identifiers.ts";
import {
  resolveSchema,
  type ToolContext,
  type ToolDefinition,
} from "./tool.ts";
import type { JsonSchema, ToolInfo } from "./info.ts";
import type { Context } from "@opentelemetry/api";
import { createJsonEncoder } from "../../runtime/json.ts";
import { MAX_JSON_DEPTH } from "../../runtime/protocol.ts";

/** What a provider's call receives: the tool's context and the call's span. */
export interface ProviderCallContext extends ToolContext {
  /**
   * The OpenTelemetry context of the call's `execbox.tool_call` span, the
   * parent of the spans the call starts (an upstream MCP request).
   */
  traceContext?: Context;
}

/** A tool as a provider offers it, before the broker names it for the guest. */
export interface ProviderTool {
  /** The provider's name for the tool. */
  name: string;
  /** What the tool does. */
  description?: string;
  /** JSON Schema of the single argument. */
  inputSchema: JsonSchema;
  /** JSON Schema of the result, when declared. */
  outputSchema?: JsonSchema;
  /** `"required"`: each call waits for an approver before it runs. */
  approval?: "required";
  /**
   * Runs the tool. Throws {@linkcode ExecboxError} with code
   * `validation_error` for bad input; anything else thrown is a tool error.
   */
  call(input: unknown, context: ProviderCallContext): Promise<unknown>;
}

/** A method of a namespace (`$resources.read(uri)`): positional arguments. */
export interface ProviderMethod {
  /** Its dotted path inside the namespace, such as `"$resources.read"`. */
  path: string;
  /** Runs it with the guest's arguments (a JSON array). */
  call(args: unknown, context: ProviderCallContext): Promise<unknown>;
}

/** One namespace's tools, in declaration order. */
export interface ProviderSource {
  /** The guest global, such as `github`. */
  namespace: string;
  /** Its tools. */
  tools: readonly ProviderTool[];
  /** Its methods; their first path segments are reserved against tool names. */
  methods?: readonly ProviderMethod[];
  /** Extra declaration lines for the namespace (for its methods). */
  declarations?: readonly string[];
}

const _encode = createJsonEncoder(MAX_JSON_DEPTH);

/** Options of {@linkcode hostProviderTools}. */
export interface HostProviderOptions {
  /**
   * Values replaced by `[redacted]` in what the tools return, throw and log.
   * @default {[]}
   */
  secrets?: readonly string[];
}

/**
 * Adapts host tools from `defineTool` to provider tools, with input checked
 * before `execute` and output checked and encoded after, and the secrets
 * taken out of their results, error messages and `context.log` entries.
 *
 * @param tools Tools by name.
 * @param options The secrets to redact.
 * @returns The provider tools, in the object's key order.
 * @throws {TypeError} When a definition has no `execute` function or a bad schema.
 */
export function hostProviderTools(
  // deno-lint-ignore no-explicit-any
  tools: Record<string, ToolDefinition<any, any>>,
  options: HostProviderOptions = {},
): ProviderTool[] {
  const secrets = options.secrets ?? [];
  return Object.entries(tools).map(([name, definition]) => {
    if (typeof definition?.execute !== "function") {
      throw new TypeError(`Tool "${name}" has no execute function`);
    }
    if (
      definition.approval !== undefined && definition.approval !== "required"
    ) {
      // A misspelt value must not quietly let calls run unapproved.
      throw new TypeError(
        `Tool "${name}" has approval ${
          JSON.stringify(definition.approval)
        }; the only value is "required"`,
      );
    }
    const input = resolveSchema(definition.input, "input");
    const output = definition.output === undefined
      ? undefined
      : resolveSchema(definition.output, "output");
    const run = async (value: unknown, context: ToolContext) => {
      const checked = input.check(value, "input");
      let result: unknown = await definition.execute(checked, context);
      if (output !== undefined) {
        try {
          result = output.check(result, "output");
        } catch (error) {
          throw new Error(
            `Tool returned a value that does not match its output schema: ${
              (error as Error).message
            }`,
            { cause: error },
          );
        }
      }
      return result;
    };
    const tool: ProviderTool = {
      name,
      inputSchema: input.json,
      async call(value, context) {
        if (secrets.length === 0) return await run(value, context);
        try {
          return _redactResult(
            await run(value, {
              ...context,
              log: (level, message) =>
                context.log(level, redact(String(message), secrets)),
            }),
            secrets,
          );
        } catch (error) {
          throw _redactError(error, secrets);
        }
      },
    };
    if (definition.description !== undefined) {
      tool.description = definition.description;
    }
    if (output !== undefined) tool.outputSchema = output.json;
    if (definition.approval === "required") tool.approval = "required";
    return tool;
  });
}

// A value that is not JSON is left for `encodeToolResult` to refuse.
function _redactResult(value: unknown, secrets: readonly string[]): unknown {
  try {
    return redactValue(value, secrets);
  } catch {
    return value;
  }
}

// The guest sees only an error's message (and an ExecboxError's code); no
// `cause`, which would keep the message unredacted.
function _redactError(error: unknown, secrets: readonly string[]): Error {
  const message = redact(
    error instanceof Error ? error.message : String(error),
    secrets,
  );
  return error instanceof ExecboxError
    ? new ExecboxError(error.code, message)
    : new Error(message);
}

/** An immutable snapshot of the guest namespace. */
export class Catalog {
  /** Every tool as the guest sees it, in declaration order. */
  readonly tools: readonly ToolInfo[];
  /** Guest namespaces and their tool identifiers, as the runtime installs them. */
  readonly namespaces: Readonly<Record<string, string[]>>;
  /** Guest namespaces and their method paths, as the runtime installs them. */
  readonly methods: Readonly<Record<string, string[]>>;
  /** Extra declaration lines by namespace. */
  readonly declarations: ReadonlyMap<string, readonly string[]>;
  readonly #byPath: Map<string, ProviderTool | ProviderMethod>;

  /**
   * @param sources The providers, in order; their namespaces must be distinct.
   * @throws {TypeError} When a namespace is invalid, reserved or taken twice.
   */
  constructor(sources: readonly ProviderSource[]) {
    const taken = new Set<string>();
    const tools: ToolInfo[] = [];
    const namespaces: Record<string, string[]> = {};
    const methods: Record<string, string[]> = {};
    const declarations = new Map<string, readonly string[]>();
    this.#byPath = new Map();
    for (const source of sources) {
      assertProviderName(source.namespace, taken);
      taken.add(source.namespace);
      const reserved = (source.methods ?? []).map((m) => m.path.split(".")[0]!);
      const names = toolIdentifiers(source.tools.map((t) => t.name), {
        reserved,
      });
      namespaces[source.namespace] = names;
      if (source.methods !== undefined && source.methods.length > 0) {
        methods[source.namespace] = source.methods.map((m) => m.path);
        for (const method of source.methods) {
          this.#byPath.set(`${source.namespace}.${method.path}`, method);
        }
      }
      if (source.declarations !== undefined && source.declarations.length > 0) {
        declarations.set(source.namespace, source.declarations);
      }
      source.tools.forEach((tool, i) => {
        const name = names[i]!;
        const info: ToolInfo = {
          namespace: source.namespace,
          name,
          originalName: tool.name,
          inputSchema: tool.inputSchema,
        };
        if (tool.description !== undefined) info.description = tool.description;
        if (tool.outputSchema !== undefined) {
          info.outputSchema = tool.outputSchema;
        }
        if (tool.approval === "required") info.approval = "required";
        tools.push(info);
        this.#byPath.set(`${source.namespace}.${name}`, tool);
      });
    }
    this.tools = tools;
    this.namespaces = namespaces;
    this.methods = methods;
    this.declarations = declarations;
  }

  /**
   * Finds a tool or method by its guest path.
   *
   * @param namespace The guest namespace.
   * @param name The guest identifier or method path.
   * @returns The tool or method, or `undefined`.
   */
  lookup(
    namespace: string,
    name: string,
  ): ProviderTool | ProviderMethod | undefined {
    return this.#byPath.get(`${namespace}.${name}`);
  }
}

/**
 * Encodes a tool's result as JSON text for the guest ("" for `undefined`).
 *
 * @param value The tool's result.
 * @returns The JSON text.
 * @throws {ExecboxError} With code `tool_error` when the value is not JSON.
 */
export function encodeToolResult(value: unknown): string {
  try {
    return _encode(value, "result") ?? "";
  } catch (error) {
    throw new ExecboxError(
      "tool_error",
      `Tool returned a value that is not JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

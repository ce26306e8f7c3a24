/**
 * Code mode for the Vercel AI SDK: a tool set in the shape `tool()` from the
 * `ai` package returns, to pass as `tools` to `generateText` or
 * `streamText`. The input schemas are made by the `jsonSchema` function the
 * caller passes from `ai`, so they are the SDK's own objects and `ai` is not
 * imported here.
 *
 * @module
 */

import type { Broker } from "../broker.ts";
import {
  codeModeTools,
  type CodeModeToolsOptions,
  type ExecuteToolInput,
  type JsonSchemaObject,
  type SearchToolsInput,
} from "./code_mode_tools.ts";

/** Options of {@linkcode vercelAiTools}. */
export interface VercelAiToolsOptions<SCHEMA> extends CodeModeToolsOptions {
  /**
   * `jsonSchema` from the `ai` package: makes each tool's `inputSchema` from
   * its JSON Schema (the same as the MCP server's).
   */
  jsonSchema(schema: JsonSchemaObject): SCHEMA;
}

/** What the SDK passes a tool's `execute`, as `ToolCallOptions` of `ai`. */
export interface VercelAiToolCallOptions {
  /** Aborts the run. */
  abortSignal?: AbortSignal | undefined;
}

/** One tool, as `tool()` of `ai` returns it. */
export interface VercelAiTool<INPUT, SCHEMA> {
  /** The text the model reads. */
  description: string;
  /** The input's schema, from the `jsonSchema` option. */
  inputSchema: SCHEMA;
  /**
   * Runs a call; the result is the text a model reads (a failure's text
   * starts with `error`). The input is checked here, whatever the SDK did.
   *
   * @param input The input the model wrote.
   * @param options The SDK's call options; `abortSignal` cancels the run.
   * @returns The text for the model.
   */
  execute(input: INPUT, options: VercelAiToolCallOptions): Promise<string>;
}

// A type literal, not an interface: only those fit the index signature of
// the SDK's `ToolSet`.
/** What {@linkcode vercelAiTools} returns: a `ToolSet` of `ai`. */
export type VercelAiToolSet<SCHEMA> = {
  /** Runs a program. */
  execute: VercelAiTool<ExecuteToolInput, SCHEMA>;
  /** Finds tools the program can call. */
  search_tools: VercelAiTool<SearchToolsInput, SCHEMA>;
};

/**
 * The broker as tools for the Vercel AI SDK.
 *
 * @param broker The broker whose runs and tools the tools offer.
 * @param options `jsonSchema` from `ai`; caller, limits, text size and
 * approvals.
 * @returns The tool set.
 * @throws {RangeError} As `codeModeTools` does.
 *
 * @example Run a call as `generateText` would
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBroker } from "../../mod.ts";
 * import { vercelAiTools } from "./vercel_ai.ts";
 *
 * await using broker = await createBroker({ pool: { size: 1 } });
 * // With `import { jsonSchema } from "ai"`:
 * // generateText({ model, tools: vercelAiTools(broker, { jsonSchema }), prompt })
 * const tools = vercelAiTools(broker, { jsonSchema: (schema) => schema });
 * const text = await tools.execute.execute({ code: "6 * 7" }, {});
 * assert.equal(text, "42");
 * ```
 */
export function vercelAiTools<SCHEMA>(
  broker: Broker,
  options: VercelAiToolsOptions<SCHEMA>,
): VercelAiToolSet<SCHEMA> {
  const { jsonSchema, ...rest } = options;
  const codeMode = codeModeTools(broker, rest);
  const [execute, search] = codeMode.specs;
  const run = async (
    name: string,
    input: unknown,
    signal: AbortSignal | undefined,
  ): Promise<string> => (await codeMode.call(name, input, signal))!.text;
  return {
    execute: {
      description: execute.description,
      inputSchema: jsonSchema(execute.inputSchema),
      execute: (input, { abortSignal }) => run("execute", input, abortSignal),
    },
    search_tools: {
      description: search.description,
      inputSchema: jsonSchema(search.inputSchema),
      execute: (input, { abortSignal }) =>
        run("search_tools", input, abortSignal),
    },
  };
}

/**
 * The two tools of code mode, `execute` and `search_tools`, with the same
 * descriptions, input schemas and result text as the MCP server's, for the
 * adapters of each agent SDK. Plain data and one `call`: no SDK is imported.
 *
 * @module
 */

import { z } from "zod";
import type { Broker } from "../broker.ts";
import { ExecboxError } from "../errors.ts";
import type { Limits } from "../limits.ts";
import type { ApprovalHandler } from "../approval/approval.ts";
import { executeText } from "../mcp/text.ts";
import {
  codeModeSettings,
  EXECUTE_INPUT,
  SEARCH_TOOLS_DESCRIPTION,
  SEARCH_TOOLS_INPUT,
  searchToolsText,
} from "../mcp/code_mode.ts";

/** Options every agent adapter takes. */
export interface CodeModeToolsOptions {
  /**
   * Who the runs are for, in audit records and to scope sessions.
   * @default {"agent"}
   */
  caller?: string;
  /**
   * Limits for every run, over the broker's; the description states the
   * time and memory limits that result.
   * @default {{}}
   */
  limits?: Partial<Limits>;
  /**
   * UTF-8 bytes of text a tool result holds; the rest is cut with a marker,
   * keeping a failed run's error line.
   * @default {20000}
   */
  maxTextBytes?: number;
  /**
   * How many namespaces the `execute` description lists by name.
   * @default {50}
   */
  maxNamespaces?: number;
  /**
   * Text appended to the `execute` description.
   * @default {""}
   */
  instructions?: string;
  /**
   * Decides calls of tools that need approval in these runs.
   * @default {the broker's `onApproval` (without one, such calls are denied)}
   */
  onApproval?: ApprovalHandler;
}

/** A JSON Schema object, as the SDKs take a tool's parameters. */
export type JsonSchemaObject = { [key: string]: unknown };

/** One tool: its name, its description and its input's JSON Schema. */
export interface CodeModeToolSpec {
  /** `"execute"` or `"search_tools"`. */
  name: "execute" | "search_tools";
  /** The text the model reads, the same as the MCP server's. */
  description: string;
  /** The JSON Schema of its input. */
  inputSchema: JsonSchemaObject;
}

/** What a call returns: the text for the model, and whether it failed. */
export interface CodeModeToolOutcome {
  /** The result, logs and error as text, within `maxTextBytes`. */
  text: string;
  /** Whether the run failed or the input was invalid. */
  isError: boolean;
}

/** The two tools and the function that runs a call of either. */
export interface CodeModeTools {
  /** `execute` then `search_tools`. */
  specs: [CodeModeToolSpec, CodeModeToolSpec];
  /**
   * Runs a call. The input comes from a model: anything that does not match
   * the schema is an error outcome, never a throw.
   *
   * @param name The tool's name.
   * @param input Its input, parsed from JSON.
   * @param signal Cancels the run.
   * @returns The outcome, or `undefined` for another tool's name.
   */
  call(
    name: string,
    input: unknown,
    signal?: AbortSignal,
  ): Promise<CodeModeToolOutcome | undefined>;
}

/** The `search_tools` description, as the MCP server has it. */
export { SEARCH_TOOLS_DESCRIPTION };

// The MCP server's zod shapes: tests/broker/agents checks that the JSON
// Schemas below are what its `tools/list` publishes.
/** The input of `execute`. */
export interface ExecuteToolInput {
  /** The program. */
  code: string;
  /** Keeps a `state` object across runs with the same session. */
  session?: string | undefined;
}

/** The input of `search_tools`. */
export interface SearchToolsInput {
  /** Words that must all occur; empty for all. */
  query: string;
  /** Most matches. */
  limit?: number | undefined;
  /** How much of each match to show. */
  detail?: "name" | "summary" | "full" | undefined;
}

const _executeInput = z.object(EXECUTE_INPUT);
const _searchInput = z.object(SEARCH_TOOLS_INPUT);

/** The zod schema of `execute`'s input (the Vercel AI SDK takes zod). */
export const executeInputSchema: z.ZodType<ExecuteToolInput> = _executeInput;

/** The zod schema of `search_tools`' input. */
export const searchToolsInputSchema: z.ZodType<SearchToolsInput> = _searchInput;

function _jsonSchema(schema: z.ZodObject): JsonSchemaObject {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: "input" });
  return rest;
}

/**
 * The tools of code mode over a broker, in no SDK's shape: the adapters for
 * Anthropic, OpenAI and the Vercel AI SDK wrap this.
 *
 * @param broker The broker whose runs and tools the tools offer.
 * @param options Caller, limits, text size and approvals.
 * @returns The two tool specs and `call`.
 * @throws {RangeError} When `maxTextBytes` or `maxNamespaces` is not a
 * positive whole number, or a limit is out of range.
 *
 * @example Run a call as an agent loop would
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBroker } from "../../mod.ts";
 * import { codeModeTools } from "./code_mode_tools.ts";
 *
 * await using broker = await createBroker({ pool: { size: 1 } });
 * const tools = codeModeTools(broker);
 * const outcome = await tools.call("execute", { code: "1 + 1" });
 * assert.deepEqual(outcome, { text: "2", isError: false });
 * ```
 */
export function codeModeTools(
  broker: Broker,
  options: CodeModeToolsOptions = {},
): CodeModeTools {
  const settings = codeModeSettings(broker, options, {
    caller: "agent",
    label: "agent tool options",
  });
  const { maxTextBytes, limits } = settings;
  const execute: CodeModeToolSpec = {
    name: "execute",
    description: settings.executeDescription,
    inputSchema: _jsonSchema(_executeInput),
  };
  const search: CodeModeToolSpec = {
    name: "search_tools",
    description: SEARCH_TOOLS_DESCRIPTION,
    inputSchema: _jsonSchema(_searchInput),
  };
  const invalid = (name: string, error: z.ZodError): CodeModeToolOutcome => ({
    text: `error validation_error: Invalid input of ${name}: ${
      error.issues.map((issue) =>
        `${issue.path.join(".") || "input"}: ${issue.message}`
      ).join("; ")
    }`,
    isError: true,
  });
  return {
    specs: [execute, search],
    async call(name, input, signal) {
      if (name === "search_tools") {
        const parsed = _searchInput.safeParse(input);
        if (!parsed.success) return invalid(name, parsed.error);
        return {
          text: searchToolsText(broker, parsed.data, settings),
          isError: false,
        };
      }
      if (name !== "execute") return undefined;
      const parsed = _executeInput.safeParse(input);
      if (!parsed.success) return invalid(name, parsed.error);
      const { code, session } = parsed.data;
      try {
        const run = await broker.execute(code, {
          limits,
          caller: settings.caller,
          toolsHint: "find them with search_tools",
          ...(signal === undefined ? {} : { signal }),
          ...(options.onApproval ? { onApproval: options.onApproval } : {}),
          ...(session === undefined ? {} : { session }),
        });
        return { text: executeText(run, maxTextBytes), isError: !run.ok };
      } catch (error) {
        if (!(error instanceof ExecboxError)) throw error;
        return {
          text: `error ${error.code}: ${error.message}`,
          isError: true,
        };
      }
    },
  };
}

/**
 * Code mode for the Anthropic Messages API: the tool definitions to pass as
 * `tools`, and a handler that turns each `tool_use` block of a response into
 * the `tool_result` block of the next user message. Plain objects in the
 * SDK's shape: `@anthropic-ai/sdk` is not imported.
 *
 * @module
 */

import type { Broker } from "../broker.ts";
import { codeModeTools, type CodeModeToolsOptions } from "./code_mode_tools.ts";

/** A tool definition, as `Anthropic.Messages.Tool`. */
export interface AnthropicTool {
  /** The tool's name. */
  name: string;
  /** The text the model reads. */
  description: string;
  /** The JSON Schema of its input. */
  input_schema: {
    /** Always `"object"`. */
    type: "object";
    /** The input's fields. */
    properties: { [key: string]: unknown };
    /** The fields the model must give. */
    required: string[];
    /** Any other JSON Schema keyword. */
    [key: string]: unknown;
  };
}

/** A `tool_use` content block of a response, as `Anthropic.Messages.ToolUseBlock`. */
export interface AnthropicToolUse {
  /** Always `"tool_use"`. */
  type: "tool_use";
  /** The id the result must name. */
  id: string;
  /** The tool called. */
  name: string;
  /** The input the model wrote. */
  input: unknown;
}

/** A `tool_result` block, as `Anthropic.Messages.ToolResultBlockParam`. */
export interface AnthropicToolResult {
  /** Always `"tool_result"`. */
  type: "tool_result";
  /** The `id` of the `tool_use` block. */
  tool_use_id: string;
  /** The result as text. */
  content: string;
  /** Whether the call failed. */
  is_error: boolean;
}

/** What {@linkcode anthropicTools} returns. */
export interface AnthropicCodeMode {
  /** `execute` and `search_tools`, for the request's `tools`. */
  tools: AnthropicTool[];
  /**
   * Runs one `tool_use` block.
   *
   * @param block A block of the response's `content`.
   * @param signal Cancels the run.
   * @returns The `tool_result`, or `undefined` for another tool's block.
   */
  handle(
    block: AnthropicToolUse,
    signal?: AbortSignal,
  ): Promise<AnthropicToolResult | undefined>;
  /**
   * Runs every `tool_use` block of a response's `content` that is one of
   * these tools, at once (the broker's admission bounds them), and returns
   * the results in the blocks' order.
   *
   * @param content The response's `content`.
   * @param signal Cancels the runs.
   * @returns The `tool_result` blocks for the next user message.
   */
  handleAll(
    content: readonly { type: string }[],
    signal?: AbortSignal,
  ): Promise<AnthropicToolResult[]>;
}

/**
 * The broker as tools for the Anthropic Messages API.
 *
 * @param broker The broker whose runs and tools the tools offer.
 * @param options Caller, limits, text size and approvals.
 * @returns The tool definitions and their handler.
 * @throws {RangeError} As {@linkcode codeModeTools} does.
 *
 * @example One turn of an agent loop
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBroker } from "../../mod.ts";
 * import { anthropicTools } from "./anthropic.ts";
 *
 * await using broker = await createBroker({ pool: { size: 1 } });
 * const codeMode = anthropicTools(broker);
 * // response.content of `client.messages.create({ tools: codeMode.tools, ... })`
 * const content = [{
 *   type: "tool_use" as const,
 *   id: "toolu_01",
 *   name: "execute",
 *   input: { code: "[1, 2].map((n) => n * 2)" },
 * }];
 * assert.deepEqual(await codeMode.handleAll(content), [{
 *   type: "tool_result",
 *   tool_use_id: "toolu_01",
 *   content: "[2,4]",
 *   is_error: false,
 * }]);
 * ```
 */
export function anthropicTools(
  broker: Broker,
  options: CodeModeToolsOptions = {},
): AnthropicCodeMode {
  const codeMode = codeModeTools(broker, options);
  const tools = codeMode.specs.map((spec): AnthropicTool => {
    const { properties, required, ...rest } = spec.inputSchema;
    return {
      name: spec.name,
      description: spec.description,
      input_schema: {
        ...rest,
        type: "object",
        properties: properties as { [key: string]: unknown },
        required: required as string[],
      },
    };
  });
  const handle = async (
    block: AnthropicToolUse,
    signal?: AbortSignal,
  ): Promise<AnthropicToolResult | undefined> => {
    const outcome = await codeMode.call(block.name, block.input, signal);
    if (outcome === undefined) return undefined;
    return {
      type: "tool_result",
      tool_use_id: block.id,
      content: outcome.text,
      is_error: outcome.isError,
    };
  };
  return {
    tools,
    handle,
    async handleAll(content, signal) {
      const results = await Promise.all(
        content.filter(_isToolUse).map((block) => handle(block, signal)),
      );
      return results.filter((result) => result !== undefined);
    },
  };
}

function _isToolUse(block: { type: string }): block is AnthropicToolUse {
  const b = block as Partial<AnthropicToolUse>;
  return b.type === "tool_use" && typeof b.id === "string" &&
    typeof b.name === "string";
}

/**
 * Code mode for the OpenAI Responses and Chat Completions APIs: function
 * tools, and handlers that turn the model's function calls into the items or
 * messages that carry their output. Plain objects in the SDK's shapes:
 * `openai` is not imported.
 *
 * @module
 */

import type { Broker } from "../broker.ts";
import {
  type CodeModeToolOutcome,
  codeModeTools,
  type CodeModeToolsOptions,
  type JsonSchemaObject,
} from "./code_mode_tools.ts";

/** A function tool of the Responses API, as `OpenAI.Responses.FunctionTool`. */
export interface OpenAIResponsesTool {
  /** Always `"function"`. */
  type: "function";
  /** The tool's name. */
  name: string;
  /** The text the model reads. */
  description: string;
  /** The JSON Schema of its arguments. */
  parameters: JsonSchemaObject;
  /** Not strict: `session` is optional. */
  strict: false;
}

/** A `function_call` output item, as `OpenAI.Responses.ResponseFunctionToolCall`. */
export interface OpenAIResponsesCall {
  /** Always `"function_call"`. */
  type: "function_call";
  /** The id the output must name. */
  call_id: string;
  /** The function called. */
  name: string;
  /** Its arguments, as the JSON text the model wrote. */
  arguments: string;
}

/** A `function_call_output` input item, as `OpenAI.Responses.ResponseInputItem.FunctionCallOutput`. */
export interface OpenAIResponsesOutput {
  /** Always `"function_call_output"`. */
  type: "function_call_output";
  /** The `call_id` of the call. */
  call_id: string;
  /** The result as text (a failure starts with `error`). */
  output: string;
}

/** What {@linkcode openaiResponsesTools} returns. */
export interface OpenAIResponsesCodeMode {
  /** `execute` and `search_tools`, for the request's `tools`. */
  tools: OpenAIResponsesTool[];
  /**
   * Runs every `function_call` item of a response's `output` that calls one
   * of these tools, at once, in the items' order.
   *
   * @param output The response's `output`.
   * @param signal Cancels the runs.
   * @returns The items to send as the next request's `input`.
   */
  handleAll(
    output: readonly { type: string }[],
    signal?: AbortSignal,
  ): Promise<OpenAIResponsesOutput[]>;
  /**
   * Runs one `function_call` item.
   *
   * @param call The item.
   * @param signal Cancels the run.
   * @returns Its output item, or `undefined` for another tool's call.
   */
  handle(
    call: OpenAIResponsesCall,
    signal?: AbortSignal,
  ): Promise<OpenAIResponsesOutput | undefined>;
}

/** A function tool of Chat Completions, as `OpenAI.ChatCompletionFunctionTool`. */
export interface OpenAIChatTool {
  /** Always `"function"`. */
  type: "function";
  /** The function. */
  function: {
    /** The tool's name. */
    name: string;
    /** The text the model reads. */
    description: string;
    /** The JSON Schema of its arguments. */
    parameters: JsonSchemaObject;
    /** Not strict: `session` is optional. */
    strict: false;
  };
}

/** A tool call of an assistant message, as `OpenAI.ChatCompletionMessageFunctionToolCall`. */
export interface OpenAIChatToolCall {
  /** The id the tool message must name. */
  id: string;
  /** Always `"function"`. */
  type: "function";
  /** The function called. */
  function: {
    /** Its name. */
    name: string;
    /** Its arguments, as the JSON text the model wrote. */
    arguments: string;
  };
}

/** A tool message, as `OpenAI.ChatCompletionToolMessageParam`. */
export interface OpenAIChatToolMessage {
  /** Always `"tool"`. */
  role: "tool";
  /** The `id` of the tool call. */
  tool_call_id: string;
  /** The result as text (a failure starts with `error`). */
  content: string;
}

/** What {@linkcode openaiChatTools} returns. */
export interface OpenAIChatCodeMode {
  /** `execute` and `search_tools`, for the request's `tools`. */
  tools: OpenAIChatTool[];
  /**
   * Runs every tool call of an assistant message that calls one of these
   * tools, at once, in the calls' order.
   *
   * @param toolCalls The message's `tool_calls` (absent: none).
   * @param signal Cancels the runs.
   * @returns The tool messages to append.
   */
  handleAll(
    toolCalls: readonly { type: string }[] | null | undefined,
    signal?: AbortSignal,
  ): Promise<OpenAIChatToolMessage[]>;
  /**
   * Runs one tool call.
   *
   * @param call The tool call.
   * @param signal Cancels the run.
   * @returns Its tool message, or `undefined` for another tool's call.
   */
  handle(
    call: OpenAIChatToolCall,
    signal?: AbortSignal,
  ): Promise<OpenAIChatToolMessage | undefined>;
}

/**
 * The broker as function tools for the OpenAI Responses API.
 *
 * @param broker The broker whose runs and tools the tools offer.
 * @param options Caller, limits, text size and approvals.
 * @returns The tools and their handlers.
 * @throws {RangeError} As `codeModeTools` does.
 *
 * @example One turn of an agent loop
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBroker } from "../../mod.ts";
 * import { openaiResponsesTools } from "./openai.ts";
 *
 * await using broker = await createBroker({ pool: { size: 1 } });
 * const codeMode = openaiResponsesTools(broker);
 * // response.output of `client.responses.create({ tools: codeMode.tools, ... })`
 * const output = [{
 *   type: "function_call" as const,
 *   call_id: "call_1",
 *   name: "execute",
 *   arguments: '{"code":"6 * 7"}',
 * }];
 * assert.deepEqual(await codeMode.handleAll(output), [{
 *   type: "function_call_output",
 *   call_id: "call_1",
 *   output: "42",
 * }]);
 * ```
 */
export function openaiResponsesTools(
  broker: Broker,
  options: CodeModeToolsOptions = {},
): OpenAIResponsesCodeMode {
  const codeMode = codeModeTools(broker, options);
  const handle = async (
    call: OpenAIResponsesCall,
    signal?: AbortSignal,
  ): Promise<OpenAIResponsesOutput | undefined> => {
    const outcome = await _call(
      codeMode.call,
      call.name,
      call.arguments,
      signal,
    );
    return outcome === undefined ? undefined : {
      type: "function_call_output",
      call_id: call.call_id,
      output: outcome.text,
    };
  };
  return {
    tools: codeMode.specs.map((spec) => ({
      type: "function",
      name: spec.name,
      description: spec.description,
      parameters: spec.inputSchema,
      strict: false,
    })),
    handle,
    async handleAll(output, signal) {
      const calls = output.filter((item): item is OpenAIResponsesCall => {
        const call = item as Partial<OpenAIResponsesCall>;
        return call.type === "function_call" &&
          typeof call.call_id === "string" && typeof call.name === "string";
      });
      const results = await Promise.all(
        calls.map((call) => handle(call, signal)),
      );
      return results.filter((result) => result !== undefined);
    },
  };
}

/**
 * The broker as function tools for the OpenAI Chat Completions API.
 *
 * @param broker The broker whose runs and tools the tools offer.
 * @param options Caller, limits, text size and approvals.
 * @returns The tools and their handlers.
 * @throws {RangeError} As `codeModeTools` does.
 *
 * @example One turn of an agent loop
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBroker } from "../../mod.ts";
 * import { openaiChatTools } from "./openai.ts";
 *
 * await using broker = await createBroker({ pool: { size: 1 } });
 * const codeMode = openaiChatTools(broker);
 * // choices[0].message.tool_calls of `client.chat.completions.create(...)`
 * const toolCalls = [{
 *   id: "call_1",
 *   type: "function" as const,
 *   function: { name: "execute", arguments: '{"code":"6 * 7"}' },
 * }];
 * assert.deepEqual(await codeMode.handleAll(toolCalls), [{
 *   role: "tool",
 *   tool_call_id: "call_1",
 *   content: "42",
 * }]);
 * ```
 */
export function openaiChatTools(
  broker: Broker,
  options: CodeModeToolsOptions = {},
): OpenAIChatCodeMode {
  const codeMode = codeModeTools(broker, options);
  const handle = async (
    call: OpenAIChatToolCall,
    signal?: AbortSignal,
  ): Promise<OpenAIChatToolMessage | undefined> => {
    const outcome = await _call(
      codeMode.call,
      call.function.name,
      call.function.arguments,
      signal,
    );
    return outcome === undefined
      ? undefined
      : { role: "tool", tool_call_id: call.id, content: outcome.text };
  };
  return {
    tools: codeMode.specs.map((spec) => ({
      type: "function",
      function: {
        name: spec.name,
        description: spec.description,
        parameters: spec.inputSchema,
        strict: false,
      },
    })),
    handle,
    async handleAll(toolCalls, signal) {
      const calls = (toolCalls ?? []).filter(
        (item): item is OpenAIChatToolCall => {
          const call = item as Partial<OpenAIChatToolCall>;
          return call.type === "function" && typeof call.id === "string" &&
            typeof call.function?.name === "string";
        },
      );
      const results = await Promise.all(
        calls.map((call) => handle(call, signal)),
      );
      return results.filter((result) => result !== undefined);
    },
  };
}

// Arguments are JSON text the model wrote: text that does not parse is the
// model's mistake to read about, not an exception in the agent loop.
async function _call(
  call: ReturnType<typeof codeModeTools>["call"],
  name: string,
  args: string,
  signal: AbortSignal | undefined,
): Promise<CodeModeToolOutcome | undefined> {
  if (name !== "execute" && name !== "search_tools") return undefined;
  let input: unknown;
  try {
    input = JSON.parse(args);
  } catch {
    return {
      text: `error validation_error: The arguments of ${name} are not JSON: ${
        args.slice(0, 80)
      }`,
      isError: true,
    };
  }
  return await call(name, input, signal);
}

/**
 * Code mode inside the agent SDKs people use: the broker's `execute` and
 * `search_tools` as tools for the Anthropic Messages API, the OpenAI
 * Responses and Chat Completions APIs, and the Vercel AI SDK, with the same
 * descriptions as the MCP server's tools. Each adapter builds plain objects
 * in its SDK's shape and imports none of the SDKs.
 *
 * @example The Anthropic Messages API
 * ```ts ignore
 * import Anthropic from "@anthropic-ai/sdk";
 * import { createBroker } from "@execbox/core";
 * import { anthropicTools } from "@execbox/core/agents";
 *
 * await using broker = await createBroker({ mcpServers });
 * const codeMode = anthropicTools(broker);
 * const client = new Anthropic();
 * const messages: Anthropic.MessageParam[] = [{ role: "user", content: "..." }];
 * while (true) {
 *   const response = await client.messages.create({
 *     model: "claude-sonnet-4-5",
 *     max_tokens: 4096,
 *     tools: codeMode.tools,
 *     messages,
 *   });
 *   messages.push({ role: "assistant", content: response.content });
 *   if (response.stop_reason !== "tool_use") break;
 *   messages.push({
 *     role: "user",
 *     content: await codeMode.handleAll(response.content),
 *   });
 * }
 * ```
 *
 * @module
 */

export {
  type AnthropicCodeMode,
  type AnthropicTool,
  type AnthropicToolResult,
  anthropicTools,
  type AnthropicToolUse,
} from "./anthropic.ts";
export {
  type OpenAIChatCodeMode,
  type OpenAIChatTool,
  type OpenAIChatToolCall,
  type OpenAIChatToolMessage,
  openaiChatTools,
  type OpenAIResponsesCall,
  type OpenAIResponsesCodeMode,
  type OpenAIResponsesOutput,
  type OpenAIResponsesTool,
  openaiResponsesTools,
} from "./openai.ts";
export {
  type VercelAiTool,
  type VercelAiToolCallOptions,
  vercelAiTools,
  type VercelAiToolSet,
  type VercelAiToolsOptions,
} from "./vercel_ai.ts";
export {
  type CodeModeToolOutcome,
  type CodeModeTools,
  codeModeTools,
  type CodeModeToolsOptions,
  type CodeModeToolSpec,
  type ExecuteToolInput,
  type JsonSchemaObject,
  SEARCH_TOOLS_DESCRIPTION,
  type SearchToolsInput,
} from "./code_mode_tools.ts";

/**
 * The agent adapters against each SDK's own types (these files type-check
 * only if the shapes fit) and on request shapes recorded from each SDK's
 * documentation, run by a real broker. The Vercel AI SDK runs its own
 * `generateText` loop over them with its mock model.
 */

import assert from "node:assert/strict";
import type Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { generateText, jsonSchema, stepCountIs, type ToolSet } from "ai";
import { MockLanguageModelV2 } from "ai/test";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/inMemory"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { z } from "zod";
import { createBroker, defineTool } from "../../../mod.ts";
import { createMcpServer } from "../../../broker/mcp/server.ts";
import {
  anthropicTools,
  codeModeTools,
  openaiChatTools,
  openaiResponsesTools,
  vercelAiTools,
} from "../../../broker/agents/mod.ts";

const providers = {
  weather: {
    forecast: defineTool({
      description: "The forecast of a city, in degrees Celsius",
      input: z.object({ city: z.string() }),
      execute: ({ city }) => ({ city, high: city === "Paris" ? 21 : 9 }),
    }),
  },
};

const PROGRAM =
  'const [p, o] = await Promise.all(["Paris", "Oslo"].map((city) => weather.forecast({ city }))); p.high - o.high';

Deno.test("anthropicTools() fits the Anthropic SDK's types and answers a recorded tool_use response", async () => {
  await using broker = await createBroker({ pool: { size: 1 }, providers });
  const codeMode = anthropicTools(broker);
  const tools: Anthropic.Messages.Tool[] = codeMode.tools;
  const union: Anthropic.Messages.ToolUnion[] = codeMode.tools;
  assert.equal(union.length, 2);
  assert.deepEqual(tools.map((t) => t.name), ["execute", "search_tools"]);
  // The shape of the "tool_use" response in Anthropic's tool use guide.
  const response: Pick<Anthropic.Messages.Message, "content" | "stop_reason"> =
    {
      stop_reason: "tool_use",
      content: [
        {
          type: "text",
          text: "I'll compare the forecasts.",
          citations: null,
        },
        {
          type: "tool_use",
          id: "toolu_01A09q90qw90lq917835lq9",
          name: "execute",
          input: { code: PROGRAM },
          caller: { type: "direct" },
        },
        {
          type: "tool_use",
          id: "toolu_02",
          name: "get_time",
          input: {},
          caller: { type: "direct" },
        },
      ],
    };
  const results: Anthropic.Messages.ToolResultBlockParam[] = await codeMode
    .handleAll(response.content);
  assert.deepEqual(results, [{
    type: "tool_result",
    tool_use_id: "toolu_01A09q90qw90lq917835lq9",
    content: "12",
    is_error: false,
  }]);
  const next: Anthropic.Messages.MessageParam = {
    role: "user",
    content: results,
  };
  assert.equal(next.role, "user");
});

Deno.test("openaiResponsesTools() fits the OpenAI SDK's types and answers recorded function_call items", async () => {
  await using broker = await createBroker({ pool: { size: 1 }, providers });
  const codeMode = openaiResponsesTools(broker);
  const tools: OpenAI.Responses.Tool[] = codeMode.tools;
  assert.equal(tools.length, 2);
  // The output items of OpenAI's function calling guide (Responses API).
  const output: OpenAI.Responses.ResponseOutputItem[] = [
    {
      type: "function_call",
      id: "fc_12345xyz",
      call_id: "call_12345xyz",
      name: "execute",
      arguments: JSON.stringify({ code: PROGRAM }),
      status: "completed",
    },
    {
      type: "function_call",
      id: "fc_67890abc",
      call_id: "call_67890abc",
      name: "search_tools",
      arguments: '{"query":"forecast","detail":"name"}',
      status: "completed",
    },
  ];
  const items: OpenAI.Responses.ResponseInputItem[] = await codeMode.handleAll(
    output,
  );
  assert.deepEqual(items, [
    {
      type: "function_call_output",
      call_id: "call_12345xyz",
      output: "12",
    },
    {
      type: "function_call_output",
      call_id: "call_67890abc",
      output: "weather.forecast",
    },
  ]);
});

Deno.test("openaiChatTools() fits the OpenAI SDK's types and answers recorded tool_calls", async () => {
  await using broker = await createBroker({ pool: { size: 1 }, providers });
  const codeMode = openaiChatTools(broker);
  const tools: OpenAI.Chat.ChatCompletionTool[] = codeMode.tools;
  assert.equal(tools.length, 2);
  // The assistant message of OpenAI's function calling guide (Chat Completions).
  const message: OpenAI.Chat.ChatCompletionMessage = {
    role: "assistant",
    content: null,
    refusal: null,
    tool_calls: [{
      id: "call_12345xyz",
      type: "function",
      function: {
        name: "execute",
        arguments: JSON.stringify({ code: PROGRAM }),
      },
    }],
  };
  const replies: OpenAI.Chat.ChatCompletionMessageParam[] = await codeMode
    .handleAll(message.tool_calls);
  assert.deepEqual(replies, [{
    role: "tool",
    tool_call_id: "call_12345xyz",
    content: "12",
  }]);
  assert.deepEqual(await codeMode.handleAll(undefined), []);
});

Deno.test("vercelAiTools() is a ToolSet that the AI SDK's own generateText loop runs", async () => {
  await using broker = await createBroker({ pool: { size: 1 }, providers });
  const tools: ToolSet = vercelAiTools(broker, { jsonSchema });
  let step = 0;
  const seen: unknown[] = [];
  const model = new MockLanguageModelV2({
    doGenerate: (options) => {
      step++;
      seen.push(options.tools);
      const usage = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };
      if (step === 1) {
        return Promise.resolve({
          finishReason: "tool-calls",
          usage,
          warnings: [],
          content: [{
            type: "tool-call",
            toolCallId: "call-1",
            toolName: "execute",
            input: JSON.stringify({ code: PROGRAM }),
          }],
        });
      }
      return Promise.resolve({
        finishReason: "stop",
        usage,
        warnings: [],
        content: [{ type: "text", text: "Paris is warmer." }],
      });
    },
  });
  const result = await generateText({
    model,
    tools,
    stopWhen: stepCountIs(3),
    prompt: "Is Paris warmer than Oslo?",
  });
  assert.equal(result.text, "Paris is warmer.");
  const toolResults = result.steps[0]?.toolResults ?? [];
  assert.deepEqual(
    toolResults.map((r) => [r.toolName, r.output]),
    [["execute", "12"]],
  );
  // The SDK sent the model our JSON Schema and description.
  const sent = (seen[0] as { name: string; inputSchema: unknown }[])
    .find((t) => t.name === "execute");
  assert.deepEqual(
    sent?.inputSchema,
    codeModeTools(broker).specs[0].inputSchema,
  );
});

Deno.test("the agent tools have the MCP server's descriptions and input schemas", async () => {
  await using broker = await createBroker({ pool: { size: 0 }, providers });
  const server = createMcpServer(broker, { instructions: "Be brief." });
  const client = new Client({ name: "test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    const { tools } = await client.listTools();
    const mcp = tools.map(({ name, description, inputSchema }) => {
      const { $schema: _, ...schema } = inputSchema as Record<string, unknown>;
      return { name, description, inputSchema: schema };
    });
    const agents = codeModeTools(broker, { instructions: "Be brief." }).specs;
    assert.deepEqual(agents, mcp);
    const anthropic = anthropicTools(broker, { instructions: "Be brief." });
    assert.equal(anthropic.tools[0]?.description, mcp[0]?.description);
    const chat = openaiChatTools(broker, { instructions: "Be brief." });
    assert.deepEqual(chat.tools[1]?.function.parameters, mcp[1]?.inputSchema);
  } finally {
    await client.close();
    await server.close();
  }
});

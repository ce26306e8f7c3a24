/**
 * Code mode in an Anthropic Messages API agent loop: execbox's `execute` and
 * `search_tools` as tools, each `tool_use` block run by the broker.
 *
 * Run it with `ANTHROPIC_API_KEY=... deno run -A examples/agent_anthropic.ts`;
 * without the key it prints the tool definitions and stops.
 *
 * @module
 */

// An example program prints its results.
// deno-lint-ignore-file no-console

import Anthropic from "@anthropic-ai/sdk";
import { z } from "zod";
import { createBroker, defineTool } from "../mod.ts";
import { anthropicTools } from "../broker/agents/mod.ts";

await using broker = await createBroker({
  providers: {
    weather: {
      forecast: defineTool({
        description: "The forecast of a city, in degrees Celsius",
        input: z.object({ city: z.string() }),
        execute: ({ city }) => ({ city, high: 21, low: 12 }),
      }),
    },
  },
});
const codeMode = anthropicTools(broker);

if (!Deno.env.get("ANTHROPIC_API_KEY")) {
  console.log(JSON.stringify(codeMode.tools, null, 2));
} else {
  const client = new Anthropic();
  const messages: Anthropic.MessageParam[] = [{
    role: "user",
    content: "Is it warmer in Paris or in Oslo tomorrow?",
  }];
  for (let turn = 0; turn < 8; turn++) {
    const response = await client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 2048,
      tools: codeMode.tools,
      messages,
    });
    messages.push({ role: "assistant", content: response.content });
    if (response.stop_reason !== "tool_use") {
      for (const block of response.content) {
        if (block.type === "text") console.log(block.text);
      }
      break;
    }
    messages.push({
      role: "user",
      content: await codeMode.handleAll(response.content),
    });
  }
}

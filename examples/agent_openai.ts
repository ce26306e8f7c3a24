/**
 * Code mode in an OpenAI Responses API agent loop: execbox's `execute` and
 * `search_tools` as function tools, each `function_call` run by the broker.
 * (`openaiChatTools` does the same for Chat Completions.)
 *
 * Run it with `OPENAI_API_KEY=... deno run -A examples/agent_openai.ts`;
 * without the key it prints the tool definitions and stops.
 *
 * @module
 */

// An example program prints its results.
// deno-lint-ignore-file no-console

import OpenAI from "openai";
import { z } from "zod";
import { createBroker, defineTool } from "../mod.ts";
import { openaiResponsesTools } from "../broker/agents/mod.ts";

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
const codeMode = openaiResponsesTools(broker);

if (!Deno.env.get("OPENAI_API_KEY")) {
  console.log(JSON.stringify(codeMode.tools, null, 2));
} else {
  const client = new OpenAI();
  // The server keeps the conversation: each turn sends only the new items.
  let input: OpenAI.Responses.ResponseInput = [{
    role: "user",
    content: "Is it warmer in Paris or in Oslo tomorrow?",
  }];
  let previous: string | undefined;
  for (let turn = 0; turn < 8; turn++) {
    const response = await client.responses.create({
      model: "gpt-5-mini",
      tools: codeMode.tools,
      input,
      ...(previous === undefined ? {} : { previous_response_id: previous }),
    });
    previous = response.id;
    input = await codeMode.handleAll(response.output);
    if (input.length === 0) {
      console.log(response.output_text);
      break;
    }
  }
}

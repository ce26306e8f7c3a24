/**
 * Code mode with the Vercel AI SDK: execbox's `execute` and `search_tools`
 * as a tool set for `generateText`, which runs the loop itself.
 *
 * Run it with `AI_GATEWAY_API_KEY=... deno run -A examples/agent_vercel_ai.ts`
 * (a model id goes through the AI Gateway); without a key it runs
 * one call as the SDK would and stops.
 *
 * @module
 */

// An example program prints its results.
// deno-lint-ignore-file no-console

import { generateText, jsonSchema, stepCountIs } from "ai";
import { z } from "zod";
import { createBroker, defineTool } from "../mod.ts";
import { vercelAiTools } from "../broker/agents/mod.ts";

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
const tools = vercelAiTools(broker, { jsonSchema });

if (!Deno.env.get("AI_GATEWAY_API_KEY")) {
  console.log(
    await tools.execute.execute({
      code: 'await weather.forecast({ city: "Paris" })',
    }, {}),
  );
} else {
  const { text } = await generateText({
    model: "openai/gpt-5-mini",
    tools,
    stopWhen: stepCountIs(8),
    prompt: "Is it warmer in Paris or in Oslo tomorrow?",
  });
  console.log(text);
}

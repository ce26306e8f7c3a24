/**
 * What a model sends an agent adapter is hostile: inputs of the wrong shape,
 * arguments that are not JSON, a run that never ends, a secret in the
 * environment of a client config. Each must end as an error the model reads,
 * never as an exception in the caller's agent loop or a leaked value.
 */

import assert from "node:assert/strict";
import { z } from "zod";
import { defineTool } from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import {
  anthropicTools,
  openaiChatTools,
  openaiResponsesTools,
} from "../../broker/agents/mod.ts";

Deno.test("anthropicTools() answers an execute input whose code is not a string with a validation error, running nothing", async () => {
  let runs = 0;
  await using broker = await createBroker({
    pool: { size: 0 },
    onRun: () => void runs++,
  });
  const codeMode = anthropicTools(broker);
  const result = await codeMode.handle({
    type: "tool_use",
    id: "toolu_1",
    name: "execute",
    input: { code: ["globalThis"], session: "" },
  });
  assert.deepEqual(result, {
    type: "tool_result",
    tool_use_id: "toolu_1",
    content:
      "error validation_error: Invalid input of execute: code: Invalid input: expected string, received array; session: Too small: expected string to have >=1 characters",
    is_error: true,
  });
  assert.equal(runs, 0);
});

Deno.test("openaiResponsesTools() answers arguments that are not JSON with an error item, not an exception", async () => {
  await using broker = await createBroker({ pool: { size: 0 } });
  const codeMode = openaiResponsesTools(broker);
  const item = await codeMode.handle({
    type: "function_call",
    call_id: "call_1",
    name: "execute",
    arguments: '{"code": "1", ',
  });
  assert.deepEqual(item, {
    type: "function_call_output",
    call_id: "call_1",
    output:
      'error validation_error: The arguments of execute are not JSON: {"code": "1", ',
  });
});

Deno.test("openaiChatTools() cancels a run that never ends when the agent loop's signal aborts", async () => {
  const started = Promise.withResolvers<void>();
  await using broker = await createBroker({
    pool: { size: 1 },
    limits: { timeoutMs: 60_000 },
    providers: {
      signal: {
        started: defineTool({
          description: "Says the run has started",
          input: z.object({}),
          execute: () => started.resolve(),
        }),
      },
    },
  });
  const codeMode = openaiChatTools(broker);
  const controller = new AbortController();
  const reply = codeMode.handle({
    id: "call_1",
    type: "function",
    function: {
      name: "execute",
      arguments: JSON.stringify({
        code: "await signal.started({}); while (true) {}",
      }),
    },
  }, controller.signal);
  // Aborted once the run spins, as a user's Ctrl-C would.
  await started.promise;
  controller.abort();
  const message = await reply;
  assert.equal(message?.role, "tool");
  assert.match(message?.content ?? "", /^error cancelled: /);
});

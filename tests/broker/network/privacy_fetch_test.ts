/**
 * PII tokenization and the guest's `fetch`: a token the model passes in a
 * request reaches the server as the real value, in the URL, a header and the
 * body, while the model only ever sees the token.
 */

import assert from "node:assert/strict";
import { z } from "zod";
import { createBroker, defineTool } from "../../../mod.ts";
import { echo, serveLoopback } from "./_loopback.ts";

Deno.test("Broker.execute() puts real values back into a fetch request that carries tokens", async () => {
  await using api = serveLoopback(echo);
  await using broker = await createBroker({
    pool: { size: 1 },
    privacy: { tokenize: ["email"] },
    network: { allow: [{ origin: api.origin, methods: ["GET", "POST"] }] },
    providers: {
      crm: {
        contact: defineTool({
          input: z.object({}),
          execute: () => ({ email: "ada@example.com" }),
        }),
      },
    },
  });
  const first = await broker.execute(
    `return (await crm.contact({})).email`,
    { caller: "agent", session: "s1" },
  );
  assert.deepEqual(first.ok && first.result, "[EMAIL_1]");
  // The model writes the token; the server gets the address.
  const second = await broker.execute(
    `const r = await fetch("${api.origin}/v1/notify?to=[EMAIL_1]", {
       method: "POST",
       headers: { "x-to": "[EMAIL_1]", "content-type": "application/json" },
       body: JSON.stringify({ to: "[EMAIL_1]" }),
     });
     return (await r.json()).body;`,
    { caller: "agent", session: "s1" },
  );
  const sent = api.requests.at(-1)!;
  assert.equal(
    new URL(sent.url).searchParams.get("to"),
    "ada@example.com",
  );
  assert.equal(sent.headers.get("x-to"), "ada@example.com");
  // What comes back to the model is tokenized again.
  assert.deepEqual(second.ok && second.result, `{"to":"[EMAIL_1]"}`);
  const echoed = await broker.execute(
    `const r = await fetch("${api.origin}/v1/notify", {
       method: "POST",
       body: "to=[EMAIL_1]",
     });
     const { body } = await r.json();
     return body === "to=ada@example.com";`,
    { caller: "agent", session: "s1" },
  );
  assert.deepEqual(echoed.ok && echoed.result, true);
  // Another session cannot resolve the token: it is sent as it is.
  const other = await broker.execute(
    `const r = await fetch("${api.origin}/v1/notify", {
       method: "POST",
       body: "to=[EMAIL_1]",
     });
     return (await r.json()).body;`,
    { caller: "agent", session: "s2" },
  );
  assert.deepEqual(other.ok && other.result, "to=[EMAIL_1]");
});

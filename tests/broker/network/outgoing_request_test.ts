import assert from "node:assert/strict";
import { buildOutgoingRequest } from "../../../broker/network/outgoing_request.ts";
import type { CheckedRule } from "../../../broker/network/allow_list.ts";

const rule: CheckedRule = {
  origin: "https://api.example.com",
  paths: [],
  methods: ["GET"],
  headers: [["authorization", "Bearer rule"]],
};

Deno.test("buildOutgoingRequest() drops connection headers and Host, and the rule's headers win", () => {
  const request = buildOutgoingRequest(
    {
      url: new URL("https://api.example.com/x"),
      method: "GET",
      guestHeaders: [
        ["host", "internal.example"],
        ["connection", "upgrade"],
        ["proxy-authorization", "Basic x"],
        ["Authorization", "Bearer guest"],
        ["accept", "text/plain"],
      ],
      body: undefined,
      crossOrigin: false,
    },
    rule,
    new AbortController().signal,
  );
  assert.deepEqual([...request.headers], [
    ["accept", "text/plain"],
    ["authorization", "Bearer rule"],
  ]);
  assert.equal(request.redirect, "manual");
});

Deno.test("buildOutgoingRequest() drops the guest's Authorization and Cookie on another origin", () => {
  const request = buildOutgoingRequest(
    {
      url: new URL("https://api.example.com/x"),
      method: "GET",
      guestHeaders: [["authorization", "Bearer guest"], ["cookie", "a=1"], [
        "x-keep",
        "1",
      ]],
      body: undefined,
      crossOrigin: true,
    },
    { ...rule, headers: [] },
    new AbortController().signal,
  );
  assert.deepEqual([...request.headers], [["x-keep", "1"]]);
});

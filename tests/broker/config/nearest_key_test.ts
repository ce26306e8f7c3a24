import assert from "node:assert/strict";
import { nearestKey } from "../../../broker/config/nearest_key.ts";

const TOP_LEVEL = ["$schema", "mcpServers", "limits", "pool", "http"];
const TYPES = ["stdio", "http", "streamable-http", "sse"];

Deno.test("nearestKey() suggests a key one edit away", () => {
  assert.equal(nearestKey("mcpServer", TOP_LEVEL), "mcpServers");
  assert.equal(nearestKey("limts", TOP_LEVEL), "limits");
});

Deno.test("nearestKey() counts a swap of adjacent letters as one edit", () => {
  // Two edits apart for plain Levenshtein, beyond the limit of a 4-letter word.
  assert.equal(nearestKey("htpt", TYPES), "http");
});

Deno.test("nearestKey() ignores case and returns the candidate as spelled", () => {
  assert.equal(nearestKey("MEMORYMB", ["timeoutMs", "memoryMb"]), "memoryMb");
});

Deno.test("nearestKey() prefers the closest candidate over an earlier one", () => {
  assert.equal(nearestKey("tokem", ["tokens", "token"]), "token");
});

Deno.test("nearestKey() allows a third of the longer word in edits", () => {
  assert.equal(nearestKey("maxQuexx", ["maxQueue"]), "maxQueue");
  assert.equal(nearestKey("maxQuxxx", ["maxQueue"]), undefined);
  assert.equal(nearestKey("ssee", TYPES), "sse");
});

Deno.test("nearestKey() falls back to a candidate containing the word or contained in it", () => {
  assert.equal(
    nearestKey("tools", ["allowTools", "denyTools"]),
    "allowTools",
  );
  assert.equal(nearestKey("httpServerConfig", TYPES), "http");
});

Deno.test("nearestKey() does not match by containment under three letters", () => {
  assert.equal(nearestKey("ab", ["abcdef"]), undefined);
  assert.equal(nearestKey("xyzab", ["ab"]), undefined);
});

Deno.test("nearestKey() returns undefined when nothing is close", () => {
  assert.equal(nearestKey("unrelated", TOP_LEVEL), undefined);
  assert.equal(nearestKey("mcpServers", []), undefined);
});

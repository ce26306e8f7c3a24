import assert from "node:assert/strict";
import { redactValue } from "../../broker/redact.ts";

Deno.test("redactValue() replaces a secret in keys and values", () => {
  assert.deepEqual(
    redactValue({ "id-abc123": ["abc123", "x abc123 y"] }, ["abc123"]),
    { "id-[redacted]": ["[redacted]", "x [redacted] y"] },
  );
});

Deno.test("redactValue() still redacts each string when a secret spans JSON syntax", () => {
  // `k":"v` occurs in the JSON text `{"k":"v",...}`: replacing it there would
  // break the text, so each key and string is redacted on its own.
  const secret = 'k":"v';
  assert.deepEqual(redactValue({ k: "v", note: `see ${secret}` }, [secret]), {
    k: "v",
    note: "see [redacted]",
  });
});

Deno.test("redactValue() returns a value without secrets as it is", () => {
  const value = { a: 1 };
  assert.equal(redactValue(value, ["abc123"]), value);
  assert.equal(redactValue(undefined, ["abc123"]), undefined);
});

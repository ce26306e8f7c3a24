import assert from "node:assert/strict";
import {
  importTokenKey,
  openTokens,
  sealTokens,
} from "../../../broker/privacy/token_crypto.ts";

const ENTRIES: [string, string][] = [["[EMAIL_1]", "ann@example.com"]];

Deno.test("sealTokens() hides the values, and openTokens() needs the same key and scope", async () => {
  const key = await importTokenKey("a key of sixteen chars");
  const sealed = await sealTokens(key, "scope-a", ENTRIES);
  assert.doesNotMatch(sealed, /ann|example|EMAIL/);
  assert.deepEqual(await openTokens(key, "scope-a", sealed), ENTRIES);
  await assert.rejects(
    () => openTokens(key, "scope-b", sealed),
    /cannot be decrypted/,
  );
  const other = await importTokenKey("another key of sixteen chars");
  await assert.rejects(
    () => openTokens(other, "scope-a", sealed),
    /cannot be decrypted/,
  );
  await assert.rejects(() => openTokens(key, "scope-a", "v1.!!"), /format/);
  await assert.rejects(
    () => importTokenKey("short"),
    { name: "TypeError", message: /at least 16 characters, got 5 characters/ },
  );
});

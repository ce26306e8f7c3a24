/**
 * The security suite runs in both isolation modes only if every test builds
 * its broker through `_broker.ts`, which reads `EXECBOX_TEST_ISOLATION`: a
 * test that imports `createBroker` from `mod.ts` would run in process mode
 * twice and never attack isolate mode.
 */

import assert from "node:assert/strict";

Deno.test("every security test builds its broker through _broker.ts, so it runs in both isolation modes", async () => {
  const dir = new URL("./", import.meta.url);
  const direct: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith("_test.ts")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, dir));
    if (
      /import\s*\{[^}]*\bcreateBroker\b[^}]*\}\s*from\s*"\.\.\/\.\.\/mod\.ts"/
        .test(text)
    ) direct.push(entry.name);
  }
  assert.deepEqual(direct, []);
});

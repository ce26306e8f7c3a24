import assert from "node:assert/strict";
import { cli } from "./_cli.ts";

Deno.test("execbox run tokenizes the result, logs and errors with privacy in execbox.jsonc", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = `${dir}/execbox.jsonc`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        privacy: { tokenize: ["email"], key: "${PRIVACY_KEY}" },
      }),
    );
    const env = { PRIVACY_KEY: "a privacy key of 16+ chars" };
    const run = await cli([
      "run",
      "--config",
      config,
      "--json",
      "-e",
      'console.log("from ann@example.com"); ["ann@example.com", "bob@example.com"]',
    ], { env });
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.deepEqual(result.result, ["[EMAIL_1]", "[EMAIL_2]"]);
    assert.deepEqual(result.logs, [
      { level: "log", message: "from [EMAIL_1]" },
    ]);
    const failed = await cli([
      "run",
      "--config",
      config,
      "-e",
      'throw new Error("no ann@example.com")',
    ], { env });
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /no \[EMAIL_1\]/);
    assert.doesNotMatch(failed.stdout + failed.stderr, /ann@/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { cli, withNotesConfig } from "./_cli.ts";

Deno.test("execbox tools shows the return types execbox run learned, kept in inference.file", async () => {
  await withNotesConfig(async (config, dir) => {
    const before = await cli(["tools", "--config", config]);
    assert.equal(before.code, 0);
    assert.match(
      before.stdout,
      /function list_notes\(input\?: \{\}\): Promise<unknown>;/,
    );

    const run = await cli([
      "run",
      "--config",
      config,
      "-e",
      "(await notes.list_notes()).length",
    ]);
    assert.deepEqual(run, { code: 0, stdout: "1\n", stderr: "" });
    const file = `${dir}/shapes.json`;
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);

    const after = await cli(["tools", "--config", config]);
    assert.equal(after.code, 0);
    assert.equal(after.stderr, "");
    assert.match(
      after.stdout,
      / {2}\/\*\* Lists the titles of every note\n {3}\* Return type inferred from results\. \*\/\n {2}function list_notes\(input\?: \{\}\): Promise<string\[\]>;/,
    );
    // get_note was never called: still unknown.
    assert.match(
      after.stdout,
      /function get_note\(input: \{ title: string \}\): Promise<unknown>;/,
    );
  }, { inference: { file: "shapes.json" } });
});

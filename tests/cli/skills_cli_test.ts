import assert from "node:assert/strict";
import { cli, withNotesConfig } from "./_cli.ts";
import { redisSkipReason, startRedis } from "../_redis.ts";

Deno.test("execbox skills lists what execbox run saved in skills.file and the pre-loaded folder, and removes one", async () => {
  await withNotesConfig(async (config, dir) => {
    await Deno.mkdir(`${dir}/preload`);
    await Deno.writeTextFile(
      `${dir}/preload/note_count.ts`,
      "/**\n * Counts the notes.\n * @signature () => Promise<number>\n */\nreturn (await notes.list_notes()).length;\n",
    );
    const saved = await cli([
      "run",
      "--config",
      config,
      "-e",
      'await skills.save({ name: "first_note", description: "The first note\'s title", code: "return (await notes.list_notes())[0]" }); await skills.note_count()',
    ]);
    assert.deepEqual(saved, { code: 0, stdout: "1\n", stderr: "" });
    assert.equal(
      (await Deno.stat(`${dir}/skills.json`)).mode! & 0o777,
      0o600,
    );

    const called = await cli([
      "run",
      "--config",
      config,
      "-e",
      "await skills.first_note()",
    ]);
    assert.equal(called.code, 0);
    assert.match(called.stdout, /^".+"\n$/);

    const list = await cli(["skills", "list", "--config", config]);
    assert.deepEqual(list, {
      code: 0,
      stdout: "*\tnote_count\t() => Promise<number>\tCounts the notes.\n" +
        "library\tfirst_note\t(args?: unknown)\tThe first note's title\n",
      stderr: "",
    });

    const removed = await cli([
      "skills",
      "remove",
      "library",
      "first_note",
      "--config",
      config,
    ]);
    assert.deepEqual(removed, {
      code: 0,
      stdout: "removed library first_note\n",
      stderr: "",
    });
    const again = await cli([
      "skills",
      "remove",
      "library",
      "first_note",
      "--config",
      config,
    ]);
    assert.equal(again.code, 1);
    assert.equal(
      again.stderr.split("\n")[0],
      'error: Caller "library" has no skill named "first_note"',
    );
    const json = await cli(["skills", "list", "--json", "--config", config]);
    assert.deepEqual(
      JSON.parse(json.stdout).map((r: { caller: string }) => r.caller),
      ["*"],
    );
  }, { skills: { file: "skills.json", preload: "preload" } });
});

Deno.test("execbox skills rejects an unknown action with a usage error", async () => {
  const result = await cli(["skills", "purge"]);
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    'error: unknown action "purge" (expected list or remove)\nhint: run "execbox skills --help" for usage\n',
  );
});

Deno.test({
  name:
    "execbox skills lists and removes the skills kept in the shared Redis store",
  ignore: redisSkipReason !== undefined,
  fn: async () => {
    await using redis = await startRedis();
    const env = { REDIS_URL: redis.url };
    await withNotesConfig(async (config) => {
      const saved = await cli([
        "run",
        "--config",
        config,
        "-e",
        'await skills.save({ name: "twice", description: "Doubles", code: "return args * 2" }); 1',
      ], { env });
      assert.deepEqual(saved, { code: 0, stdout: "1\n", stderr: "" });
      const list = await cli(["skills", "list", "--config", config], { env });
      assert.deepEqual(list, {
        code: 0,
        stdout: "library\ttwice\t(args?: unknown)\tDoubles\n",
        stderr: "",
      });
      const removed = await cli(
        ["skills", "remove", "library", "twice", "--config", config],
        { env },
      );
      assert.deepEqual(removed, {
        code: 0,
        stdout: "removed library twice\n",
        stderr: "",
      });
      const after = await cli(["skills", "list", "--config", config], { env });
      assert.deepEqual(after, { code: 0, stdout: "", stderr: "" });
    }, { store: { redis: "${REDIS_URL}", prefix: "skills-cli:" } });
  },
});

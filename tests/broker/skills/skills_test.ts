/**
 * Saved skills through the library: save in one run, call in the next,
 * scoped per caller, declared in types() and search, deleted, refused when
 * they do not parse or pass a cap, pre-loaded from a folder, and disabled.
 */

import assert from "node:assert/strict";
import type { AuditRecord, ToolCall } from "../../../mod.ts";
import {
  FileSkillStore,
  MemorySkillStore,
  readSkillFolder,
  SKILL_CAPS,
} from "../../../mod.ts";
import { failure, saveCode, skillBroker, value } from "./_skills.ts";

const QUAD = {
  name: "quad",
  description: "Quadruples a number with two calls to math.double",
  code:
    "const twice: number = await math.double({ n: args.n });\nreturn await math.double({ n: twice });",
  signature: "(args: { n: number }) => Promise<number>",
};

Deno.test("Broker.execute() runs a skill saved by an earlier run of the same caller", async () => {
  await using broker = await skillBroker();
  assert.equal(
    value(await broker.execute(saveCode(QUAD), { caller: "alice" })),
    "saved",
  );
  assert.equal(
    value(
      await broker.execute("await skills.quad({ n: 3 })", { caller: "alice" }),
    ),
    12,
  );
  assert.deepEqual(
    value(await broker.execute("await skills.list()", { caller: "alice" })),
    [{
      name: "quad",
      description: QUAD.description,
      signature: QUAD.signature,
    }],
  );
  assert.deepEqual(broker.skills({ caller: "alice" }), [{
    name: "quad",
    description: QUAD.description,
    signature: QUAD.signature,
  }]);
});

Deno.test("Broker.execute() scopes skills to their caller", async () => {
  await using broker = await skillBroker();
  value(await broker.execute(saveCode(QUAD), { caller: "alice" }));
  assert.equal(
    value(await broker.execute("typeof skills.quad", { caller: "bob" })),
    "undefined",
  );
  assert.deepEqual(
    value(await broker.execute("await skills.list()", { caller: "bob" })),
    [],
  );
  assert.equal(
    value(await broker.execute("typeof skills.quad")),
    "undefined",
  );
  // Bob's own skill of the same name leaves Alice's alone.
  value(
    await broker.execute(
      saveCode({ ...QUAD, code: "return -1", signature: undefined }),
      { caller: "bob" },
    ),
  );
  assert.equal(
    value(
      await broker.execute("await skills.quad({ n: 1 })", { caller: "bob" }),
    ),
    -1,
  );
  assert.equal(
    value(
      await broker.execute("await skills.quad({ n: 1 })", { caller: "alice" }),
    ),
    4,
  );
  assert.equal(
    value(
      await broker.execute('await skills.delete("quad")', { caller: "bob" }),
    ),
    true,
  );
  assert.equal(
    value(
      await broker.execute("await skills.quad({ n: 2 })", { caller: "alice" }),
    ),
    8,
  );
});

Deno.test("Broker.types() and Broker.searchTools() show the caller's skills", async () => {
  await using broker = await skillBroker();
  value(await broker.execute(saveCode(QUAD), { caller: "alice" }));
  const types = broker.types({ caller: "alice" });
  assert.match(
    types,
    / {2}\/\*\* Quadruples a number with two calls to math\.double \*\/\n {2}quad: \(args: \{ n: number \}\) => Promise<number>;\n\};\n$/,
  );
  assert.equal(broker.types({ caller: "bob" }).includes("quad"), false);
  assert.equal(broker.types().includes("skills"), false);

  assert.deepEqual(broker.searchTools("quadruples", { caller: "alice" }), [{
    namespace: "skills",
    name: "quad",
    path: "skills.quad",
    description: "Quadruples a number with two calls to math.double",
    declaration:
      "/** Quadruples a number with two calls to math.double */\nconst quad: (args: { n: number }) => Promise<number>;",
  }]);
  assert.deepEqual(broker.searchTools("quadruples", { caller: "bob" }), []);
  // Tools and skills together, with the detail asked for.
  assert.deepEqual(
    broker.searchTools("double", { caller: "alice", detail: "name" }),
    [
      { namespace: "math", name: "double", path: "math.double" },
      { namespace: "skills", name: "quad", path: "skills.quad" },
    ],
  );
});

Deno.test("Broker.execute() turns what a skill throws into a catchable error naming the skill", async () => {
  await using broker = await skillBroker();
  value(
    await broker.execute(
      saveCode({
        name: "explode",
        description: "Always fails",
        code: 'throw new RangeError("the fuse was short")',
      }),
    ),
  );
  assert.deepEqual(
    value(
      await broker.execute(`
        try {
          await skills.explode();
          return "no error";
        } catch (error) {
          return [error.message, error.skill, error.code, error.cause.message];
        }`),
    ),
    [
      'Skill "explode" failed: RangeError: the fuse was short',
      "explode",
      "runtime_error",
      "the fuse was short",
    ],
  );
  assert.deepEqual(failure(await broker.execute("await skills.explode()")), {
    code: "runtime_error",
    message: 'Skill "explode" failed: RangeError: the fuse was short',
  });
  // A tool error inside a skill keeps its code.
  value(
    await broker.execute(
      saveCode({
        name: "bad_call",
        description: "Calls a tool wrongly",
        code: 'return await math.double({ n: "x" })',
      }),
    ),
  );
  const bad = failure(await broker.execute("await skills.bad_call()"));
  assert.equal(bad.code, "validation_error");
  assert.match(
    String(bad.message),
    /^Skill "bad_call" failed: Invalid input for math\.double: /,
  );
});

Deno.test("Broker.execute() records a skill's tool calls under its name in the audit record and onToolCall", async () => {
  const records: AuditRecord[] = [];
  const calls: ToolCall[] = [];
  await using broker = await skillBroker({
    onRun: (record) => void records.push(record),
    onToolCall: (call) => void calls.push(call),
  });
  value(await broker.execute(saveCode(QUAD)));
  records.length = 0;
  calls.length = 0;
  const run = await broker.execute(
    "(await math.double({ n: 1 })) + (await skills.quad({ n: 1 }))",
  );
  assert.equal(value(run), 6);
  // A skill call is code, not a tool call: three calls counted, not four.
  assert.equal(run.stats.toolCalls, 3);
  assert.deepEqual(
    records[0]!.calls.map((c) => [c.tool, c.skill]),
    [["math.double", undefined], ["math.double", "quad"], [
      "math.double",
      "quad",
    ]],
  );
  assert.deepEqual(calls.map((c) => c.skill), [undefined, "quad", "quad"]);
});

Deno.test("skills.save() refuses code and signatures that do not parse, with a catchable tool_error", async () => {
  await using broker = await skillBroker();
  assert.equal(
    value(
      await broker.execute(
        saveCode({ name: "broken", description: "x", code: "return (1 +" }),
      ),
    ),
    'tool_error: Skill "broken" has code that does not parse: Expression expected at line 1, column 12',
  );
  assert.equal(
    value(
      await broker.execute(
        saveCode({
          name: "typed",
          description: "x",
          code: "return 1",
          signature: "number",
        }),
      ),
    ),
    'tool_error: Skill "typed" has a signature that does not parse: Signature is not one function type at line 1, column 1',
  );
  assert.match(
    String(
      value(
        await broker.execute(
          saveCode({
            name: "typed",
            description: "x",
            code: "return 1",
            signature: "() => Promise<number>; declare const leak: string",
          }),
        ),
      ),
    ),
    /^tool_error: Skill "typed" has a signature that does not parse: /,
  );
  assert.deepEqual(broker.skills(), []);
});

Deno.test("skills.save() refuses reserved and invalid names", async () => {
  await using broker = await skillBroker();
  const refused = async (name: unknown) =>
    value(
      await broker.execute(
        saveCode({ name, description: "x", code: "return 1" }),
      ),
    );
  for (const name of ["save", "list", "delete", "__proto__"]) {
    assert.equal(
      await refused(name),
      `tool_error: Skill name "${name}" is reserved`,
    );
  }
  for (const name of ["class", "two words", "", "x".repeat(65), "ünï"]) {
    assert.equal(
      await refused(name),
      `tool_error: Skill name ${
        JSON.stringify(name)
      } is not an identifier of 1 to 64 characters (letters, digits, _ and $, not a reserved word)`,
    );
  }
  assert.equal(
    await refused(7),
    "tool_error: Skill name must be a string, got number",
  );
  assert.deepEqual(broker.skills(), []);
});

Deno.test("skills.save() enforces the size of a skill and the count and size of a caller's skills", async () => {
  await using broker = await skillBroker();
  const big = "x".repeat(SKILL_CAPS.maxSkillBytes);
  assert.equal(
    value(
      await broker.execute(
        saveCode({ name: "huge", description: "d", code: `return "${big}"` }),
      ),
    ),
    `tool_error: Skill "huge" is ${
      SKILL_CAPS.maxSkillBytes + 10
    } bytes, more than the limit of ${SKILL_CAPS.maxSkillBytes}`,
  );
  // Count: 50 small skills fit, the 51st does not; replacing one still does.
  assert.equal(
    value(
      await broker.execute(
        `
        for (let i = 0; i < ${SKILL_CAPS.maxSkillsPerCaller}; i++) {
          await skills.save({ name: "s" + i, description: "d", code: "return " + i });
        }
        (await skills.list()).length`,
        {
          caller: "counter",
          limits: { maxToolCalls: 100 },
        },
      ),
    ),
    SKILL_CAPS.maxSkillsPerCaller,
  );
  assert.equal(
    value(
      await broker.execute(
        saveCode({ name: "one_more", description: "d", code: "return 1" }),
        { caller: "counter" },
      ),
    ),
    `tool_error: Cannot save skill "one_more": a caller may keep ${SKILL_CAPS.maxSkillsPerCaller} skills (delete one first)`,
  );
  assert.equal(
    value(
      await broker.execute(
        saveCode({ name: "s0", description: "d", code: "return 100" }),
        { caller: "counter" },
      ),
    ),
    "saved",
  );
  // Total bytes: 16 skills of ~16 KiB reach 256 KiB; the 17th is refused.
  const chunk = "y".repeat(SKILL_CAPS.maxSkillBytes - 20);
  const run = await broker.execute(
    `
    const out = [];
    for (let i = 0; i < 17; i++) {
      try {
        await skills.save({ name: "b" + i, description: "d", code: "return '" + ${
      JSON.stringify(chunk)
    } + "'" });
        out.push("saved");
      } catch (error) {
        out.push(error.code + ": " + error.message);
      }
    }
    out`,
    { caller: "bulk", limits: { maxToolCalls: 100 } },
  );
  const outcomes = value(run) as string[];
  assert.deepEqual(outcomes.slice(0, 16), Array(16).fill("saved"));
  assert.match(
    outcomes[16]!,
    /^tool_error: Cannot save skill "b16": the caller's skills would be \d+ bytes, more than the limit of 262144$/,
  );
  assert.equal(broker.skills({ caller: "bulk" }).length, 16);
});

Deno.test("Broker pre-loads a folder of skills for every caller, which none may replace or delete", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/octuple.ts`,
      "/**\n * Multiplies by eight.\n * @signature (args: { n: number }) => Promise<number>\n */\nconst four: number = await math.double({ n: await math.double({ n: args.n }) });\nreturn await math.double({ n: four });\n",
    );
    await using broker = await skillBroker({ skills: { preload: dir } });
    for (const caller of ["alice", "bob"]) {
      assert.equal(
        value(
          await broker.execute("await skills.octuple({ n: 2 })", { caller }),
        ),
        16,
      );
    }
    assert.deepEqual(broker.skills({ caller: "alice" }), [{
      name: "octuple",
      description: "Multiplies by eight.",
      signature: "(args: { n: number }) => Promise<number>",
      preloaded: true,
    }]);
    assert.equal(
      value(
        await broker.execute(
          saveCode({ name: "octuple", description: "x", code: "return 0" }),
        ),
      ),
      'tool_error: Skill "octuple" is pre-loaded by the operator',
    );
    assert.deepEqual(
      value(
        await broker.execute(`
        try { await skills.delete("octuple") } catch (e) { return e.message }`),
      ),
      'Skill "octuple" is pre-loaded by the operator and cannot be deleted',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createBroker() rejects a pre-loaded skill that does not parse, naming it", async () => {
  await assert.rejects(
    skillBroker({
      skills: {
        preload: [{ name: "broken", description: "x", code: "return (" }],
      },
    }),
    {
      name: "TypeError",
      message:
        'Cannot pre-load a skill: Skill "broken" has code that does not parse: Expression expected at line 1, column 9',
    },
  );
});

Deno.test("readSkillFolder() refuses a file without a description comment", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/bare.ts`, "return 1;\n");
    await assert.rejects(readSkillFolder(dir), {
      name: "TypeError",
      message:
        'Skill file "bare.ts" does not start with a /** description */ comment',
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("skills: { enabled: false } leaves no skills global and no declaration", async () => {
  await using broker = await skillBroker({ skills: { enabled: false } });
  assert.equal(value(await broker.execute("typeof skills")), "undefined");
  assert.equal(broker.types().includes("skills"), false);
  assert.equal(broker.skillsEnabled, false);
});

Deno.test("FileSkillStore keeps skills across brokers, in a file of mode 0600", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/state/skills.json`;
  try {
    {
      await using broker = await skillBroker({
        skills: { store: new FileSkillStore({ file }) },
      });
      value(await broker.execute(saveCode(QUAD), { caller: "alice" }));
    }
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    await using broker = await skillBroker({
      skills: { store: new FileSkillStore({ file }) },
    });
    assert.equal(
      value(
        await broker.execute("await skills.quad({ n: 5 })", {
          caller: "alice",
        }),
      ),
      20,
    );
    assert.equal(
      value(
        await broker.execute('await skills.delete("quad")', {
          caller: "alice",
        }),
      ),
      true,
    );
    assert.deepEqual(await new FileSkillStore({ file }).load(), {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MemorySkillStore scopes skills by caller", async () => {
  const store = new MemorySkillStore();
  const skill = {
    ...QUAD,
    js: '(async function () {"use strict";return 1\n})',
    savedAt: new Date(0).toISOString(),
  };
  await store.save("alice", skill);
  assert.deepEqual(await store.load(), { alice: [skill] });
  assert.equal(await store.delete("bob", "quad"), false);
  assert.equal(await store.delete("alice", "quad"), true);
  assert.deepEqual(await store.load(), {});
});

Deno.test("Broker.types() declares a skill so that deno check holds a program to its signature", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using broker = await skillBroker();
    value(await broker.execute(saveCode(QUAD), { caller: "alice" }));
    await Deno.writeTextFile(
      `${dir}/types.d.ts`,
      broker.types({ caller: "alice" }),
    );
    const check = async (program: string) => {
      await Deno.writeTextFile(
        `${dir}/main.ts`,
        `/// <reference path="./types.d.ts" />\nexport async function main() {\n${program}\n}\n`,
      );
      const { success, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["check", "--no-config", "--no-lock", "main.ts"],
        cwd: dir,
        env: { NO_COLOR: "1" },
        stdout: "null",
        stderr: "piped",
      }).output();
      return { success, stderr: new TextDecoder().decode(stderr) };
    };
    assert.equal(
      (await check(
        "const n: number = await skills.quad({ n: 2 });\nawait skills.list();\nreturn n;",
      )).success,
      true,
    );
    const wrong = await check(
      'const s: string = await skills.quad({ n: "2" });\nreturn s;',
    );
    assert.equal(wrong.success, false);
    assert.match(wrong.stderr, /TS2322|TS2345/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createBroker() refuses a provider or MCP server named skills or state", async () => {
  for (const name of ["skills", "state"]) {
    await assert.rejects(
      skillBroker({ providers: { [name]: {} }, pool: { size: 0 } }),
      {
        name: "TypeError",
        message:
          `Provider name "${name}" is a global of the guest (try "${name}__2")`,
      },
    );
    await assert.rejects(
      skillBroker({
        mcpServers: { [name]: { command: "never-started" } },
        pool: { size: 0 },
      }),
      {
        name: "TypeError",
        message:
          `Provider name "${name}" is a global of the guest (try "${name}__2")`,
      },
    );
  }
});

Deno.test("createBroker() fails on a skill file it cannot parse rather than dropping its skills", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/skills.json`, "{ not json");
    await assert.rejects(
      skillBroker({
        skills: { store: new FileSkillStore({ file: `${dir}/skills.json` }) },
        pool: { size: 0 },
      }),
      (error: Error) =>
        error.message.startsWith("Cannot read the skill file: "),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Broker.execute() lets a skill declare a name a namespace has, as a run's code may", async () => {
  await using broker = await skillBroker();
  value(
    await broker.execute(
      saveCode({
        name: "shadow",
        description: "Declares math and args again",
        code:
          "const n: number = args.n; { const math = { double: () => -1 }; if (math.double() !== -1) throw new Error('no'); }\nconst skills = 0;\nreturn await globalThis.math.double({ n }) + skills",
      }),
    ),
  );
  assert.equal(value(await broker.execute("await skills.shadow({ n: 4 })")), 8);
  value(
    await broker.execute(
      saveCode({
        name: "redeclare",
        description: "Declares math at the top of its body",
        code: "const math = 2; return math * args",
      }),
    ),
  );
  assert.equal(value(await broker.execute("await skills.redeclare(21)")), 42);
});

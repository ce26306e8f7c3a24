import assert from "node:assert/strict";
import { join } from "node:path";
import { createBroker, FileShapeStore } from "../../../mod.ts";
import { everythingServer } from "../../_mcp_servers.ts";

const SECRET = "tok-3f9a1c77e2b64d0e";

/** `deno check` of a program against the declarations, in a temporary directory. */
async function denoCheck(
  dir: string,
  declarations: string,
  program: string,
): Promise<{ ok: boolean; output: string }> {
  await Deno.writeTextFile(join(dir, "types.d.ts"), declarations);
  await Deno.writeTextFile(
    join(dir, "main.ts"),
    `/// <reference path="./types.d.ts" />\nexport async function main() {\n${program}\n}\n`,
  );
  const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--no-config", "--no-lock", "main.ts"],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { ok: success, output: decode(stdout) + decode(stderr) };
}

function declarationOf(types: string, namespace: string, tool: string): string {
  const block = types.split(`declare namespace ${namespace} {\n`)[1]!;
  const line = block.split("\n").find((l) =>
    l.startsWith(`  function ${tool}(`)
  );
  return line!.trim();
}

Deno.test("Broker learns the return types of server-everything's tools; deno check holds a guest program to them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "shapes.json");
    await using broker = await createBroker({
      mcpServers: {
        everything: everythingServer({ EXECBOX_TEST_TOKEN: SECRET }),
        // Opted out: its tools stay Promise<unknown>.
        quiet: { ...everythingServer(), inferOutput: false },
      },
      pool: { size: 1 },
      inference: { store: new FileShapeStore({ file }) },
    });
    // server-everything publishes no outputSchema for these.
    assert.equal(
      broker.tools().find((t) => t.name === "get_resource_links")!.outputSchema,
      undefined,
    );
    const before = broker.types();
    assert.equal(
      declarationOf(before, "everything", "get_resource_links"),
      "function get_resource_links(input?: { /** Number of resource links to return (1-10) (minimum: 1, maximum: 10, default: 3) */ count?: number }): Promise<unknown>;",
    );

    const program = `
      const links = await everything.get_resource_links({ count: 2 });
      const env = await everything.get_env();
      return links.map((link) => \`\${link.type}:\${link.uri ?? link.text ?? ""}\`)
        .concat(String(env.HOME.length > 0));`;
    // Before anything is learned, the model cannot use a field.
    const unlearned = await denoCheck(dir, before, program);
    assert.equal(unlearned.ok, false);
    assert.match(unlearned.output, /'links' is of type 'unknown'/);

    const run = await broker.execute(`
      ${program}
    `);
    assert.equal(run.ok, true, JSON.stringify(run));
    const quiet = await broker.execute(
      `await quiet.get_env(); await quiet.get_resource_links({ count: 1 })`,
    );
    assert.equal(quiet.ok, true);

    const after = broker.types();
    assert.equal(
      declarationOf(after, "everything", "get_resource_links"),
      "function get_resource_links(input?: { /** Number of resource links to return (1-10) (minimum: 1, maximum: 10, default: 3) */ count?: number }): Promise<{ type: string; text?: string; name?: string; uri?: string; description?: string; mimeType?: string }[]>;",
    );
    assert.match(
      declarationOf(after, "everything", "get_env"),
      /^function get_env\(input\?: \{\}\): Promise<\{ .*EXECBOX_TEST_TOKEN: string[;} ].*>;$/,
    );
    assert.match(
      after,
      /Returns all environment variables.*\n {3}\* Return type inferred from results\. \*\//,
    );
    assert.match(
      declarationOf(after, "quiet", "get_env"),
      /Promise<unknown>;$/,
    );

    const good = await denoCheck(dir, after, program);
    assert.equal(good.ok, true, good.output);
    const wrongField = await denoCheck(
      dir,
      after,
      `const links = await everything.get_resource_links({});\nreturn links.map((link) => link.url);`,
    );
    assert.equal(wrongField.ok, false);
    assert.match(wrongField.output, /Property 'url' does not exist/);
    const wrongType = await denoCheck(
      dir,
      after,
      `const env = await everything.get_env();\nreturn env.HOME.toFixed(1);`,
    );
    assert.equal(wrongType.ok, false);
    assert.match(
      wrongType.output,
      /Property 'toFixed' does not exist on type 'string'/,
    );

    // The store holds names, never what the tools returned.
    await broker.close();
    const stored = await Deno.readTextFile(file);
    assert.equal(stored.includes("EXECBOX_TEST_TOKEN"), true);
    assert.equal(stored.includes(SECRET), false);
    assert.equal(stored.includes("demo://resource"), false);
    assert.equal(stored.includes("quiet"), false);
    assert.equal(after.includes(SECRET), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

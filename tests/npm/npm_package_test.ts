/**
 * The npm package as a Node.js user gets it: `npm-build.ts` builds it, `npm
 * pack` packs it, and the tarball is installed with `--ignore-scripts` into a
 * fresh project, where the Node.js tests of `node/` run with no `deno` on
 * PATH, and `npx execbox run` runs code with the Deno binary inside the
 * installed package.
 *
 * Needs `node` and `npm` (20 or later) and the npm registry (or a warm npm
 * cache: installs prefer it).
 */

import assert from "node:assert/strict";
import { delimiter, join } from "node:path";
import { fromFileUrl } from "../_paths.ts";
import rootJson from "../../deno.json" with { type: "json" };

const _REPO = fromFileUrl(new URL("../../", import.meta.url));
const _NODE_TESTS = fromFileUrl(new URL("./node/", import.meta.url));
// The same version the Deno tests use (tests/_mcp_servers.ts).
const _SERVER_MEMORY = "@modelcontextprotocol/server-memory@2026.8.31";

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

function _exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The host's environment without Deno: no PATH directory with a `deno`. */
async function _environment(scratch: string): Promise<Record<string, string>> {
  const env = Deno.env.toObject();
  const path = (env.PATH ?? "").split(delimiter).filter((dir) =>
    dir !== "" && !_exists(join(dir, "deno"))
  );
  // When `npx deno` runs the tests, npm has exported its own state (prefixes,
  // the running script): the installs below must not inherit it.
  for (const name of Object.keys(env)) {
    if (
      name === "EXECBOX_DENO" || name === "INIT_CWD" ||
      (/^npm_/i.test(name) && !/^npm_config_/i.test(name)) ||
      /^npm_config_(prefix|local_prefix|global_prefix|global)$/i.test(name)
    ) {
      delete env[name];
    }
  }
  // If node and npm shared a directory with deno, reach them through links.
  const missing = ["node", "npm", "npx"].filter((tool) =>
    !path.some((dir) => _exists(join(dir, tool)))
  );
  if (missing.length > 0) {
    const bin = join(scratch, "bin");
    await Deno.mkdir(bin);
    for (const tool of missing) {
      const found = (env.PATH ?? "").split(delimiter).map((dir) =>
        join(dir, tool)
      ).find(_exists);
      assert.ok(
        found,
        `"${tool}" is not on PATH: the npm package test needs Node.js and npm`,
      );
      await Deno.symlink(await Deno.realPath(found), join(bin, tool));
    }
    path.unshift(bin);
  }
  return {
    ...env,
    PATH: path.join(delimiter),
    npm_config_prefer_offline: "true",
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
    NO_COLOR: "1",
  };
}

async function _run(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<Output> {
  const output = await new Deno.Command(command, {
    args,
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: output.code,
    stdout: decode(output.stdout),
    stderr: decode(output.stderr),
  };
}

function _assertOk(output: Output, what: string): void {
  assert.equal(
    output.code,
    0,
    `${what} failed (exit code ${output.code}):\n${output.stdout}\n${output.stderr}`,
  );
}

Deno.test({
  name:
    "npm package: installed from its tarball with --ignore-scripts, it runs on Node.js without deno on PATH",
  async fn(t) {
    const scratch = await Deno.makeTempDir({ prefix: "execbox-npm-" });
    try {
      const env = await _environment(scratch);
      const out = join(scratch, "package");
      const project = join(scratch, "project");
      let tarball = "";

      await t.step("npm-build.ts builds the package", async () => {
        _assertOk(
          await _run(
            Deno.execPath(),
            ["run", "-A", "npm-build.ts", "--out-dir", out],
            _REPO,
            env,
          ),
          "npm-build.ts",
        );
        const pkg = JSON.parse(
          await Deno.readTextFile(join(out, "package.json")),
        );
        assert.equal(pkg.name, rootJson.name);
        assert.equal(pkg.version, rootJson.version);
        assert.deepEqual(
          Object.keys(pkg.exports),
          Object.keys(rootJson.exports),
        );
        assert.deepEqual(pkg.bin, { execbox: "./bin/execbox.js" });
        assert.equal(pkg.engines.node, ">=20");
        assert.ok("deno" in pkg.dependencies);
        assert.ok("@hono/node-server" in pkg.dependencies);
        // Both run in the shipped code: guest code is parsed with TypeScript,
        // and `execbox tokens` counts with gpt-tokenizer.
        assert.ok("typescript" in pkg.dependencies);
        assert.ok("gpt-tokenizer" in pkg.dependencies);
        // Only what shipped code imports: no quickjs, yaml or test servers.
        assert.equal("quickjs-emscripten" in pkg.dependencies, false);
      });

      await t.step("npm pack packs it", async () => {
        const packed = await _run(
          "npm",
          ["pack", "--json", "--pack-destination", scratch],
          out,
          env,
        );
        _assertOk(packed, "npm pack");
        const [{ filename, files }] = JSON.parse(packed.stdout);
        tarball = join(scratch, filename);
        const paths = files.map((f: { path: string }) => f.path);
        for (
          const path of [
            "README.md",
            "LICENSE",
            "bin/execbox.js",
            "esm/mod.js",
            "esm/mod.d.ts",
          ]
        ) {
          assert.ok(paths.includes(path), `the tarball has no ${path}`);
        }
        assert.ok(!paths.some((p: string) => p.startsWith("src/")));
      });

      await t.step(
        "npm install --ignore-scripts installs the tarball",
        async () => {
          await Deno.mkdir(project);
          await Deno.writeTextFile(
            join(project, "package.json"),
            JSON.stringify({
              name: "execbox-npm-test",
              private: true,
              type: "module",
            }),
          );
          const imports: Record<string, string> = rootJson.imports;
          const range = (name: string) =>
            imports[name]!.replace(`npm:${name}@`, "");
          _assertOk(
            await _run(
              "npm",
              [
                "install",
                "--ignore-scripts",
                tarball,
                _SERVER_MEMORY,
                `zod@${range("zod")}`,
                `@modelcontextprotocol/sdk@${
                  range("@modelcontextprotocol/sdk")
                }`,
              ],
              project,
              env,
            ),
            "npm install",
          );
          for await (const entry of Deno.readDir(_NODE_TESTS)) {
            await Deno.copyFile(
              join(_NODE_TESTS, entry.name),
              join(project, entry.name),
            );
          }
        },
      );

      await t.step("the Node.js tests pass in the project", async () => {
        const files: string[] = [];
        for await (const entry of Deno.readDir(project)) {
          if (entry.name.endsWith(".test.mjs")) files.push(entry.name);
        }
        assert.ok(files.length >= 3, `Node.js tests: ${files.join(", ")}`);
        const tests = await _run(
          "node",
          ["--test", ...files.sort()],
          project,
          env,
        );
        _assertOk(tests, "node --test");
        assert.match(tests.stdout, /^# fail 0$/m);
      });

      await t.step(
        'npx execbox run -e "1 + 1" --json runs the installed native Deno',
        async () => {
          const run = await _run(
            "npx",
            ["execbox", "run", "-e", "1 + 1", "--json", "--verbose"],
            project,
            env,
          );
          _assertOk(run, "npx execbox run");
          const result = JSON.parse(run.stdout);
          assert.equal(result.ok, true);
          assert.equal(result.result, 2);
          const platform = Deno.build.os === "linux"
            ? `linux-${Deno.build.arch === "x86_64" ? "x64" : "arm64"}-glibc`
            : `${Deno.build.os}-${
              Deno.build.arch === "x86_64" ? "x64" : "arm64"
            }`;
          const native = join(
            project,
            "node_modules",
            "@deno",
            platform,
            "deno",
          );
          assert.ok(
            run.stderr.includes(`(Deno: ${await Deno.realPath(native)})`),
            run.stderr,
          );
        },
      );
    } finally {
      await Deno.remove(scratch, { recursive: true });
    }
  },
});

/**
 * The CLI as a user runs it: a subprocess, with stdout, stderr and the exit
 * code checked separately.
 */

import assert from "node:assert/strict";
import { isAlive } from "../broker/_recording_host.ts";
import { cli, repo, withNotesConfig } from "./_cli.ts";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { Client } from "@modelcontextprotocol/sdk/client";
import rootJson from "../../deno.json" with { type: "json" };
import cliJson from "../../cli/deno.json" with { type: "json" };

const main = `${repo}cli/main.ts`;

const withConfig = <T>(fn: (path: string, dir: string) => Promise<T>) =>
  withNotesConfig(fn, { limits: { timeoutMs: 10000 } });

Deno.test("cli/deno.json carries the same version as deno.json", () => {
  assert.equal(cliJson.version, rootJson.version);
});

Deno.test("execbox --version and --help", async () => {
  const version = await cli(["--version"]);
  assert.deepEqual(version, {
    code: 0,
    stdout: `execbox ${rootJson.version}\n`,
    stderr: "",
  });
  const help = await cli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^execbox \d+\.\d+\.\d+: /);
  assert.match(help.stdout, /\n {2}run +Run code once/);
  for (const command of ["run", "tools", "mcp"]) {
    const sub = await cli([command, "--help"]);
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, new RegExp(`Usage: execbox ${command}`));
    assert.match(sub.stdout, /Example/);
    assert.equal(sub.stderr, "");
  }
});

Deno.test("execbox reports an unknown command or flag as a usage error (exit 2)", async () => {
  const unknown = await cli(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stdout, "");
  assert.equal(
    unknown.stderr,
    'error: unknown command "frobnicate"\nhint: run "execbox --help" for the list of commands\n',
  );
  const flag = await cli(["run", "--bogus", "-e", "1"]);
  assert.equal(flag.code, 2);
  assert.match(
    flag.stderr,
    /^error: Unknown option '--bogus'.*\nhint: run "execbox run --help" for usage\n$/s,
  );
  const both = await cli(["run", "file.ts", "-e", "1"]);
  assert.deepEqual(both, {
    code: 2,
    stdout: "",
    stderr:
      'error: give either FILE or -e, not both\nhint: run "execbox run --help" for usage\n',
  });
});

Deno.test("execbox run prints the result on stdout and exits 0", async () => {
  const r = await cli([
    "run",
    "-e",
    "console.log('working'); [1, 2, 3].map((n) => n * 2)",
  ]);
  assert.deepEqual(r, {
    code: 0,
    stdout: "[\n  2,\n  4,\n  6\n]\n",
    stderr: "working\n",
  });
});

Deno.test("execbox run --json prints exactly the ExecuteResult", async () => {
  const r = await cli(["run", "--json", "-e", "({ a: 1 })"]);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, "");
  const result = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(result), ["ok", "result", "logs", "stats"]);
  assert.deepEqual(result.result, { a: 1 });
  assert.equal(r.stdout.endsWith("}\n"), true);
});

Deno.test("execbox run reads code from stdin and from a file", async () => {
  const fromStdin = await cli(["run"], {
    stdin: "const x: number = 20;\nx + 1",
  });
  assert.deepEqual(fromStdin, { code: 0, stdout: "21\n", stderr: "" });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/prog.ts`, "return 'from a file'");
    const fromFile = await cli(["run", `${dir}/prog.ts`]);
    assert.deepEqual(fromFile, {
      code: 0,
      stdout: '"from a file"\n',
      stderr: "",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const missing = await cli(["run", "/nonexistent/prog.ts"]);
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /^error: .*\/nonexistent\/prog\.ts.*\nhint: check the path\n$/s,
  );
});

Deno.test("execbox run exits 1 when the run fails, with the error on stderr", async () => {
  const thrown = await cli(["run", "-e", "throw new TypeError('bad')"]);
  assert.deepEqual(thrown, {
    code: 1,
    stdout: "",
    stderr: "error: runtime_error: TypeError: bad\n",
  });
  const timeout = await cli([
    "run",
    "--timeout",
    "300",
    "-e",
    "while (true) {}",
  ]);
  assert.deepEqual(timeout, {
    code: 1,
    stdout: "",
    stderr: "error: timeout: Run exceeded the time limit of 300 ms\n",
  });
  const syntax = await cli(["run", "-e", "1 +"]);
  assert.equal(syntax.code, 1);
  assert.match(
    syntax.stderr,
    /^error: syntax_error: .* at line 1, column 4\n$/,
  );
});

Deno.test("execbox reports a bad configuration in one line with a hint (exit 2)", async () => {
  const missing = await cli([
    "run",
    "--config",
    "/nonexistent/execbox.jsonc",
    "-e",
    "1",
  ]);
  assert.deepEqual(missing, {
    code: 2,
    stdout: "",
    stderr:
      'error: Cannot read config "/nonexistent/execbox.jsonc": no such file\n' +
      "hint: check the configuration file, or pass another with --config\n",
  });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/execbox.jsonc`,
      '{\n  "mcpServer": {}\n}\n',
    );
    const typo = await cli(["tools"], {
      env: { EXECBOX_CONFIG: `${dir}/execbox.jsonc` },
    });
    assert.equal(typo.code, 2);
    assert.match(
      typo.stderr,
      /unknown key "mcpServer" at 2:3 \(did you mean "mcpServers"\?\)\n/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("execbox tools prints the declarations of configured MCP servers", async () => {
  await withConfig(async (config) => {
    const all = await cli(["tools", "--config", config]);
    assert.equal(all.code, 0);
    assert.equal(all.stderr, "");
    assert.equal(
      all.stdout,
      "declare namespace notes {\n" +
        "  /** Reads a note by its title */\n" +
        "  function get_note(input: { title: string }): Promise<unknown>;\n" +
        "  /** Lists the titles of every note */\n" +
        "  function list_notes(input?: {}): Promise<unknown>;\n" +
        "}\n",
    );
    const search = await cli([
      "tools",
      "--config",
      config,
      "--search",
      "title",
      "--json",
    ]);
    assert.equal(search.code, 0);
    assert.deepEqual(
      JSON.parse(search.stdout).map((m: { path: string }) => m.path),
      ["notes.get_note", "notes.list_notes"],
    );
  });
});

Deno.test("execbox run calls a configured MCP server's tools", async () => {
  await withConfig(async (config) => {
    const r = await cli([
      "run",
      "--config",
      config,
      "-e",
      "const t = await notes.list_notes(); await notes.get_note({ title: t[0] })",
    ]);
    assert.deepEqual(r, {
      code: 0,
      stdout: '"Hello from the notes server"\n',
      stderr: "",
    });
  });
});

Deno.test("execbox mcp serves code mode over stdio and exits when stdin closes", async () => {
  await withConfig(async (config) => {
    const transport = new StdioClientTransport({
      command: Deno.execPath(),
      args: ["run", "-A", main, "mcp", "--config", config],
      cwd: repo,
      stderr: "pipe",
    });
    const client = new Client({ name: "test", version: "1" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ["execute", "search_tools"]);
      assert.match(tools[0]!.description!, /notes \(2\)/);
      const result = await client.callTool({
        name: "execute",
        arguments: { code: "await notes.get_note({ title: 'welcome' })" },
      });
      assert.equal(result.isError, undefined);
      assert.deepEqual(
        (result.structuredContent as { result: unknown }).result,
        "Hello from the notes server",
      );
    } finally {
      const pid = transport.pid;
      await client.close();
      // The CLI exits by itself once its stdin closes; wait for it to be gone.
      if (pid !== null) {
        for (let i = 0; i < 200 && isAlive(pid); i++) {
          await new Promise((r) => setTimeout(r, 25));
        }
        assert.equal(isAlive(pid), false, "the mcp process exited");
      }
    }
  });
});

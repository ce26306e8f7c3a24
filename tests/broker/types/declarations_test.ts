import assert from "node:assert/strict";
import {
  namespaceDeclarations,
  schemaToType,
  toolDeclaration,
} from "../../../broker/types/declarations.ts";
import type { ToolInfo } from "../../../broker/tools/info.ts";

function tool(fields: Partial<ToolInfo> & Pick<ToolInfo, "name">): ToolInfo {
  return {
    namespace: "ns",
    originalName: fields.name,
    inputSchema: { type: "object", properties: {} },
    ...fields,
  };
}

const TOOLS: ToolInfo[] = [
  {
    namespace: "github",
    name: "create_issue",
    originalName: "create-issue",
    description:
      "Create an issue in a repository.\n\n  Needs the `repo` scope.",
    inputSchema: {
      type: "object",
      properties: {
        owner: { type: "string", description: "Repository owner" },
        repo: { type: "string" },
        title: { type: "string" },
        body: { type: "string" },
        labels: { type: "array", items: { type: "string" } },
        assignees: {
          type: "array",
          items: {
            type: "object",
            properties: {
              login: { type: "string" },
              role: { enum: ["owner", "reviewer"] },
            },
            required: ["login"],
          },
        },
        milestone: { anyOf: [{ type: "integer" }, { type: "string" }] },
        project: {
          type: "object",
          properties: { id: { type: "integer" }, column: { type: "string" } },
          required: ["id"],
        },
      },
      required: ["owner", "repo", "title"],
    },
    outputSchema: {
      type: "object",
      properties: {
        number: { type: "integer" },
        url: { type: "string", format: "uri" },
        state: { enum: ["open", "closed"] },
      },
      required: ["number", "url", "state"],
    },
  },
  {
    namespace: "github",
    name: "list_issues",
    originalName: "list_issues",
    description: "List issues.",
    inputSchema: {
      type: "object",
      properties: { state: { enum: ["open", "closed", "all"] } },
    },
  },
  {
    namespace: "docs",
    name: "search_docs",
    originalName: "search-docs",
    inputSchema: {
      type: "object",
      properties: { q: { type: "string" } },
      required: ["q"],
    },
  },
];

const EXPECTED = `declare namespace github {
  /** Create an issue in a repository.
   * Needs the \`repo\` scope. */
  function create_issue(input: { /** Repository owner */ owner: string; repo: string; title: string; body?: string; labels?: string[]; assignees?: { login: string; role?: "owner" | "reviewer" }[]; milestone?: number | string; project?: { id: number; column?: string } }): Promise<{ number: number; url: string; state: "open" | "closed" }>;
  /** List issues. */
  function list_issues(input?: { state?: "open" | "closed" | "all" }): Promise<unknown>;
}
declare namespace docs {
  function search_docs(input: { q: string }): Promise<unknown>;
}
`;

Deno.test("declarations.ts re-exports schemaToType()", () => {
  assert.equal(schemaToType({ type: "integer" }), "number");
});

Deno.test("toolDeclaration() declares a function with JSDoc and typed input", () => {
  assert.equal(
    toolDeclaration(tool({
      name: "search_docs",
      description: "Search the docs.",
      inputSchema: {
        type: "object",
        properties: { q: { type: "string" }, limit: { type: "integer" } },
        required: ["q"],
      },
    })),
    "/** Search the docs. */\n" +
      "function search_docs(input: { q: string; limit?: number }): Promise<unknown>;",
  );
});

Deno.test("toolDeclaration() leaves out JSDoc without a description", () => {
  assert.equal(
    toolDeclaration(tool({ name: "ping", description: " \n\t " })),
    "function ping(input?: {}): Promise<unknown>;",
  );
  assert.equal(
    toolDeclaration(tool({ name: "ping" })),
    "function ping(input?: {}): Promise<unknown>;",
  );
});

Deno.test("toolDeclaration() makes the input optional when nothing is required", () => {
  assert.equal(
    toolDeclaration(tool({
      name: "list",
      inputSchema: {
        type: "object",
        properties: { page: { type: "integer" } },
      },
    })),
    "function list(input?: { page?: number }): Promise<unknown>;",
  );
  assert.equal(
    toolDeclaration(tool({ name: "any", inputSchema: {} })),
    "function any(input?: unknown): Promise<unknown>;",
  );
});

Deno.test("toolDeclaration() keeps the input required when the schema is not an object", () => {
  assert.equal(
    toolDeclaration(tool({ name: "echo", inputSchema: { type: "string" } })),
    "function echo(input: string): Promise<unknown>;",
  );
});

Deno.test("toolDeclaration() promises the output schema's type", () => {
  assert.equal(
    toolDeclaration(tool({
      name: "count",
      outputSchema: {
        type: "object",
        properties: { n: { type: "integer" } },
        required: ["n"],
      },
    })),
    "function count(input?: {}): Promise<{ n: number }>;",
  );
});

Deno.test("toolDeclaration() keeps each line of a description, without blank lines or indentation", () => {
  assert.equal(
    toolDeclaration(tool({
      name: "query",
      description:
        "Run a query.\r\n\r\n  Options:\n    - fast:   skip the cache\n\n",
    })),
    "/** Run a query.\n * Options:\n * - fast: skip the cache */\n" +
      "function query(input?: {}): Promise<unknown>;",
  );
});

Deno.test("toolDeclaration() escapes */ in the description", () => {
  assert.equal(
    toolDeclaration(tool({ name: "x", description: "a */ b\n*/" })),
    "/** a *\\/ b\n * *\\/ */\nfunction x(input?: {}): Promise<unknown>;",
  );
});

Deno.test("toolDeclaration() rejects a name that cannot be declared", () => {
  assert.throws(() => toolDeclaration(tool({ name: "create-issue" })), {
    name: "TypeError",
    message: 'Tool name "create-issue" is not a valid identifier',
  });
  assert.throws(() => toolDeclaration(tool({ name: "delete" })), {
    name: "TypeError",
    message: 'Tool name "delete" is not a valid identifier',
  });
});

Deno.test("namespaceDeclarations() returns an empty string for no tools", () => {
  assert.equal(namespaceDeclarations([]), "");
});

Deno.test("namespaceDeclarations() groups tools by namespace in first-seen order", () => {
  const tools = [
    tool({ namespace: "b", name: "one" }),
    tool({ namespace: "a", name: "two" }),
    tool({ namespace: "b", name: "three" }),
  ];
  assert.equal(
    namespaceDeclarations(tools),
    "declare namespace b {\n" +
      "  function one(input?: {}): Promise<unknown>;\n" +
      "  function three(input?: {}): Promise<unknown>;\n" +
      "}\n" +
      "declare namespace a {\n" +
      "  function two(input?: {}): Promise<unknown>;\n" +
      "}\n",
  );
});

Deno.test("namespaceDeclarations() indents every line of a multi-line JSDoc", () => {
  assert.equal(namespaceDeclarations(TOOLS), EXPECTED);
});

Deno.test("namespaceDeclarations() keeps a raw U+2028 inside a string literal type", () => {
  const text = namespaceDeclarations([
    tool({ name: "x", inputSchema: { const: "a\u2028b" } }),
  ]);
  assert.equal(
    text,
    'declare namespace ns {\n  function x(input?: "a\u2028b"): Promise<unknown>;\n}\n',
  );
});

Deno.test("namespaceDeclarations() rejects a namespace that cannot be declared", () => {
  assert.throws(
    () => namespaceDeclarations([tool({ namespace: "my-tools", name: "x" })]),
    {
      name: "TypeError",
      message: 'Namespace "my-tools" is not a valid identifier',
    },
  );
});

/** Runs `deno check` on a guest program beside the declarations of TOOLS. */
async function checkGuest(
  program: string,
): Promise<{ code: number; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "execbox_declarations_" });
  try {
    await Deno.writeTextFile(`${dir}/tools.d.ts`, namespaceDeclarations(TOOLS));
    await Deno.writeTextFile(
      `${dir}/guest.ts`,
      `/// <reference path="./tools.d.ts" />\nasync function main() {\n${program}\n}\n`,
    );
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--no-config", "--quiet", "guest.ts"],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    return { code, stderr: new TextDecoder().decode(stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("namespaceDeclarations() type-checks a guest program that uses the tools correctly", async () => {
  const { code, stderr } = await checkGuest(`
  const issue = await github.create_issue({
    owner: "denoland",
    repo: "deno",
    title: "Crash",
    labels: ["bug"],
    assignees: [{ login: "ry", role: "reviewer" }, { login: "bartlomieju" }],
    milestone: "v3",
    project: { id: 7 },
  });
  const n: number = issue.number;
  const state: "open" | "closed" = issue.state;
  const open = await github.list_issues();
  const all = await github.list_issues({ state: "all" });
  const hits = await docs.search_docs({ q: "Worker" });
  return [n, state, issue.url, open, all, hits];
`);
  assert.equal(code, 0, stderr);
});

Deno.test("namespaceDeclarations() makes deno check reject a wrong argument type", async () => {
  const { code, stderr } = await checkGuest(`
  await github.create_issue({ owner: "denoland", repo: "deno", title: 42 });
`);
  assert.equal(code, 1, stderr);
  assert.match(stderr, /TS2322/);
  assert.match(stderr, /'number' is not assignable to type 'string'/);
});

Deno.test("namespaceDeclarations() makes deno check reject a value outside an enum", async () => {
  const { code, stderr } = await checkGuest(`
  await github.list_issues({ state: "merged" });
`);
  assert.equal(code, 1, stderr);
  assert.match(stderr, /TS2322/);
  assert.match(stderr, /"merged"/);
});

Deno.test("namespaceDeclarations() makes deno check reject a missing required property", async () => {
  const { code, stderr } = await checkGuest(`
  await github.create_issue({ owner: "denoland", repo: "deno" });
`);
  assert.equal(code, 1, stderr);
  assert.match(stderr, /TS2345/);
  assert.match(stderr, /'title' is missing/);
});

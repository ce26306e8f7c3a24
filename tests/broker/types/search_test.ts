import assert from "node:assert/strict";
import { toolDeclaration } from "../../../broker/types/declarations.ts";
import { searchTools } from "../../../broker/types/search.ts";
import type { ToolInfo } from "../../../broker/tools/info.ts";

const TOOLS: ToolInfo[] = [
  {
    namespace: "github",
    name: "list_issues",
    originalName: "list-issues",
    description: "List issues in a repository. Filters by state.",
    inputSchema: { type: "object", properties: { state: { type: "string" } } },
  },
  {
    namespace: "github",
    name: "create_issue",
    originalName: "create-issue",
    description: "Create an issue.\nNeeds write access.",
    inputSchema: {
      type: "object",
      properties: { title: { type: "string" } },
      required: ["title"],
    },
  },
  {
    namespace: "jira",
    name: "issue",
    originalName: "Issue",
    description: "Fetch one ticket, e.g. PROJ-1.",
    inputSchema: { type: "object" },
  },
  {
    namespace: "slack",
    name: "post_message",
    originalName: "postMessage",
    description: "Post a message; link an issue with its URL",
    inputSchema: { type: "object" },
  },
  {
    namespace: "fs",
    name: "read",
    originalName: "read",
    inputSchema: { type: "object" },
  },
];

function paths(matches: readonly { path: string }[]): string[] {
  return matches.map((match) => match.path);
}

Deno.test("searchTools() ranks an exact name, then names, then descriptions", () => {
  assert.deepEqual(paths(searchTools(TOOLS, "issue")), [
    "jira.issue",
    "github.list_issues",
    "github.create_issue",
    "slack.post_message",
  ]);
});

Deno.test("searchTools() ignores case", () => {
  assert.deepEqual(
    paths(searchTools(TOOLS, "ISSUE")),
    paths(searchTools(TOOLS, "issue")),
  );
  assert.deepEqual(paths(searchTools(TOOLS, "PostMessage")), [
    "slack.post_message",
  ]);
});

Deno.test("searchTools() counts an exact original name or path as an exact name", () => {
  assert.deepEqual(paths(searchTools(TOOLS, "create-issue")), [
    "github.create_issue",
  ]);
  assert.deepEqual(paths(searchTools(TOOLS, "  GitHub.Create_Issue ")), [
    "github.create_issue",
  ]);
});

Deno.test("searchTools() needs every word somewhere in the tool", () => {
  assert.deepEqual(paths(searchTools(TOOLS, "issue create")), [
    "github.create_issue",
  ]);
  assert.deepEqual(paths(searchTools(TOOLS, "github write")), [
    "github.create_issue",
  ]);
  assert.deepEqual(paths(searchTools(TOOLS, "issue nothing-like-this")), []);
});

Deno.test("searchTools() searches namespaces", () => {
  assert.deepEqual(paths(searchTools(TOOLS, "github")), [
    "github.list_issues",
    "github.create_issue",
  ]);
});

Deno.test("searchTools() ranks a name match above a description match in declaration order", () => {
  // "a" is in every name but list_issues', whose description has it.
  assert.deepEqual(paths(searchTools(TOOLS, "a")), [
    "github.create_issue",
    "jira.issue",
    "slack.post_message",
    "fs.read",
    "github.list_issues",
  ]);
});

Deno.test("searchTools() does not match a word across two fields", () => {
  assert.deepEqual(paths(searchTools(TOOLS, "slack.post_messagepost")), []);
  assert.deepEqual(paths(searchTools(TOOLS, "fsread")), []);
});

Deno.test("searchTools() returns every tool in order for an empty query", () => {
  const all = [
    "github.list_issues",
    "github.create_issue",
    "jira.issue",
    "slack.post_message",
    "fs.read",
  ];
  assert.deepEqual(paths(searchTools(TOOLS, "")), all);
  assert.deepEqual(paths(searchTools(TOOLS, " \n ")), all);
  assert.deepEqual(
    paths(searchTools(TOOLS, "", { limit: 2 })),
    all.slice(0, 2),
  );
});

Deno.test("searchTools() returns at most limit matches, 20 by default", () => {
  const many: ToolInfo[] = Array.from({ length: 25 }, (_, i) => ({
    namespace: "ns",
    name: `t${i}`,
    originalName: `t${i}`,
    inputSchema: {},
  }));
  assert.equal(searchTools(many, "t").length, 20);
  assert.deepEqual(paths(searchTools(many, "t", { limit: 3 })), [
    "ns.t0",
    "ns.t1",
    "ns.t2",
  ]);
  assert.equal(searchTools(many, "t", { limit: 100 }).length, 25);
});

Deno.test("searchTools() rejects a limit that is not a positive integer", () => {
  for (
    const [limit, shown] of [[0, "0"], [-1, "-1"], [1.5, "1.5"], [NaN, "NaN"], [
      Infinity,
      "Infinity",
    ]] as const
  ) {
    assert.throws(() => searchTools(TOOLS, "", { limit }), {
      name: "RangeError",
      message: `Search limit must be a positive integer, got ${shown}`,
    });
  }
  assert.throws(
    () => searchTools(TOOLS, "", { limit: "5" as unknown as number }),
    {
      name: "RangeError",
      message: 'Search limit must be a positive integer, got "5"',
    },
  );
});

Deno.test("searchTools() rejects an unknown detail", () => {
  assert.throws(
    () => searchTools(TOOLS, "", { detail: "all" as "full" }),
    {
      name: "TypeError",
      message: 'Search detail must be "name", "summary" or "full", got "all"',
    },
  );
});

Deno.test("searchTools() rejects a query that is not a string", () => {
  assert.throws(() => searchTools(TOOLS, undefined as unknown as string), {
    name: "TypeError",
    message: "Search query must be a string, got undefined",
  });
});

Deno.test('searchTools() gives names alone for detail "name"', () => {
  assert.deepEqual(searchTools(TOOLS, "create_issue", { detail: "name" }), [
    { namespace: "github", name: "create_issue", path: "github.create_issue" },
  ]);
});

Deno.test('searchTools() adds the first sentence for detail "summary"', () => {
  assert.deepEqual(searchTools(TOOLS, "", { detail: "summary" }), [
    {
      namespace: "github",
      name: "list_issues",
      path: "github.list_issues",
      description: "List issues in a repository.",
    },
    {
      namespace: "github",
      name: "create_issue",
      path: "github.create_issue",
      description: "Create an issue.",
    },
    {
      namespace: "jira",
      name: "issue",
      path: "jira.issue",
      description: "Fetch one ticket, e.g. PROJ-1.",
    },
    {
      namespace: "slack",
      name: "post_message",
      path: "slack.post_message",
      description: "Post a message; link an issue with its URL",
    },
    { namespace: "fs", name: "read", path: "fs.read" },
  ]);
});

Deno.test('searchTools() adds the declaration for detail "full", the default', () => {
  const [match] = searchTools(TOOLS, "create_issue");
  assert.deepEqual(match, {
    namespace: "github",
    name: "create_issue",
    path: "github.create_issue",
    description: "Create an issue.",
    declaration: "/** Create an issue.\n * Needs write access. */\n" +
      "function create_issue(input: { title: string }): Promise<unknown>;",
  });
  assert.equal(match?.declaration, toolDeclaration(TOOLS[1]!));
});

Deno.test("searchTools() summarises from the first non-empty line", () => {
  const [match] = searchTools(
    [{
      namespace: "ns",
      name: "x",
      originalName: "x",
      description: "\n\n   Runs   version 1.2 of the tool!  Then stops.\nMore.",
      inputSchema: {},
    }],
    "",
    { detail: "summary" },
  );
  assert.equal(match?.description, "Runs version 1.2 of the tool!");
});

Deno.test("searchTools() does not end a summary at an abbreviation", () => {
  const summaries = [
    "Compare A vs. B. Then stop.",
    "Uses U.S. English. Always.",
    "Lists forks, stars, etc. Slowly.",
  ].map((description) =>
    searchTools(
      [{
        namespace: "ns",
        name: "x",
        originalName: "x",
        description,
        inputSchema: {},
      }],
      "",
      { detail: "summary" },
    )[0]?.description
  );
  assert.deepEqual(summaries, [
    "Compare A vs. B.",
    "Uses U.S. English.",
    "Lists forks, stars, etc. Slowly.",
  ]);
});

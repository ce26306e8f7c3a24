/**
 * The one tool search, shared by the guest's search helper and the MCP
 * server: case-insensitive words over names and descriptions.
 *
 * @module
 */

import { toolDeclaration } from "./declarations.ts";
import type { ToolInfo } from "../tools/info.ts";
import { skillDeclaration, type SkillInfo } from "../skills/skill.ts";

/** Options for {@linkcode searchTools}. */
export interface SearchToolsOptions {
  /**
   * The most matches to return; a positive integer.
   *
   * @default {20}
   */
  limit?: number;
  /**
   * How much to say about each match: `"name"` gives the names alone,
   * `"summary"` adds the description's first sentence, `"full"` adds the
   * tool's declaration too.
   *
   * @default {"full"}
   */
  detail?: "name" | "summary" | "full";
  /**
   * Whose saved skills to search as well (`Broker.searchTools` only); they
   * match as `skills.<name>`. The MCP server and HTTP service pass their
   * caller.
   * @default {"library"}
   */
  caller?: string;
}

/** One tool found by {@linkcode searchTools}. */
export interface ToolMatch {
  /** Guest namespace, for example `"github"`. */
  namespace: string;
  /** Identifier the guest calls, for example `"create_issue"`. */
  name: string;
  /** Namespace and name as the guest writes them: `"github.create_issue"`. */
  path: string;
  /** First sentence of the first line of the description (`"summary"` and `"full"`). */
  description?: string;
  /** The tool's declaration from `toolDeclaration()` (`"full"` only). */
  declaration?: string;
}

const _DETAILS: ReadonlySet<unknown> = new Set(["name", "summary", "full"]);

/** Words that end with a dot without ending a sentence: `e.g`, `U.S`, `vs`. */
const _ABBREVIATION = /(?:^|\W)(?:\p{L}\.\p{L}.*|vs|approx|incl|etc)$/iu;

/**
 * Finds the tools that match a query, best first.
 *
 * The query is split into words; a tool matches when every word occurs,
 * ignoring case, in its namespace, guest name, original name or description.
 * Matches are ranked: the whole query equal to a name (`create_issue`,
 * `create-issue` or `github.create_issue`) first, then every word in a name,
 * then the rest; ties keep the order of `tools`. An empty query matches every
 * tool.
 *
 * @param tools The tools to search, in declaration order.
 * @param query Words to look for, for example `"issue create"`.
 * @param options How many matches to return and how much to say about each.
 * @returns At most `limit` matches.
 * @throws {RangeError} When `limit` is not a positive integer.
 * @throws {TypeError} When `query` is not a string or `detail` is unknown.
 *
 * @example Search by name
 * ```ts
 * import assert from "node:assert/strict";
 * import { searchTools } from "./search.ts";
 *
 * const tools = [{
 *   namespace: "github",
 *   name: "create_issue",
 *   originalName: "create-issue",
 *   description: "Open an issue. Needs write access.",
 *   inputSchema: { type: "object" },
 * }];
 * assert.deepEqual(searchTools(tools, "ISSUE", { detail: "summary" }), [{
 *   namespace: "github",
 *   name: "create_issue",
 *   path: "github.create_issue",
 *   description: "Open an issue.",
 * }]);
 * ```
 */
export function searchTools(
  tools: readonly ToolInfo[],
  query: string,
  options: SearchToolsOptions = {},
): ToolMatch[] {
  const { limit = 20, detail = "full" } = options;
  if (typeof query !== "string") {
    throw new TypeError(`Search query must be a string, got ${typeof query}`);
  }
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(
      `Search limit must be a positive integer, got ${_show(limit)}`,
    );
  }
  if (!_DETAILS.has(detail)) {
    throw new TypeError(
      `Search detail must be "name", "summary" or "full", got ${_show(detail)}`,
    );
  }
  const phrase = query.trim().toLowerCase();
  const words = phrase.split(/\s+/).filter((word) => word !== "");
  const ranked: { tool: ToolInfo; rank: number }[] = [];
  for (const tool of tools) {
    const rank = _rank(tool, phrase, words);
    if (rank !== undefined) ranked.push({ tool, rank });
  }
  // Array.prototype.sort is stable, so equal ranks keep declaration order.
  ranked.sort((a, b) => a.rank - b.rank);
  return ranked.slice(0, limit).map(({ tool }) => _match(tool, detail));
}

/** 0: the phrase is a name; 1: every word is in a name; 2: some only in the description. */
function _rank(
  tool: ToolInfo,
  phrase: string,
  words: readonly string[],
): number | undefined {
  const path = `${tool.namespace}.${tool.name}`;
  const names = [tool.name, tool.originalName, path].map((name) =>
    name.toLowerCase()
  );
  // Words hold no whitespace, so "\n" keeps a word from matching across fields.
  const nameText = `${tool.namespace.toLowerCase()}\n${names.join("\n")}`;
  const description = (tool.description ?? "").toLowerCase();
  if (
    !words.every((word) =>
      nameText.includes(word) || description.includes(word)
    )
  ) {
    return undefined;
  }
  if (names.includes(phrase)) return 0;
  if (words.every((word) => nameText.includes(word))) return 1;
  return 2;
}

function _match(tool: ToolInfo, detail: string): ToolMatch {
  const match: ToolMatch = {
    namespace: tool.namespace,
    name: tool.name,
    path: `${tool.namespace}.${tool.name}`,
  };
  if (detail === "name") return match;
  const summary = _summary(tool.description ?? "");
  if (summary !== "") match.description = summary;
  if (detail === "full") match.declaration = toolDeclaration(tool);
  return match;
}

/** The first sentence of the first non-empty line. */
function _summary(description: string): string {
  const line = description.split(/\r\n?|\n|\u2028|\u2029/)
    .map((text) => text.replace(/\s+/g, " ").trim())
    .find((text) => text !== "") ?? "";
  // A sentence ends at . ! or ? before a capital, a quote, a bracket or the
  // end of the line, unless the word before it is an abbreviation ("e.g.").
  for (const end of line.matchAll(/[.!?](?=\s+["'`(\[A-Z]|$)/g)) {
    const word = /\S*$/.exec(line.slice(0, end.index))?.[0] ?? "";
    if (end[0] === "." && _ABBREVIATION.test(word)) continue;
    return line.slice(0, end.index + 1);
  }
  return line;
}

function _show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * {@linkcode searchTools} over tools and a caller's saved skills together:
 * a skill is found by its name and description as `skills.<name>`, and its
 * declaration is its member of the `skills` global.
 *
 * @param tools The tools.
 * @param skills The caller's skills.
 * @param query Words to look for.
 * @param options How many matches and how much of each.
 * @returns At most `limit` matches, best first.
 * @throws {RangeError} When `limit` is not a positive integer.
 * @throws {TypeError} When `query` is not a string or `detail` is unknown.
 */
export function searchToolsAndSkills(
  tools: readonly ToolInfo[],
  skills: readonly SkillInfo[],
  query: string,
  options: SearchToolsOptions = {},
): ToolMatch[] {
  if (skills.length === 0) return searchTools(tools, query, options);
  const bySkill = new Map<ToolInfo, SkillInfo>();
  for (const skill of skills) {
    bySkill.set({
      namespace: "skills",
      name: skill.name,
      originalName: skill.name,
      description: skill.description,
      inputSchema: { type: "object" },
    }, skill);
  }
  const all = [...tools, ...bySkill.keys()];
  const matches = searchTools(all, query, { ...options, detail: "summary" });
  const detail = options.detail ?? "full";
  return matches.map((match) => {
    if (detail === "name") {
      return { namespace: match.namespace, name: match.name, path: match.path };
    }
    if (detail === "summary") return match;
    const tool = all.find((t) =>
      t.namespace === match.namespace && t.name === match.name
    )!;
    const skill = bySkill.get(tool);
    return {
      ...match,
      declaration: skill === undefined
        ? toolDeclaration(tool)
        : skillDeclaration(skill, true),
    };
  });
}

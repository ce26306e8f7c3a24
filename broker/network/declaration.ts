/**
 * How the guest's `fetch` and its rules are shown to the model: in the
 * declarations of `types()` and in the MCP `execute` description.
 *
 * @module
 */

import type { NetworkRuleInfo } from "./options.ts";

/**
 * One rule in words: its methods, its origin and its path prefixes.
 *
 * @param rule The rule.
 * @returns Such as `GET, POST https://api.example.com (paths /v1/, /v2/)`.
 *
 * @example A rule with paths
 * ```ts
 * import assert from "node:assert/strict";
 * import { ruleText } from "./declaration.ts";
 *
 * assert.equal(
 *   ruleText({ origin: "https://api.example.com", paths: ["/v1/"], methods: ["GET"] }),
 *   "GET https://api.example.com (paths /v1/)",
 * );
 * ```
 */
export function ruleText(rule: NetworkRuleInfo): string {
  const paths = rule.paths.length === 0
    ? ""
    : ` (paths ${rule.paths.join(", ")})`;
  return `${rule.methods.join(", ")} ${rule.origin}${paths}`;
}

/**
 * The declaration of the guest's `fetch` with the requests it may make, or
 * `""` when there are no rules (and no `fetch`).
 *
 * @param rules The rules.
 * @returns TypeScript text ending in a newline, or `""`.
 */
export function fetchDeclaration(rules: readonly NetworkRuleInfo[]): string {
  if (rules.length === 0) return "";
  const lines = rules.map((rule) => ` * - ${ruleText(rule)}`);
  return [
    "/**",
    " * The standard fetch, for these requests only (any other throws a TypeError;",
    " * each request counts as a tool call; credentials are added by the host):",
    ...lines,
    " */",
    "declare function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;",
    "",
  ].join("\n");
}

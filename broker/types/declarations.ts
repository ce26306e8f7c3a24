/**
 * The TypeScript declarations a model reads to learn the tools: one
 * `declare namespace` per provider, one `function` per tool, with the
 * descriptions as JSDoc. Written to be compact, since every token counts.
 *
 * @module
 */

import { isIdentifier } from "../tools/identifiers.ts";
import { acceptsNoInput, schemaToType } from "./schema_to_type.ts";
import type { ToolInfo } from "../tools/info.ts";

export { schemaToType };

/**
 * Declares one tool as a function: its description as JSDoc, its input schema
 * as the one parameter (optional when the input requires no property), and its
 * output schema, the type learned from its results (`inferredOutputType`,
 * noted in the JSDoc), or `unknown`, as the promised result.
 *
 * The description keeps its line breaks, but not its blank lines, indentation
 * or runs of spaces: `/** First line\n * second line *\/`. `*\/` is escaped.
 *
 * @param tool The tool to declare.
 * @returns The declaration, without indentation or trailing newline.
 * @throws {TypeError} When the tool's name cannot be declared as a function.
 *
 * @example Declare a tool
 * ```ts
 * import assert from "node:assert/strict";
 * import { toolDeclaration } from "./declarations.ts";
 *
 * assert.equal(
 *   toolDeclaration({
 *     namespace: "docs",
 *     name: "search_docs",
 *     originalName: "search-docs",
 *     description: "Search the documentation.",
 *     inputSchema: {
 *       type: "object",
 *       properties: { q: { type: "string" } },
 *       required: ["q"],
 *     },
 *   }),
 *   "/** Search the documentation. *\/\n" +
 *     "function search_docs(input: { q: string }): Promise<unknown>;",
 * );
 * ```
 */
export function toolDeclaration(tool: ToolInfo): string {
  if (!isIdentifier(tool.name)) {
    throw new TypeError(
      `Tool name ${JSON.stringify(tool.name)} is not a valid identifier`,
    );
  }
  const input = schemaToType(tool.inputSchema);
  const optional = acceptsNoInput(tool.inputSchema) ? "?" : "";
  const inferred = tool.outputSchema === undefined &&
    tool.inferredOutputType !== undefined;
  const output = tool.outputSchema
    ? schemaToType(tool.outputSchema)
    : tool.inferredOutputType ?? "unknown";
  // No count of results: the text changes only when the type does, so a
  // model's prompt cache stays warm.
  const notes = [
    ...(inferred ? [_INFERRED_NOTE] : []),
    ...(tool.approval === "required" ? [_APPROVAL_NOTE] : []),
  ];
  const description = notes.length > 0
    ? [tool.description ?? "", ...notes].join("\n")
    : tool.description;
  return `${
    _jsDoc(description)
  }function ${tool.name}(input${optional}: ${input}): Promise<${output}>;`;
}

/**
 * Declares every tool inside a `declare namespace` per provider, namespaces
 * in the order they are first seen, tools in the order given. The result is a
 * global script (no imports or exports), so a program checked with it sees the
 * namespaces as globals.
 *
 * @param tools The tools to declare.
 * @param extras More declaration lines by namespace (methods such as
 * `$resources`), after the namespace's tools.
 * @returns The declarations, each namespace closed by `}` and a newline; an
 * empty string when there are no tools.
 * @throws {TypeError} When a namespace or tool name cannot be declared.
 *
 * @example Declare two providers
 * ```ts
 * import assert from "node:assert/strict";
 * import { namespaceDeclarations } from "./declarations.ts";
 *
 * const inputSchema = { type: "object" as const, properties: {} };
 * assert.equal(
 *   namespaceDeclarations([
 *     { namespace: "github", name: "whoami", originalName: "whoami", inputSchema },
 *     { namespace: "slack", name: "ping", originalName: "ping", inputSchema },
 *   ]),
 *   "declare namespace github {\n  function whoami(input?: {}): Promise<unknown>;\n}\n" +
 *     "declare namespace slack {\n  function ping(input?: {}): Promise<unknown>;\n}\n",
 * );
 * ```
 */
export function namespaceDeclarations(
  tools: readonly ToolInfo[],
  extras: ReadonlyMap<string, readonly string[]> = new Map(),
): string {
  const groups = new Map<string, string[]>();
  for (const tool of tools) {
    const lines = toolDeclaration(tool).split("\n");
    const group = groups.get(tool.namespace);
    if (group) group.push(...lines);
    else groups.set(tool.namespace, lines);
  }
  for (const [namespace, lines] of extras) {
    const group = groups.get(namespace);
    if (group) group.push(...lines);
    else groups.set(namespace, [...lines]);
  }
  let text = "";
  for (const [namespace, lines] of groups) {
    if (!isIdentifier(namespace)) {
      throw new TypeError(
        `Namespace ${JSON.stringify(namespace)} is not a valid identifier`,
      );
    }
    // Lines were split on "\n" alone: a string literal type may hold a raw U+2028.
    text += `declare namespace ${namespace} {\n${
      lines.map((line) => `  ${line}`).join("\n")
    }\n}\n`;
  }
  return text;
}

const _INFERRED_NOTE = "Return type inferred from results.";
const _APPROVAL_NOTE =
  "Each call waits for a person's approval; a denial throws an Error.";

/** A JSDoc block for a description, or nothing when there is none. */
function _jsDoc(description: string | undefined): string {
  if (description === undefined) return "";
  const lines = description.split(/\r\n?|\n|\u2028|\u2029/)
    .map((line) => line.replace(/\s+/g, " ").trim().replaceAll("*/", "*\\/"))
    .filter((line) => line !== "");
  if (lines.length === 0) return "";
  // `/** a\n * b */` measured 2-3 tokens (of ~20) below the usual block with
  // its own opening and closing lines, and keeps each line.
  return `/** ${lines.join("\n * ")} */\n`;
}

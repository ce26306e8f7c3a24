/**
 * Declaration sizes before and after execbox learns return types from
 * results (issue 12, part 1), for the token report: the whole `types()`, each
 * tool that publishes no output schema, and the `search_tools` results of the
 * token workflows.
 *
 * @module
 */

import type { Broker } from "../mod.ts";
import { countTokens } from "../cli/_tokens.ts";

/** Declaration sizes at one moment. */
export interface DeclarationSizes {
  /** Tokens of `types()`. */
  types: number;
  /** Tokens of each schema-less tool's declaration, by path. */
  tools: Record<string, number>;
  /** Tokens of each workflow's `search_tools` declarations (detail full, limit 3). */
  searches: Record<string, number>;
  /** Tools showing a learned type. */
  learned: number;
}

/** Sizes before and after learning, and the learned types. */
export interface LearnedTypeFigures {
  before: DeclarationSizes;
  after: DeclarationSizes;
  /** The learned return type of each tool, by path. */
  types: Record<string, string>;
}

/**
 * Measures the declarations as the model would see them now.
 *
 * @param broker The broker.
 * @param searches Each workflow's `search_tools` queries, by workflow id.
 */
export function declarationSizes(
  broker: Broker,
  searches: Record<string, readonly string[]>,
): DeclarationSizes {
  const tools: Record<string, number> = {};
  let learned = 0;
  for (const tool of broker.tools()) {
    if (tool.outputSchema !== undefined) continue;
    const [match] = broker.searchTools(tool.name, { detail: "full" })
      .filter((m) => m.path === `${tool.namespace}.${tool.name}`);
    tools[`${tool.namespace}.${tool.name}`] = countTokens(
      match?.declaration ?? "",
    );
    if (tool.inferredOutputType !== undefined) learned++;
  }
  const bySearch: Record<string, number> = {};
  for (const [id, queries] of Object.entries(searches)) {
    bySearch[id] = queries.reduce(
      (sum, query) =>
        sum + countTokens(
          broker.searchTools(query, { detail: "full", limit: 3 })
            .map((m) => m.declaration ?? "").join("\n"),
        ),
      0,
    );
  }
  return {
    types: countTokens(broker.types()),
    tools,
    searches: bySearch,
    learned,
  };
}

/**
 * One call of each `server-everything` tool that publishes no output schema
 * and answers at once (the long-running, toggling and elicitation ones are
 * left out), so the broker learns their return types.
 */
export const EVERYTHING_CALLS: string = `
await everything.echo({ message: "hello" });
await everything.get_sum({ a: 1, b: 2 });
await everything.get_env();
await everything.get_annotated_message({ messageType: "success" });
await everything.get_resource_links({ count: 3 });
await everything.get_resource_reference({ resourceType: "Text", resourceId: 1 });
await everything.get_tiny_image();
return "done";
`;

/**
 * The learned types of the tools that have one, by path.
 *
 * @param broker The broker.
 */
export function learnedTypes(broker: Broker): Record<string, string> {
  const types: Record<string, string> = {};
  for (const tool of broker.tools()) {
    if (tool.inferredOutputType !== undefined) {
      types[`${tool.namespace}.${tool.name}`] = tool.inferredOutputType;
    }
  }
  return types;
}

/**
 * The shape every provider's tool takes once the broker has resolved it: what
 * declarations, search and the guest namespace are built from.
 *
 * @module
 */

/** A JSON Schema object (draft 2020-12 or draft 7), as MCP servers publish them. */
export interface JsonSchema {
  /** Any JSON Schema keyword (`type`, `properties`, `$defs`, ...). */
  [keyword: string]: unknown;
}

/** One tool as the guest sees it. */
export interface ToolInfo {
  /** Guest namespace (the provider's name), for example `"github"`. */
  namespace: string;
  /** Identifier the guest calls, for example `"create_issue"`. */
  name: string;
  /** Name the provider gave the tool, for example `"create-issue"`. */
  originalName: string;
  /** What the tool does, shown to the model as JSDoc. */
  description?: string;
  /** JSON Schema of the tool's single argument. */
  inputSchema: JsonSchema;
  /** JSON Schema of the tool's result, when the provider declares one. */
  outputSchema?: JsonSchema;
  /**
   * TypeScript type of the tool's result learned from the results it has
   * returned, for a tool without `outputSchema` (see `BrokerOptions.inference`).
   */
  inferredOutputType?: string;
  /** `"required"` when each call waits for an approver and may be denied. */
  approval?: "required";
}

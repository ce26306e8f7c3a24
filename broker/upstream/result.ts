/**
 * How an MCP `CallToolResult` becomes the value guest code receives.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/types"
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/**
 * Unwraps a `CallToolResult` for the guest: `structuredContent` as it is,
 * all-text content parsed as JSON when it is JSON (else the text), anything
 * else the content array.
 *
 * @param result The result.
 * @returns The value the guest receives.
 * @throws {Error} When `isError` is set, with the text content as message.
 */
export function unwrapToolResult(result: CallToolResult): unknown {
  const content = result.content ?? [];
  const texts = content.every((c) => c.type === "text")
    ? content.map((c) => (c as { text: string }).text)
    : undefined;
  if (result.isError) {
    throw new Error(
      texts?.join("\n") || "The tool reported an error without a message",
    );
  }
  if (result.structuredContent !== undefined) return result.structuredContent;
  if (texts === undefined) return content;
  if (texts.length === 0) return undefined;
  const text = texts.join("\n");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A tool call as the broker's `onToolCall` hook sees it, and the hook.
 *
 * @module
 */

/** A tool call as {@linkcode ToolCallHook} sees it. */
export interface ToolCall {
  /** The guest namespace, such as `"github"`. */
  namespace: string;
  /** The guest identifier, such as `"create_issue"`. */
  tool: string;
  /** The provider's name for the tool, such as `"create-issue"`. */
  originalName: string;
  /** The argument the guest passed (JSON). */
  args: unknown;
  /**
   * The saved skill the call was made in, as the sandbox reports it: for
   * traces and telemetry only, never for a decision (guest code can make the
   * same call outside the skill).
   */
  skill?: string;
}

/** Sees a tool call before it runs; `{ deny: reason }` refuses it. */
export type ToolCallHook = (
  call: ToolCall,
) => void | { deny: string } | Promise<void | { deny: string }>;

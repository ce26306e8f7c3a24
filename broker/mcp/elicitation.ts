/**
 * Approval through the MCP client: an `elicitation/create` request to the
 * client that called `execute`, with the tool and its arguments and an
 * approve / decline form.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/server/index"
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  type ClientCapabilities,
  ElicitResultSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type {
  ApprovalDecision,
  ApprovalHandler,
  ApprovalRequest,
} from "../approval/approval.ts";

/** The most characters of arguments an elicitation message shows. */
export const MAX_ELICIT_ARGUMENT_CHARS = 4000;

/** Sends a request to the client, related to the `execute` call being served. */
export type SendClientRequest = (
  request: {
    method: "elicitation/create";
    params: Record<string, unknown>;
  },
  schema: typeof ElicitResultSchema,
  options: { signal: AbortSignal; timeout: number },
) => Promise<{ action: string; content?: Record<string, unknown> }>;

// setTimeout's largest delay: the wait is bounded by approvalTimeoutMs instead.
const _NO_TIMEOUT = 2 ** 31 - 1;

/**
 * The form the client shows: approve or not, and an optional reason.
 */
export const APPROVAL_FORM: Readonly<Record<string, unknown>> = Object.freeze({
  type: "object",
  properties: {
    approve: {
      type: "boolean",
      title: "Approve this call",
      description: "Let the program make this tool call",
    },
    reason: {
      type: "string",
      title: "Reason",
      description: "Why not, for the program (optional)",
    },
  },
  required: ["approve"],
});

/**
 * Whether a client can answer a form elicitation: it declared `elicitation`
 * with `form`, or empty (which means form, in earlier protocol versions).
 *
 * @param capabilities What the client declared at `initialize`.
 * @returns Whether to ask it.
 */
export function supportsFormElicitation(
  capabilities: ClientCapabilities | undefined,
): boolean {
  const elicitation = capabilities?.elicitation;
  if (elicitation === undefined || elicitation === null) return false;
  return "form" in elicitation || !("url" in elicitation);
}

/**
 * The text of the elicitation for one call.
 *
 * @param request The approval request.
 * @returns A message naming the tool and showing its (redacted) arguments.
 */
export function approvalMessage(request: ApprovalRequest): string {
  let args = JSON.stringify(request.arguments, null, 2) ?? "undefined";
  if (args.length > MAX_ELICIT_ARGUMENT_CHARS) {
    args = `${
      args.slice(0, MAX_ELICIT_ARGUMENT_CHARS)
    }\n[execbox: arguments cut at ${MAX_ELICIT_ARGUMENT_CHARS} characters]`;
  }
  return `A program run by execbox wants to call ${request.tool} with:\n${args}\nApprove this call?`;
}

/**
 * An approver that asks the MCP client through `elicitation/create`. A
 * client that did not declare elicitation gets the call denied, with a
 * message saying why.
 *
 * @param server The low-level SDK server (`McpServer.server`), for the
 * client's capabilities.
 * @param send The tool call's `extra.sendRequest`, so that the request
 * travels with the `execute` call it belongs to (on Streamable HTTP, its
 * SSE stream).
 * @param fallback The approver for a client without elicitation; without
 * one, such a client's calls are denied.
 * @returns The approver.
 */
export function elicitationApprover(
  server: Server,
  send: SendClientRequest,
  fallback?: ApprovalHandler,
): ApprovalHandler {
  return async (request, context): Promise<ApprovalDecision> => {
    const { signal } = context;
    if (!supportsFormElicitation(server.getClientCapabilities())) {
      if (fallback !== undefined) return await fallback(request, context);
      return {
        approved: false,
        reason:
          "the MCP client does not support elicitation, so no one can approve it (use a client that declares the elicitation capability, or configure an approver)",
      };
    }
    const result = await send(
      {
        method: "elicitation/create",
        params: {
          message: approvalMessage(request),
          requestedSchema: APPROVAL_FORM,
        },
      },
      ElicitResultSchema,
      { signal, timeout: _NO_TIMEOUT },
    );
    if (result.action === "accept" && result.content?.approve === true) {
      return { approved: true };
    }
    const reason = result.content?.reason;
    if (result.action === "accept") {
      return {
        approved: false,
        reason: typeof reason === "string" && reason !== ""
          ? `declined by the user: ${reason}`
          : "declined by the user",
      };
    }
    return {
      approved: false,
      reason: result.action === "decline"
        ? "declined by the user"
        : "the user dismissed the request",
    };
  };
}

/**
 * `GET /v1/approvals` and `POST /v1/approvals/{id}`: the calls waiting for an
 * approver, and deciding one. Only tokens named in `approvers` may do either,
 * and a caller may not decide its own runs' calls unless `selfApproval` is on.
 *
 * @module
 */

import type { Hono, MiddlewareHandler } from "hono";
import type { ApprovalQueue } from "../approval/approval_queue.ts";
import { MAX_REASON_CHARS } from "../approval/ask_approval.ts";

/** The app's context values these routes read (see `HttpAppVariables`). */
interface _Env {
  Variables: { caller: string };
}

/** What {@linkcode approvalRoutes} needs. */
export interface ApprovalRoutesOptions {
  /** The pending approvals of the app's runs. */
  queue: ApprovalQueue;
  /** Token auth, Host and Origin checks. */
  guard: MiddlewareHandler<_Env>;
  /** The request-body limit. */
  limitBody: MiddlewareHandler<_Env>;
  /** Caller names that may list and decide approvals. */
  approvers: readonly string[];
  /** Whether a caller may decide calls of its own runs. */
  selfApproval: boolean;
}

/**
 * Adds the approval routes to the app.
 *
 * @param app The app.
 * @param options The queue, the middleware and who may approve.
 */
export function approvalRoutes(
  app: Hono<_Env>,
  options: ApprovalRoutesOptions,
): void {
  const approvers = new Set(options.approvers);
  const mayApprove: MiddlewareHandler<_Env> = async (c, next) => {
    const caller = c.get("caller");
    if (!approvers.has(caller)) {
      return _error(
        403,
        "forbidden",
        `The caller ${
          JSON.stringify(caller)
        } may not approve calls; name its token in http.approvers`,
      );
    }
    await next();
  };
  app.get(
    "/v1/approvals",
    options.guard,
    mayApprove,
    async (c) => c.json({ approvals: await options.queue.listAnywhere() }),
  );
  app.post(
    "/v1/approvals/:id",
    options.guard,
    mayApprove,
    options.limitBody,
    async (c) => {
      const id = c.req.param("id");
      let body: unknown;
      try {
        body = JSON.parse(await c.req.text());
      } catch {
        return _error(
          400,
          "invalid_json",
          "The request body is not valid JSON",
        );
      }
      const decision = _decision(body);
      if (typeof decision === "string") {
        return _error(400, "invalid_body", decision);
      }
      const caller = c.get("caller");
      switch (
        await options.queue.decideAnywhere(id, decision, {
          by: caller,
          selfApproval: options.selfApproval,
        })
      ) {
        case "not_found":
          return _error(
            404,
            "not_found",
            `No call waits for approval with id ${JSON.stringify(id)}`,
          );
        case "self_approval":
          return _error(
            403,
            "self_approval",
            `The caller ${
              JSON.stringify(caller)
            } may not decide calls of its own runs; set http.selfApproval to allow it`,
          );
        case "decided":
          return c.json({ id, approved: decision.approved });
      }
    },
  );
}

function _decision(
  body: unknown,
): { approved: true } | { approved: false; reason: string } | string {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return 'The request body must be an object such as { "approved": true }';
  }
  const { approved, reason, ...rest } = body as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) {
    return `Unknown key ${
      JSON.stringify(extra[0])
    } in the request body; use "approved" and "reason"`;
  }
  if (typeof approved !== "boolean") {
    return `"approved" must be true or false, got ${
      JSON.stringify(approved) ?? "nothing"
    }`;
  }
  if (reason !== undefined && typeof reason !== "string") {
    return `"reason" must be a string, got ${typeof reason}`;
  }
  if (approved) return { approved: true };
  return {
    approved: false,
    reason: reason === undefined || reason === ""
      ? "denied by the approver"
      : reason.slice(0, MAX_REASON_CHARS),
  };
}

function _error(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

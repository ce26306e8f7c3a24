/**
 * What the HTTP app reads from requests: the body of `POST /v1/execute`
 * (`{ "code": string, "limits"?: {...} }`, where limits may only lower the
 * broker's) and the query of `GET /v1/tools`.
 *
 * @module
 */

import { type Limits, mergeLimits } from "../limits.ts";
import type { SearchToolsOptions } from "../types/search.ts";

/** Why a request cannot be served as it is (a 400). */
export interface InvalidRequest {
  /** The error code of the response. */
  error: "invalid_json" | "invalid_body" | "invalid_limits" | "invalid_query";
  /** What is wrong, naming the value. */
  message: string;
}

/** A body that was read, or why it cannot be. */
export type ExecuteBody =
  | { code: string; limits: Partial<Limits>; session?: string }
  | InvalidRequest;

const _KEYS: ReadonlySet<string> = new Set(["code", "limits", "session"]);

/**
 * Reads the body of an execute request.
 *
 * @param text The body's text.
 * @param ceiling The broker's limits: a request may ask for less, not more.
 * @returns The code and limits, or an error code and message.
 */
export function parseExecuteBody(
  text: string,
  ceiling: Readonly<Limits>,
): ExecuteBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return {
      error: "invalid_json",
      message: `The request body is not valid JSON: ${
        (error as SyntaxError).message
      }`,
    };
  }
  if (!_isPlainObject(body)) {
    return {
      error: "invalid_body",
      message: `The request body must be an object with "code", got ${
        _kind(body)
      }`,
    };
  }
  for (const key of Object.keys(body)) {
    if (!_KEYS.has(key)) {
      return {
        error: "invalid_body",
        message: `Unknown key ${
          JSON.stringify(key)
        } in the request body (expected "code", "limits" and "session")`,
      };
    }
  }
  const { code, limits = {}, session } = body;
  if (
    session !== undefined &&
    (typeof session !== "string" || session.length === 0 ||
      session.length > 256)
  ) {
    return {
      error: "invalid_body",
      message: `"session" must be a string of 1 to 256 characters, got ${
        _kind(session)
      }`,
    };
  }
  if (typeof code !== "string") {
    return {
      error: "invalid_body",
      message: `"code" must be a string, got ${_kind(code)}`,
    };
  }
  if (!_isPlainObject(limits)) {
    return {
      error: "invalid_limits",
      message: `"limits" must be an object, got ${_kind(limits)}`,
    };
  }
  try {
    mergeLimits(ceiling, limits, "the request body");
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) {
      throw error;
    }
    return { error: "invalid_limits", message: error.message };
  }
  for (const [key, value] of Object.entries(limits)) {
    const most = ceiling[key as keyof Limits];
    if ((value as number) > most) {
      return {
        error: "invalid_limits",
        message: `Limit "${key}" may be at most ${most} (the server's), got ${
          String(value)
        }`,
      };
    }
  }
  return session === undefined
    ? { code, limits: limits as Partial<Limits> }
    : { code, limits: limits as Partial<Limits>, session };
}

/**
 * Whether a `Content-Type` names JSON, whatever its parameters and case.
 *
 * @param header The header's value.
 * @returns `true` for `application/json`.
 */
export function isJsonContentType(header: string | undefined): boolean {
  return (header ?? "").split(";")[0]!.trim().toLowerCase() ===
    "application/json";
}

/**
 * Reads the query of a tool search: `q`, `limit` and `detail`.
 *
 * @param query The query parameters.
 * @returns The words and options, or why they cannot be used.
 */
export function parseToolsQuery(
  query: Record<string, string | undefined>,
): { words: string; options: SearchToolsOptions } | InvalidRequest {
  const { q = "", limit, detail } = query;
  const options: SearchToolsOptions = {};
  if (limit !== undefined) {
    if (!/^[1-9]\d{0,8}$/.test(limit)) {
      return {
        error: "invalid_query",
        message: `limit must be a whole number from 1 to 999999999, got ${
          JSON.stringify(limit)
        }`,
      };
    }
    options.limit = Number(limit);
  }
  if (detail !== undefined) {
    if (detail !== "name" && detail !== "summary" && detail !== "full") {
      return {
        error: "invalid_query",
        message: `detail must be "name", "summary" or "full", got ${
          JSON.stringify(detail)
        }`,
      };
    }
    options.detail = detail;
  }
  return { words: q, options };
}

function _isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function _kind(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

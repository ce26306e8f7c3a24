/**
 * What the two code-mode surfaces share: the MCP server (`server.ts`) and the
 * agent SDK tools (`../agents/code_mode_tools.ts`) publish the same two tools
 * with the same inputs, descriptions, defaults and answers to `search_tools`.
 *
 * @module
 */

import { z } from "zod";
import type { Broker } from "../broker.ts";
import { type Limits, mergeLimits, positiveInteger } from "../limits.ts";
import { executeDescription, fitText, searchText } from "./text.ts";

/** Most matches `search_tools` returns when the call names no `limit`. */
export const SEARCH_LIMIT = 20;
/** What `search_tools` shows of a match when the call names no `detail`. */
export const SEARCH_DETAIL = "summary";

/** The `search_tools` description. */
export const SEARCH_TOOLS_DESCRIPTION =
  "Find the tools the execute tool's code can call, by words in their names and descriptions.";

/** The input of `execute`, as a zod shape. */
export const EXECUTE_INPUT = {
  code: z.string(),
  session: z.string().min(1).max(256).optional().describe(
    "Keeps a `state` object (get, set, delete, keys) across runs with the same session",
  ),
};

/** The input of `search_tools`, as a zod shape. */
export const SEARCH_TOOLS_INPUT = {
  query: z.string().describe("Words that must all occur; empty for all"),
  // An explicit maximum: `int()` alone publishes 2^53 - 1 (6 tokens).
  limit: z.number().int().min(1).max(1000).optional().describe(
    `Most matches (default ${SEARCH_LIMIT})`,
  ),
  detail: z.enum(["name", "summary", "full"]).optional().describe(
    `name: paths only; summary: with a one-line description; full: with TypeScript declarations (default ${SEARCH_DETAIL})`,
  ),
};

/** The options both surfaces take for their tools. */
export interface CodeModeOptions {
  maxTextBytes?: number;
  maxNamespaces?: number;
  limits?: Partial<Limits>;
  instructions?: string;
  caller?: string;
}

/** A surface's options, checked and with their defaults. */
export interface CodeModeSettings {
  /** The most bytes of a tool's text answer. */
  maxTextBytes: number;
  /** The limits a run asks for (the caller's overrides). */
  limits: Partial<Limits>;
  /** The broker's limits with those overrides: what a run gets. */
  effective: Limits;
  /** Who the runs are for. */
  caller: string;
  /** The `execute` tool's description. */
  executeDescription: string;
}

/**
 * Checks a surface's options now, rather than on the first call, and fills
 * in their defaults.
 *
 * @param broker The broker the surface serves.
 * @param options The surface's options.
 * @param defaults The surface's caller, and its name for error messages.
 * @returns The settings.
 * @throws {TypeError} On an unknown limit.
 * @throws {RangeError} On a value out of range.
 */
export function codeModeSettings(
  broker: Broker,
  options: CodeModeOptions,
  defaults: { caller: string; label: string },
): CodeModeSettings {
  const maxTextBytes = positiveInteger(
    options.maxTextBytes,
    20_000,
    "maxTextBytes",
  );
  const maxNamespaces = positiveInteger(
    options.maxNamespaces,
    50,
    "maxNamespaces",
  );
  const limits = options.limits ?? {};
  const effective = mergeLimits(broker.limits, limits, defaults.label);
  const caller = options.caller ?? defaults.caller;
  return {
    maxTextBytes,
    limits,
    effective,
    caller,
    executeDescription: executeDescription(broker, {
      limits: { timeoutMs: effective.timeoutMs, memoryMb: effective.memoryMb },
      maxNamespaces,
      instructions: options.instructions ?? "",
      caller,
    }),
  };
}

/**
 * Answers a `search_tools` call.
 *
 * @param broker The broker whose tools (and the caller's skills) are searched.
 * @param input The call's input.
 * @param settings The surface's settings.
 * @returns The matches as text, cut to `maxTextBytes`.
 */
export function searchToolsText(
  broker: Broker,
  input: {
    query: string;
    limit?: number | undefined;
    detail?: "name" | "summary" | "full" | undefined;
  },
  settings: Pick<CodeModeSettings, "caller" | "maxTextBytes">,
): string {
  const detail = input.detail ?? SEARCH_DETAIL;
  const matches = broker.searchTools(input.query, {
    limit: input.limit ?? SEARCH_LIMIT,
    detail,
    // The caller's saved skills are found too.
    caller: settings.caller,
  });
  return fitText(
    searchText(input.query, detail, matches),
    "",
    settings.maxTextBytes,
  );
}

/**
 * What the MCP server's tools say: the `execute` description, a run as text
 * and as structured content, search results as text, and the byte budget
 * every text is cut to.
 *
 * @module
 */

import type { Broker } from "../broker.ts";
import { type Limits, logEntryBytes, logTruncationMessage } from "../limits.ts";
import type { ExecuteResult } from "../result.ts";
import type { ToolMatch } from "../types/search.ts";
import { ruleText } from "../network/declaration.ts";
import type { NetworkRuleInfo } from "../network/options.ts";

const _encoder = new TextEncoder();

/**
 * The `execute` tool's description: how to write the code, what is absent,
 * the limits, and the namespaces with their tool counts (no declarations, so
 * it stays small however many tools there are).
 */
export function executeDescription(
  broker: Broker,
  options: {
    limits: Pick<Limits, "timeoutMs" | "memoryMb">;
    maxNamespaces: number;
    instructions: string;
    caller?: string;
  },
): string {
  const counts = new Map<string, number>();
  for (const tool of broker.tools()) {
    counts.set(tool.namespace, (counts.get(tool.namespace) ?? 0) + 1);
  }
  // The caller's saved skills count as one more namespace.
  const skills = broker.skills(
    options.caller === undefined ? {} : { caller: options.caller },
  ).length;
  if (skills > 0) counts.set("skills", skills);
  const listed = [...counts].slice(0, options.maxNamespaces)
    .map(([namespace, count]) => `${namespace} (${count})`);
  const rest = counts.size - listed.length;
  const namespaces = counts.size === 0
    ? "No tools are available yet."
    : `Namespaces (tool count): ${listed.join(", ")}${
      rest > 0 ? `, and ${rest} more: use search_tools to find them` : ""
    }.`;
  const lines = [
    "Run TypeScript or JavaScript in a sandbox whose only globals beyond the language are the tool namespaces listed below, and get its result. Prefer one program that calls several tools and returns just what you need over many small calls.",
    "",
    "- The code runs as the body of an async function: use top-level await.",
    "- The result is the value of a `return` or of the last expression; it must be JSON.",
    "- Each tool is an async function under its namespace that takes one object argument: `await ns.tool({ ... })`.",
    "- console.log output comes back as logs.",
    '- Before calling a tool, get its exact signature with search_tools and detail "full".',
    _networkText(broker.networkRules()),
    `- ${_limitsText(options.limits)}`,
    ...(broker.tokenizes ? [_PRIVACY_LINE] : []),
    "",
    namespaces,
  ];
  if (broker.skillsEnabled) {
    lines.splice(
      lines.indexOf("- console.log output comes back as logs.") + 1,
      0,
      "- `skills.save({ name, description, code, signature? })` keeps a program (a function body of `args`) for later runs: `skills.<name>(args)`.",
    );
  }
  const text = lines.join("\n");
  return options.instructions === ""
    ? text
    : `${text}\n\n${options.instructions}`;
}

const _PRIVACY_LINE =
  "- Personal data (emails, phone numbers, ...) in results, logs and errors comes back as tokens such as [EMAIL_1]; pass a token as it is in a tool argument and the tool gets the real value.";
function _networkText(rules: readonly NetworkRuleInfo[]): string {
  if (rules.length === 0) {
    return "- Nothing else exists: no fetch, no imports, no file system, no Deno or process.";
  }
  return `- The standard fetch reaches only: ${
    rules.map(ruleText).join("; ")
  } (credentials are added for you; any other request throws a TypeError; each request counts as a tool call). Nothing else exists: no imports, no file system, no Deno or process.`;
}

function _limitsText(limits: Pick<Limits, "timeoutMs" | "memoryMb">): string {
  const { timeoutMs, memoryMb } = limits;
  const time = timeoutMs % 1000 === 0
    ? `${timeoutMs / 1000} s`
    : `${timeoutMs} ms`;
  return `Limits per run: ${time} (tool calls included), ${memoryMb} MiB of memory.`;
}

/**
 * The text a model reads of a run: the result as compact JSON (pretty JSON
 * measured 70-100% more o200k tokens), the logs, and for a failure the error.
 */
export function executeText(run: ExecuteResult, maxBytes: number): string {
  const sections: string[] = [];
  if (run.ok) {
    sections.push(
      run.result === undefined
        ? "(no result: end the code with an expression or a `return`)"
        : JSON.stringify(run.result),
    );
  }
  if (run.logs.length > 0) {
    const lines = run.logs.map(({ level, message }) =>
      level === "log" ? message : `[${level}] ${message}`
    );
    sections.push(`logs:\n${lines.join("\n")}`);
  }
  const error = run.ok ? "" : `error ${run.error.code}: ${run.error.message}`;
  return fitText(sections.join("\n\n"), error, maxBytes);
}

/**
 * The text of a search: paths, `path: summary` lines, or for `"full"` the
 * declarations inside their `declare namespace`, one block per run of matches
 * from the same namespace so that the ranking is kept.
 */
export function searchText(
  query: string,
  detail: "name" | "summary" | "full",
  matches: readonly ToolMatch[],
): string {
  if (matches.length === 0) {
    return `No tools match ${
      JSON.stringify(query)
    }; try fewer words, or an empty query for every tool`;
  }
  if (detail !== "full") {
    return matches.map(({ path, description }) =>
      description === undefined ? path : `${path}: ${description}`
    ).join("\n");
  }
  const groups: { namespace: string; lines: string[] }[] = [];
  for (const match of matches) {
    let group = groups.at(-1);
    if (group?.namespace !== match.namespace) {
      group = { namespace: match.namespace, lines: [] };
      groups.push(group);
    }
    // Split on "\n" alone: a string literal type may hold a raw U+2028.
    for (const line of (match.declaration ?? "").split("\n")) {
      group.lines.push(`  ${line}`);
    }
  }
  return groups.map(({ namespace, lines }) =>
    `declare namespace ${namespace} {\n${lines.join("\n")}\n}`
  ).join("\n");
}

/**
 * Joins a body and a last line (for a failure, the error) within `maxBytes`
 * UTF-8 bytes. When they do not fit, the last line keeps up to half the
 * budget, since it is the outcome, and the body is cut before a marker.
 */
export function fitText(body: string, last: string, maxBytes: number): string {
  const joined = body === "" || last === ""
    ? body + last
    : `${body}\n\n${last}`;
  if (_encoder.encode(joined).length <= maxBytes) return joined;
  const keptLast = _cut(last, Math.floor(maxBytes / 2));
  const keptBody = _cut(body, maxBytes - _encoder.encode(keptLast).length);
  return [
    keptBody,
    `[execbox: output truncated at ${maxBytes} bytes]`,
    keptLast,
  ].filter((part) => part !== "").join("\n");
}

/**
 * The result as a plain object with no `undefined` values, its logs held to
 * `maxLogBytes` as a run counts them (entries past it are dropped and the
 * truncation marker ends the list), so the structured content is bounded like
 * the run itself; the result is already within `maxResultBytes`.
 */
export function structuredResult(
  run: ExecuteResult,
  maxLogBytes: number,
): Record<string, unknown> {
  const safe: Record<string, unknown> = { ok: run.ok };
  if (run.ok) {
    if (run.result !== undefined) safe.result = run.result;
  } else {
    const error: Record<string, unknown> = {
      code: run.error.code,
      message: run.error.message,
    };
    if (run.error.line !== undefined) error.line = run.error.line;
    if (run.error.column !== undefined) error.column = run.error.column;
    safe.error = error;
  }
  const logs: { level: string; message: string }[] = [];
  let bytes = 0;
  for (const { level, message } of run.logs) {
    bytes += logEntryBytes(message);
    if (bytes > maxLogBytes) {
      // A run's own marker lands here too, and is replaced by the same text.
      logs.push({ level: "warn", message: logTruncationMessage(maxLogBytes) });
      break;
    }
    logs.push({ level, message });
  }
  safe.logs = logs;
  const { durationMs, toolCalls, coldStart, peakMemoryBytes } = run.stats;
  safe.stats = { durationMs, toolCalls, coldStart, peakMemoryBytes };
  return safe;
}

/** The longest prefix of `text` within `maxBytes` UTF-8 bytes, whole code points only. */
function _cut(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return "";
  const bytes = _encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) to a code point's first byte.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  // Nor part of a privacy token (`[EMAIL_1` of `[EMAIL_12]`).
  return new TextDecoder().decode(bytes.subarray(0, end)).replace(
    /\[[A-Z][A-Z0-9_]{0,40}$/,
    "",
  );
}

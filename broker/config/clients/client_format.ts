/**
 * Which MCP client wrote a configuration file, told from its path and its
 * shape, and the keys that only matter to that client.
 *
 * @module
 */

import type { Node } from "jsonc-parser";
import { basename } from "node:path";

/**
 * The MCP clients whose server lists execbox reads as they are:
 * `claude_desktop_config.json`, Claude Code's `.mcp.json`, Cursor's
 * `.cursor/mcp.json`, VS Code's `.vscode/mcp.json`, Windsurf's
 * `mcp_config.json` and Cline's `cline_mcp_settings.json`.
 */
export type ClientFormat =
  | "claude-desktop"
  | "claude-code"
  | "cursor"
  | "vscode"
  | "windsurf"
  | "cline";

/** The name a reader knows each client by, for messages. */
export const CLIENT_NAMES: Readonly<Record<ClientFormat, string>> = {
  "claude-desktop": "Claude Desktop",
  "claude-code": "Claude Code",
  cursor: "Cursor",
  vscode: "VS Code",
  windsurf: "Windsurf",
  cline: "Cline",
};

/**
 * Keys of a server entry that only the client acts on (approval lists of its
 * own, its UI, its gallery): ignored with one warning. Keys that mean
 * something to execbox are translated instead (see `client_config.ts`).
 */
export const CLIENT_ONLY_SERVER_KEYS: Readonly<
  Record<ClientFormat, readonly string[]>
> = {
  "claude-desktop": [],
  "claude-code": [],
  cursor: ["auth"],
  vscode: ["dev", "gallery", "version", "sandbox", "sandboxEnabled"],
  windsurf: [],
  cline: ["autoApprove", "alwaysAllow", "networkTimeout"],
};

/** Top-level keys that only the client acts on. */
export const CLIENT_ONLY_TOP_KEYS: Readonly<
  Record<ClientFormat, readonly string[]>
> = {
  "claude-desktop": ["globalShortcut", "preferences"],
  "claude-code": [],
  cursor: [],
  vscode: [],
  windsurf: [],
  cline: [],
};

const _CLINE_KEYS = ["autoApprove", "alwaysAllow", "transportType"];

/**
 * The client a configuration file comes from: by its name and folder first
 * (`.vscode/mcp.json`, `cline_mcp_settings.json`, ...), then by keys only
 * one client writes (`servers` and `inputs`, `serverUrl`, `autoApprove`).
 * An `execbox.jsonc`, or any file with none of these, is execbox's own.
 *
 * @param path The file's path.
 * @param root The file's tree from `jsonc-parser`'s `parseTree`.
 * @returns The client, or `undefined` for execbox's own format.
 *
 * @example Tell a VS Code file by its keys
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTree } from "jsonc-parser";
 * import { detectClientFormat } from "./client_format.ts";
 *
 * const root = parseTree(`{ "servers": { "a": { "command": "a" } } }`)!;
 * assert.equal(detectClientFormat("/work/mcp.json", root), "vscode");
 * assert.equal(detectClientFormat("/work/execbox.jsonc", root), undefined);
 * ```
 */
export function detectClientFormat(
  path: string,
  root: Node,
): ClientFormat | undefined {
  const name = basename(path);
  const slashed = path.replaceAll("\\", "/");
  if (name.endsWith(".jsonc") && name.startsWith("execbox")) return undefined;
  if (name === "claude_desktop_config.json") return "claude-desktop";
  if (name === "cline_mcp_settings.json") return "cline";
  const top = propertyMap(root);
  if (
    slashed.includes("/.vscode/") ||
    (!top.has("mcpServers") && (top.has("servers") || top.has("inputs")))
  ) return "vscode";
  if (slashed.includes("/.cursor/")) return "cursor";
  const servers = [...propertyMap(top.get("mcpServers")).values()].map(
    propertyMap,
  );
  if (
    slashed.toLowerCase().includes("/windsurf/") ||
    name === "mcp_config.json" || servers.some((s) => s.has("serverUrl"))
  ) return "windsurf";
  if (
    servers.some((s) =>
      _CLINE_KEYS.some((key) => s.has(key)) ||
      s.get("type")?.value === "streamableHttp"
    )
  ) return "cline";
  if (name === ".mcp.json") return "claude-code";
  return undefined;
}

/**
 * The properties of an object node by key, value nodes in the map (the last
 * of duplicates wins, as in the data).
 *
 * @param node An object node, or anything else for an empty map.
 * @returns The value node of each key.
 */
export function propertyMap(node: Node | undefined): Map<string, Node> {
  const map = new Map<string, Node>();
  if (node?.type !== "object") return map;
  for (const property of node.children ?? []) {
    const [key, value] = property.children ?? [];
    if (key !== undefined && value !== undefined) {
      map.set(String(key.value), value);
    }
  }
  return map;
}

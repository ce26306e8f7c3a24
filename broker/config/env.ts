/**
 * `${VAR}` references in an `execbox.jsonc`: the parsed JSONC tree turned
 * into plain data with `${VAR}` and `${VAR:-default}` in string values taken
 * from the environment, so secrets can stay out of the file.
 *
 * @module
 */

import type { Node } from "jsonc-parser";
import { type ConfigPath, type ConfigProblem, pathText } from "./problem.ts";

/** What {@linkcode expandConfigEnv} returns. */
export interface ExpandedConfig {
  /** The tree's data, with references expanded; not yet validated. */
  value: unknown;
  /**
   * Problems met on the way, in the file's order: missing variables, bad
   * references, duplicate and `"__proto__"` keys.
   */
  problems: ConfigProblem[];
  /** Every non-empty value taken from the environment, in the file's order. */
  secrets: Set<string>;
}

interface _Walk {
  env: Record<string, string | undefined>;
  problems: ConfigProblem[];
  secrets: Set<string>;
}

// `$${` escapes, `${NAME}` / `${NAME:-default}` expand, any other `${` is a
// mistake worth reporting.
const _REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{/g;

/**
 * Turns a JSONC tree into plain data, expanding `${VAR}` and
 * `${VAR:-default}` in string values from `env` (`$${` writes a literal
 * `${`). The strings of a disabled server (`"disabled": true` under
 * `mcpServers`) are left as written, so its variables need not be set.
 *
 * Duplicate keys and `"__proto__"` are reported here, because the data can
 * no longer show them: the last duplicate wins, and zod would silently drop a
 * `"__proto__"` entry of a record.
 *
 * @param root The root of a tree from `jsonc-parser`'s `parseTree`.
 * @param env Variables for `${VAR}` references.
 * @returns The data, the problems found and the values to redact.
 *
 * @example Expand a token from the environment
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTree } from "jsonc-parser";
 * import { expandConfigEnv } from "./env.ts";
 *
 * const root = parseTree(`{ "token": "Bearer \${TOKEN}" }`)!;
 * const { value, problems, secrets } = expandConfigEnv(root, { TOKEN: "t0" });
 * assert.deepEqual(value, { token: "Bearer t0" });
 * assert.deepEqual(problems, []);
 * assert.deepEqual([...secrets], ["t0"]);
 * ```
 */
export function expandConfigEnv(
  root: Node,
  env: Record<string, string | undefined>,
): ExpandedConfig {
  const walk: _Walk = { env, problems: [], secrets: new Set() };
  const value = _toValue(root, [], true, walk);
  return { value, problems: walk.problems, secrets: walk.secrets };
}

function _toValue(
  node: Node,
  path: ConfigPath,
  expand: boolean,
  walk: _Walk,
): unknown {
  switch (node.type) {
    case "object": {
      // A disabled server's variables need not be set.
      const skip = path.length === 2 && path[0] === "mcpServers" &&
        node.children?.some((p) =>
          p.children?.[0]?.value === "disabled" &&
          p.children[1]?.value === true
        );
      const entries: [string, unknown][] = [];
      const seen = new Set<string>();
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? [];
        if (keyNode === undefined || valueNode === undefined) continue;
        const key = String(keyNode.value);
        // zod would silently drop a "__proto__" entry of a record.
        if (key === "__proto__" || seen.has(key)) {
          walk.problems.push({
            offset: keyNode.offset,
            message: key === "__proto__"
              ? `key "__proto__" is not allowed`
              : `duplicate key "${key}"`,
          });
        }
        seen.add(key);
        const value = _toValue(
          valueNode,
          [...path, key],
          expand && !skip,
          walk,
        );
        entries.push([key, value]);
      }
      return Object.fromEntries(entries);
    }
    case "array":
      return (node.children ?? []).map((item, index) =>
        _toValue(item, [...path, index], expand, walk)
      );
    case "string":
      return expand ? _expand(node, path, walk) : node.value;
    default:
      return node.value;
  }
}

function _expand(node: Node, path: ConfigPath, walk: _Walk): string {
  return String(node.value).replace(
    _REFERENCE,
    (match, name?: string, fallback?: string) => {
      if (match === "$${") return "${";
      if (name === undefined) {
        walk.problems.push({
          offset: node.offset,
          message: `invalid variable reference in ${pathText(path)}`,
          hint: `(write "$\${" for a literal "\${")`,
        });
        return "";
      }
      const value = walk.env[name];
      if (fallback !== undefined && !value) return fallback;
      if (value === undefined) {
        walk.problems.push({
          offset: node.offset,
          message: `environment variable "${name}" is not set, used by ${
            pathText(path)
          }`,
        });
        return "";
      }
      if (value !== "") walk.secrets.add(value);
      return value;
    },
  );
}

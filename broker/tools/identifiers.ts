/**
 * Names the guest writes: tool names turned into identifiers a model can call
 * as `github.create_issue(...)`, and the checks a provider's name must pass to
 * become a global namespace.
 *
 * @module
 */

import { RESERVED_GLOBALS } from "./reserved_globals.ts";

/** Options for {@linkcode toolIdentifiers}. */
export interface ToolIdentifiersOptions {
  /**
   * Names already taken in the namespace, such as members the broker adds
   * itself (`$resources`): a tool whose identifier would equal one of them
   * gets a collision suffix instead.
   *
   * @default {[]}
   */
  reserved?: Iterable<string>;
}

// Words that cannot name a `function` or `namespace` in a declaration: the
// ECMAScript reserved words, the strict-mode ones, `await`, `yield`, and the
// literals `null`, `true` and `false`.
const _RESERVED_WORDS: ReadonlySet<string> = new Set([
  "await",
  "break",
  "case",
  "catch",
  "class",
  "const",
  "continue",
  "debugger",
  "default",
  "delete",
  "do",
  "else",
  "enum",
  "export",
  "extends",
  "false",
  "finally",
  "for",
  "function",
  "if",
  "implements",
  "import",
  "in",
  "instanceof",
  "interface",
  "let",
  "new",
  "null",
  "package",
  "private",
  "protected",
  "public",
  "return",
  "static",
  "super",
  "switch",
  "this",
  "throw",
  "true",
  "try",
  "typeof",
  "var",
  "void",
  "while",
  "with",
  "yield",
]);

const _IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Turns tool names into the identifiers the guest calls them by, in
 * declaration order.
 *
 * Runs of characters outside `[A-Za-z0-9_$]` become `_`, leading and trailing
 * `_` are trimmed, a leading digit gets a `_` prefix, a reserved word gets a
 * `_` suffix and an empty result becomes `_`. When an identifier is already
 * taken (by an earlier tool or by `options.reserved`), it gets the first free
 * suffix of `__2`, `__3`, ...
 *
 * @param names The tool names, in the order the provider declared them.
 * @param options Names already taken in the namespace.
 * @returns One identifier per name, at the same index, all distinct.
 * @throws {TypeError} When a name is not a string.
 *
 * @example Sanitise and de-duplicate
 * ```ts
 * import assert from "node:assert/strict";
 * import { toolIdentifiers } from "./identifiers.ts";
 *
 * assert.deepEqual(
 *   toolIdentifiers(["search-docs", "a-b", "a_b", "delete", "2fa"]),
 *   ["search_docs", "a_b", "a_b__2", "delete_", "_2fa"],
 * );
 * assert.deepEqual(
 *   toolIdentifiers(["$resources"], { reserved: ["$resources"] }),
 *   ["$resources__2"],
 * );
 * ```
 */
export function toolIdentifiers(
  names: readonly string[],
  options: ToolIdentifiersOptions = {},
): string[] {
  const taken = new Set<string>(options.reserved ?? []);
  return names.map((name) => {
    if (typeof name !== "string") {
      throw new TypeError(`Tool name must be a string, got ${typeof name}`);
    }
    const identifier = _freeName(_toIdentifier(name), taken);
    taken.add(identifier);
    return identifier;
  });
}

/**
 * Tells whether a name can stand as a `function` or `namespace` name in a
 * declaration: an ASCII identifier (`[A-Za-z_$][A-Za-z0-9_$]*`) that is not a
 * reserved word.
 *
 * @param name The name to check.
 * @returns `true` when the name can be declared as it is.
 *
 * @example Check names
 * ```ts
 * import assert from "node:assert/strict";
 * import { isIdentifier } from "./identifiers.ts";
 *
 * assert.equal(isIdentifier("create_issue"), true);
 * assert.equal(isIdentifier("create-issue"), false);
 * assert.equal(isIdentifier("delete"), false);
 * ```
 */
export function isIdentifier(name: string): boolean {
  return typeof name === "string" && _IDENTIFIER.test(name) &&
    !_RESERVED_WORDS.has(name);
}

/**
 * Checks that a provider's name can become a global namespace of the guest.
 *
 * @param name The provider's name, used as the namespace (`github`).
 * @param taken Names of the providers registered before this one.
 * @throws {TypeError} When the name is not an ASCII identifier, is a reserved
 * word, is one of {@linkcode RESERVED_GLOBALS}, or is already taken; the
 * message suggests a name that would pass.
 *
 * @example Reject a name with a dash
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertProviderName } from "./identifiers.ts";
 *
 * assertProviderName("my_tools", new Set(["github"]));
 * assert.throws(() => assertProviderName("my-tools", new Set()), {
 *   name: "TypeError",
 *   message: 'Provider name "my-tools" is not a valid identifier (try "my_tools")',
 * });
 * ```
 */
export function assertProviderName(
  name: string,
  taken: ReadonlySet<string>,
): void {
  if (typeof name !== "string") {
    throw new TypeError(`Provider name must be a string, got ${typeof name}`);
  }
  let problem: string | undefined;
  if (!_IDENTIFIER.test(name)) problem = "is not a valid identifier";
  else if (_RESERVED_WORDS.has(name)) problem = "is a reserved word";
  else if (RESERVED_GLOBALS.has(name)) problem = "is a global of the guest";
  else if (taken.has(name)) problem = "is already taken";
  if (problem === undefined) return;
  const hint = _freeName(
    _toIdentifier(name),
    new Set([...RESERVED_GLOBALS, ...taken]),
  );
  throw new TypeError(
    `Provider name ${JSON.stringify(name)} ${problem} (try ${
      JSON.stringify(hint)
    })`,
  );
}

/** Sanitises one name without looking at the names taken. */
function _toIdentifier(name: string): string {
  let identifier = name.replace(/[^A-Za-z0-9_$]+/g, "_").replace(
    /^_+|_+$/g,
    "",
  );
  if (identifier === "") return "_";
  if (/^[0-9]/.test(identifier)) identifier = `_${identifier}`;
  if (_RESERVED_WORDS.has(identifier)) identifier = `${identifier}_`;
  return identifier;
}

/** Returns `base`, or `base__N` with the smallest free N from 2. */
function _freeName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  let n = 2;
  while (taken.has(`${base}__${n}`)) n++;
  return `${base}__${n}`;
}

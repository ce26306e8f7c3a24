/**
 * `allowTools` / `denyTools`: which upstream tools the guest sees at all.
 *
 * @module
 */

function _globToRegExp(glob: string): RegExp {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`);
}

/**
 * Builds the predicate of allowed tool names: allowed when it matches an entry
 * of `allow` (every name when `allow` is absent) and no entry of `deny`.
 * Entries are exact names or globs with `*` and `?`.
 *
 * @param allow Names or globs to offer.
 * @param deny Names or globs never to offer.
 * @returns The predicate.
 *
 * @example Hide the write tools
 * ```ts
 * import { toolFilter } from "./tool_filter.ts";
 * const allowed = toolFilter(undefined, ["write_*", "delete_*"]);
 * allowed("read_file"); // true
 * allowed("write_file"); // false
 * ```
 */
export function toolFilter(
  allow: readonly string[] | undefined,
  deny: readonly string[] | undefined,
): (name: string) => boolean {
  const allowed = allow?.map(_globToRegExp);
  const denied = (deny ?? []).map(_globToRegExp);
  return (name) =>
    (allowed === undefined || allowed.some((r) => r.test(name))) &&
    !denied.some((r) => r.test(name));
}

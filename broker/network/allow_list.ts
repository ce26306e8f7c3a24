/**
 * `network.allow` checked: which rule, if any, allows a request, and in words
 * why none does.
 *
 * @module
 */

import type { NetworkRule, NetworkRuleInfo } from "./options.ts";

/** A rule after validation. */
export interface CheckedRule extends NetworkRuleInfo {
  /** The headers the broker adds, as given. */
  headers: [string, string][];
}

/** What {@linkcode AllowList.check} decides. */
export type AllowDecision =
  | { allowed: true; rule: CheckedRule }
  | { allowed: false; reason: string };

const _TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The validated `network.allow` rules.
 *
 * @example Allow GET under /v1/ of one origin
 * ```ts
 * import assert from "node:assert/strict";
 * import { AllowList } from "./allow_list.ts";
 *
 * const list = new AllowList([{ origin: "https://api.example.com", paths: ["/v1"] }]);
 * assert.equal(list.check(new URL("https://api.example.com/v1/x"), "GET").allowed, true);
 * assert.equal(list.check(new URL("https://api.example.com/v10"), "GET").allowed, false);
 * ```
 */
export class AllowList {
  /** The rules, in order. */
  readonly rules: readonly CheckedRule[];

  /**
   * @param rules The rules as configured.
   * @throws {TypeError} When a rule is malformed: an origin that is not
   * `http(s)://host[:port]`, a path without a leading `/`, a method or header
   * that is not an HTTP token.
   */
  constructor(rules: readonly NetworkRule[]) {
    if (!Array.isArray(rules)) {
      throw new TypeError(
        `network.allow must be an array, got ${typeof rules}`,
      );
    }
    this.rules = rules.map((rule, i) =>
      _checkRule(rule, `network.allow[${i}]`)
    );
  }

  /**
   * Finds the first rule that allows `method` on `url`.
   *
   * @param url The request's URL.
   * @param method The request's method.
   * @returns The rule, or why no rule allows the request.
   */
  check(url: URL, method: string): AllowDecision {
    if (url.username !== "" || url.password !== "") {
      return { allowed: false, reason: "the URL holds credentials" };
    }
    const sameOrigin = this.rules.filter((rule) => rule.origin === url.origin);
    if (sameOrigin.length === 0) {
      return { allowed: false, reason: "no rule for this origin" };
    }
    const onPath = sameOrigin.filter((rule) =>
      rule.paths.length === 0 ||
      rule.paths.some((prefix) => _underPrefix(url.pathname, prefix))
    );
    if (onPath.length === 0) {
      const paths = sameOrigin.flatMap((rule) => rule.paths);
      return {
        allowed: false,
        reason:
          `no rule for the path ${url.pathname} on this origin (allowed: ${
            paths.join(", ")
          })`,
      };
    }
    const rule = onPath.find((rule) => rule.methods.includes(method));
    if (rule === undefined) {
      const methods = [...new Set(onPath.flatMap((rule) => rule.methods))];
      return {
        allowed: false,
        reason: `the method ${method} is not allowed for this path (allowed: ${
          methods.join(", ")
        })`,
      };
    }
    return { allowed: true, rule };
  }
}

// Whole segments: "/v1" covers "/v1" and "/v1/...", not "/v10".
function _underPrefix(path: string, prefix: string): boolean {
  if (prefix.endsWith("/")) return path.startsWith(prefix);
  return path === prefix || path.startsWith(`${prefix}/`);
}

function _checkRule(rule: NetworkRule, where: string): CheckedRule {
  if (rule === null || typeof rule !== "object") {
    throw new TypeError(`${where} must be an object, got ${rule}`);
  }
  let url: URL;
  try {
    url = new URL(rule.origin);
  } catch {
    throw new TypeError(
      `${where}.origin is not a URL: ${JSON.stringify(rule.origin)}`,
    );
  }
  if (
    (url.protocol !== "https:" && url.protocol !== "http:") ||
    url.username !== "" || url.password !== "" || url.search !== "" ||
    url.hash !== "" || url.pathname !== "/" ||
    !/^https?:\/\/[^/]+\/?$/i.test(rule.origin)
  ) {
    throw new TypeError(
      `${where}.origin must be an http or https origin without a path, such as "https://api.example.com", got ${
        JSON.stringify(rule.origin)
      }`,
    );
  }
  const paths = rule.paths ?? [];
  for (const path of paths) {
    if (typeof path !== "string" || !path.startsWith("/")) {
      throw new TypeError(
        `${where}.paths must hold paths starting with "/", got ${
          JSON.stringify(path)
        }`,
      );
    }
    // The request's path is compared after URL normalisation; so is the prefix.
    if (new URL(path, url).pathname !== path) {
      throw new TypeError(
        `${where}.paths must hold normalised paths, got ${
          JSON.stringify(path)
        } (try ${JSON.stringify(new URL(path, url).pathname)})`,
      );
    }
  }
  const methods = (rule.methods ?? ["GET"]).map((method) => {
    if (typeof method !== "string" || !_TOKEN.test(method)) {
      throw new TypeError(
        `${where}.methods must hold HTTP methods, got ${
          JSON.stringify(method)
        }`,
      );
    }
    return method.toUpperCase();
  });
  const headers = Object.entries(rule.headers ?? {});
  for (const [name, value] of headers) {
    if (!_TOKEN.test(name) || typeof value !== "string") {
      throw new TypeError(
        `${where}.headers has an invalid header ${JSON.stringify(name)}`,
      );
    }
    try {
      new Headers([[name, value]]);
    } catch {
      throw new TypeError(
        `${where}.headers has an invalid value for ${JSON.stringify(name)}`,
      );
    }
  }
  return { origin: url.origin, paths: [...paths], methods, headers };
}

/**
 * The options of the guest's `fetch`: which requests it may make, the headers
 * the broker adds to them, and the limits of each request.
 *
 * @module
 */

/** One entry of {@linkcode NetworkOptions.allow}. */
export interface NetworkRule {
  /**
   * The origin requests may go to: scheme (`http` or `https`), host and
   * optional port, such as `"https://api.github.com"`. Compared exactly: an
   * IP address is not an alias of a host name, and no subdomain matches.
   */
  origin: string;
  /**
   * Path prefixes requests may use, each starting with `/`. A prefix matches
   * whole segments: `"/v1"` allows `/v1` and `/v1/x`, not `/v10`.
   * @default {every path}
   */
  paths?: string[];
  /**
   * Methods requests may use.
   * @default {["GET"]}
   */
  methods?: string[];
  /**
   * Headers the broker adds to each request this rule allows (replacing any
   * the guest set with the same name). The guest never sees them, and their
   * values are redacted from what a response echoes.
   * @default {{}}
   */
  headers?: Record<string, string>;
}

/** Options of the guest's `fetch` (`BrokerOptions.network`). */
export interface NetworkOptions {
  /**
   * The requests guest code may make. Without rules the guest has no
   * `fetch`; a request no rule allows fails with a `TypeError`.
   * @default {[]}
   */
  allow?: NetworkRule[];
  /**
   * Milliseconds one request may take, redirects and the body included; the
   * run's own `timeoutMs` still applies.
   * @default {30000}
   */
  timeoutMs?: number;
  /**
   * Largest response body, in bytes (after decompression); a larger one
   * fails the request with a `TypeError`.
   * @default {10485760}
   */
  maxResponseBytes?: number;
  /**
   * Redirects one request may follow; each hop is checked against `allow`.
   * @default {5}
   */
  maxRedirects?: number;
  /**
   * Requests one run may have in flight; more wait for a free place.
   * @default {4}
   */
  maxConcurrent?: number;
}

/** The defaults of {@linkcode NetworkOptions}' limits. */
export const NETWORK_DEFAULTS: Readonly<
  Required<Omit<NetworkOptions, "allow">>
> = Object.freeze({
  timeoutMs: 30_000,
  maxResponseBytes: 10_485_760,
  maxRedirects: 5,
  maxConcurrent: 4,
});

/** What a rule allows, as the model and the operator may read it (no headers). */
export interface NetworkRuleInfo {
  /** The origin, normalised (`https://api.example.com`). */
  origin: string;
  /** The path prefixes; empty for every path. */
  paths: string[];
  /** The methods, upper case. */
  methods: string[];
}

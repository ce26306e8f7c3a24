/**
 * The guest's `fetch`, host side: each request is checked against
 * `network.allow`, sent by the broker with the rule's headers, its redirects
 * followed and re-checked hop by hop, and its response read within the limits
 * and cleaned of the injected values before the guest sees it.
 *
 * @module
 */

import type { AuditCall, AuditFetchHop } from "../audit/record.ts";
import { headerSecrets, MIN_SECRET_LENGTH, redact } from "../redact.ts";
import type { WireResponse } from "../../runtime/fetch.ts";
import { AllowList } from "./allow_list.ts";
import { encodeBase64 } from "./base64.ts";
import { Gate } from "./gate.ts";
import {
  NETWORK_DEFAULTS,
  type NetworkOptions,
  type NetworkRuleInfo,
} from "./options.ts";
import { buildOutgoingRequest } from "./outgoing_request.ts";
import { BodyTooLargeError, readBody } from "./read_body.ts";
import { redactBytes } from "./redact_bytes.ts";
import { parseWireRequest } from "./wire_request.ts";

/** A request no rule allows; the guest gets a `TypeError` with its message. */
export class FetchRefusedError extends TypeError {
  /** @param message What was refused and why. */
  constructor(message: string) {
    super(message);
    this.name = "FetchRefusedError";
  }
}

/**
 * One run's `fetch`: sends the guest's request (the `call` argument) and
 * resolves with the answer for the guest.
 *
 * @throws {FetchRefusedError} When no rule allows the request or a redirect.
 * @throws {TypeError} When it is malformed, fails, times out or is too large.
 */
export type RunFetch = (
  args: unknown,
  signal: AbortSignal,
  audit: AuditCall | undefined,
) => Promise<WireResponse>;

const _REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
// Describe the body as the broker read it, not as the server sent it.
const _RESPONSE_DROPPED: ReadonlySet<string> = new Set([
  "content-encoding",
  "content-length",
  "transfer-encoding",
]);

// A body that is UTF-8 text gets real values back; other bytes go as they are.
function _restoreBody(
  body: Uint8Array<ArrayBuffer>,
  restore: (text: string) => string,
): Uint8Array<ArrayBuffer> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return body;
  }
  const restored = restore(text);
  return restored === text ? body : new TextEncoder().encode(restored);
}

function _positive(value: number | undefined, fallback: number, name: string) {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `network.${name} must be a whole number of at least 0, got ${value}`,
    );
  }
  return value;
}

/**
 * The broker's side of the guest's `fetch`.
 *
 * @example No rules, no fetch
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetworkAccess } from "./network_access.ts";
 *
 * assert.equal(new NetworkAccess({}).enabled, false);
 * ```
 */
export class NetworkAccess {
  readonly #list: AllowList;
  readonly #limits: Readonly<typeof NETWORK_DEFAULTS>;
  readonly #secrets: string[];
  readonly #needles: Uint8Array[];
  readonly #fetch: typeof fetch;

  /**
   * @param options `BrokerOptions.network`.
   * @param send The HTTP client (the host's `fetch`).
   * @throws {TypeError} When a rule is malformed.
   * @throws {RangeError} When a limit is not a whole number.
   */
  constructor(options: NetworkOptions, send: typeof fetch = fetch) {
    this.#list = new AllowList(options.allow ?? []);
    this.#limits = {
      timeoutMs: _positive(
        options.timeoutMs,
        NETWORK_DEFAULTS.timeoutMs,
        "timeoutMs",
      ),
      maxResponseBytes: _positive(
        options.maxResponseBytes,
        NETWORK_DEFAULTS.maxResponseBytes,
        "maxResponseBytes",
      ),
      maxRedirects: _positive(
        options.maxRedirects,
        NETWORK_DEFAULTS.maxRedirects,
        "maxRedirects",
      ),
      maxConcurrent: Math.max(
        1,
        _positive(
          options.maxConcurrent,
          NETWORK_DEFAULTS.maxConcurrent,
          "maxConcurrent",
        ),
      ),
    };
    const secrets = new Set<string>();
    for (const rule of this.#list.rules) {
      for (const [, value] of rule.headers) {
        for (const secret of headerSecrets(value)) {
          if (secret.length >= MIN_SECRET_LENGTH) secrets.add(secret);
        }
      }
    }
    this.#secrets = [...secrets];
    const encoder = new TextEncoder();
    this.#needles = this.#secrets.flatMap((secret) => {
      const escaped = JSON.stringify(secret).slice(1, -1);
      return (escaped === secret ? [secret] : [secret, escaped])
        .map((text) => encoder.encode(text));
    });
    this.#fetch = send;
  }

  /** Whether the guest gets a `fetch` (some rule exists). */
  get enabled(): boolean {
    return this.#list.rules.length > 0;
  }

  /** What the rules allow, without their headers. */
  get rules(): NetworkRuleInfo[] {
    return this.#list.rules.map(({ origin, paths, methods }) => ({
      origin,
      paths: [...paths],
      methods: [...methods],
    }));
  }

  /** The values of the injected headers (and their credentials), to redact. */
  get secrets(): readonly string[] {
    return this.#secrets;
  }

  /**
   * A `fetch` for one run, with its own `maxConcurrent` places.
   *
   * @param restore Applied to a request body that is UTF-8 text right before
   * it leaves (PII tokenization puts real values back with it); the URL and
   * headers reach the broker as JSON and are restored with the call's
   * argument.
   * @returns The run's fetch.
   */
  forRun(restore?: (text: string) => string): RunFetch {
    const gate = new Gate(this.#limits.maxConcurrent);
    return (args, signal, audit) =>
      this.#request(args, signal, gate, audit, restore);
  }

  async #request(
    args: unknown,
    runSignal: AbortSignal,
    gate: Gate,
    audit: AuditCall | undefined,
    restore: ((text: string) => string) | undefined,
  ): Promise<WireResponse> {
    const request = parseWireRequest(args);
    if (restore !== undefined && request.body !== undefined) {
      request.body = _restoreBody(request.body, restore);
    }
    const hops: AuditFetchHop[] = [];
    if (audit !== undefined) audit.fetch = hops;
    const release = await gate.enter(runSignal);
    const { timeoutMs, maxRedirects, maxResponseBytes } = this.#limits;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort(runSignal.reason);
    runSignal.addEventListener("abort", onAbort, { once: true });
    const first = `${request.url.origin}${request.url.pathname}`;
    let url = request.url;
    let method = request.method;
    let body = request.body;
    let where = first;
    const failed = (reason: string) =>
      new TypeError(
        `fetch to ${where} failed: ${redact(reason, this.#secrets)}`,
      );
    try {
      for (let redirects = 0;; redirects++) {
        where = `${url.origin}${url.pathname}`;
        const hop: AuditFetchHop = {
          method,
          origin: url.origin,
          path: url.pathname,
        };
        hops.push(hop);
        const decision = this.#list.check(url, method);
        if (!decision.allowed) {
          hop.refused = decision.reason;
          throw new FetchRefusedError(
            `fetch to ${where} is not allowed: ${decision.reason}${
              redirects > 0 ? ` (redirected from ${first})` : ""
            }`,
          );
        }
        const outgoing = buildOutgoingRequest(
          {
            url,
            method,
            guestHeaders: request.headers,
            body,
            crossOrigin: url.origin !== request.url.origin,
          },
          decision.rule,
          controller.signal,
        );
        let response: Response;
        let bytes: Uint8Array;
        try {
          response = await this.#fetch(outgoing);
          hop.status = response.status;
          const location = response.headers.get("location");
          if (
            _REDIRECTS.has(response.status) && location !== null &&
            request.redirect !== "manual"
          ) {
            await response.body?.cancel();
            if (request.redirect === "error") {
              throw failed(
                `the server redirected and the redirect mode is "error"`,
              );
            }
            if (redirects >= maxRedirects) {
              throw failed(
                `more than ${maxRedirects} redirects (network.maxRedirects)`,
              );
            }
            if (!URL.canParse(location, url)) {
              throw failed(`invalid redirect location ${location}`);
            }
            if (
              (response.status === 303 && method !== "HEAD") ||
              (response.status <= 302 && method === "POST")
            ) {
              method = "GET";
              body = undefined;
            }
            url = new URL(location, url);
            continue;
          }
          bytes = await readBody(response.body, maxResponseBytes);
        } catch (error) {
          if (
            error instanceof TypeError && error.message.startsWith("fetch to ")
          ) {
            throw error;
          }
          if (timedOut) {
            throw failed(
              `no complete response within ${timeoutMs} ms (network.timeoutMs)`,
            );
          }
          if (runSignal.aborted) throw runSignal.reason;
          if (error instanceof BodyTooLargeError) {
            throw failed(
              `${error.message} (network.maxResponseBytes)`,
            );
          }
          throw failed((error as Error).message ?? String(error));
        }
        const clean = redactBytes(bytes, this.#needles);
        hop.bytes = clean.length;
        const headers: [string, string][] = [];
        for (const [name, value] of response.headers) {
          if (_RESPONSE_DROPPED.has(name)) continue;
          headers.push([name, redact(value, this.#secrets)]);
        }
        return {
          status: response.status,
          statusText: redact(response.statusText, this.#secrets),
          url: redact(url.href, this.#secrets),
          redirected: redirects > 0,
          headers,
          body: encodeBase64(clean),
        };
      }
    } finally {
      clearTimeout(timer);
      runSignal.removeEventListener("abort", onAbort);
      release();
    }
  }
}

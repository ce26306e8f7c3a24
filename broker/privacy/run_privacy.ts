/**
 * The privacy of one run: tokenizes what leaves it toward the model and puts
 * real values back into what leaves it toward a tool.
 *
 * @module
 */

import { redact } from "../redact.ts";
import { type Detector, findMatches } from "./detectors.ts";
import { TOKEN_PATTERN, type TokenMap } from "./token_map.ts";

/**
 * Tokenizes and detokenizes for one run, over its scope's {@linkcode TokenMap}.
 * Features that send guest data out of the broker (a tool call, a network
 * request) call {@linkcode RunPrivacy.detokenizeValue} or
 * {@linkcode RunPrivacy.detokenizeText} right before it leaves; what a person
 * or the model sees (the result, logs, an approval prompt) passes
 * {@linkcode RunPrivacy.tokenizeValue} or {@linkcode RunPrivacy.tokenizeText}.
 */
export class RunPrivacy {
  readonly #detectors: readonly Detector[];
  readonly #map: TokenMap;
  readonly #secrets: readonly string[];

  /**
   * Made by the broker for each run; features receive it in `RunOptions`.
   *
   * @param detectors What to tokenize.
   * @param map The scope's tokens (a session's or this run's).
   * @param secrets Values redacted before tokenizing.
   */
  constructor(
    detectors: readonly Detector[],
    map: TokenMap,
    secrets: readonly string[] = [],
  ) {
    this.#detectors = detectors;
    this.#map = map;
    this.#secrets = secrets;
  }

  /**
   * Text with secrets redacted, then every personal value replaced by its
   * token.
   *
   * @param text The text.
   * @returns The tokenized text.
   * @throws {PrivacyLimitError} When the scope is full; nothing is returned.
   */
  tokenizeText(text: string): string {
    const clean = this.#secrets.length === 0
      ? text
      : redact(text, this.#secrets);
    const matches = findMatches(clean, this.#detectors);
    if (matches.length === 0) return clean;
    let out = "";
    let at = 0;
    for (const { label, start, end } of matches) {
      out += clean.slice(at, start) +
        this.#map.tokenFor(label, clean.slice(start, end));
      at = end;
    }
    return out + clean.slice(at);
  }

  /**
   * A JSON value whose strings (object keys included) are tokenized; numbers
   * and other values are kept as they are.
   *
   * @param value A JSON value.
   * @returns A tokenized copy.
   * @throws {PrivacyLimitError} When the scope is full.
   */
  tokenizeValue(value: unknown): unknown {
    return _mapStrings(value, (s) => this.tokenizeText(s));
  }

  /**
   * Text with every token of this scope replaced by its value; tokens of other
   * scopes, and text that only looks like a token, stay as they are.
   *
   * @param text The text.
   * @returns The text with real values.
   */
  detokenizeText(text: string): string {
    if (!text.includes("[")) return text;
    return text.replace(
      TOKEN_PATTERN,
      (token) => this.#map.valueOf(token) ?? token,
    );
  }

  /**
   * A JSON value whose strings (object keys included) are detokenized.
   *
   * @param value A JSON value.
   * @returns A copy with real values.
   */
  detokenizeValue(value: unknown): unknown {
    return _mapStrings(value, (s) => this.detokenizeText(s));
  }
}

/**
 * Cuts tokenized text to at most `maxChars` characters without leaving part of
 * a token, or the start of a value whose rest was cut before the text was
 * tokenized (the word the cut falls in, and digit groups before it, go).
 *
 * @param text Tokenized text.
 * @param maxChars The most characters to keep.
 * @returns The text, or a prefix of it.
 *
 * @example Cut inside a token
 * ```ts
 * import { cutTokenized } from "./run_privacy.ts";
 * cutTokenized("to [EMAIL_12] now", 8); // "to "
 * ```
 */
export function cutTokenized(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return dropPartialValue(text.slice(0, maxChars));
}

/**
 * The head of a text that was cut, without a partial token or value at its
 * end.
 *
 * @param head Text cut at an arbitrary place.
 * @returns The head up to the last whole word before the cut.
 *
 * @example Drop a partial email
 * ```ts
 * import { dropPartialValue } from "./run_privacy.ts";
 * dropPartialValue("mail ann@exam"); // "mail "
 * ```
 */
export function dropPartialValue(head: string): string {
  return head.replace(/\S*$/, "").replace(/[\d+(][\d\s+().-]*$/, "");
}

function _mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === "string") return f(value);
  if (Array.isArray(value)) return value.map((v) => _mapStrings(v, f));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const name = f(key);
    if (name !== "__proto__") {
      out[name] = _mapStrings(inner, f);
      continue;
    }
    // Defined, not assigned: a `__proto__` key stays an own key.
    Object.defineProperty(out, name, {
      value: _mapStrings(inner, f),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

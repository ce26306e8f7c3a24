/**
 * The two-way map between personal values and their tokens in one scope (a
 * session or a run), bounded in size.
 *
 * @module
 */

import { ExecboxError } from "../errors.ts";

/** Thrown when a scope would hold more than its `maxTokens` values. */
export class PrivacyLimitError extends ExecboxError {
  /** The limit's name in a result's `error.limit`. */
  readonly limit = "privacyTokens";

  /**
   * Made when a new value would pass `maxTokens`.
   *
   * @param maxTokens The limit that was reached.
   */
  constructor(maxTokens: number) {
    super(
      "limit_exceeded",
      `Run output holds more than ${maxTokens} distinct personal values to tokenize (privacy.maxTokens)`,
    );
    this.name = "PrivacyLimitError";
  }
}

/** A token as it appears in text: `[EMAIL_7]`. */
export const TOKEN_PATTERN: RegExp = /\[([A-Z][A-Z0-9_]{0,31})_(\d{1,9})\]/g;

/**
 * Values and their tokens (`[EMAIL_1]`), the same token for the same value;
 * numbered per label in the order first seen.
 */
export class TokenMap {
  readonly #byValue = new Map<string, string>();
  readonly #byToken = new Map<string, string>();
  readonly #counts = new Map<string, number>();
  readonly #maxTokens: number;
  #changed = false;

  /**
   * Makes an empty map, or one that holds stored tokens.
   *
   * @param maxTokens The most values the map holds.
   * @param entries Tokens and values to start with (from a store).
   */
  constructor(maxTokens: number, entries: Iterable<[string, string]> = []) {
    this.#maxTokens = maxTokens;
    for (const [token, value] of entries) {
      const match = /^\[([A-Z][A-Z0-9_]*)_(\d+)\]$/.exec(token);
      if (match === null) continue;
      const label = match[1]!;
      this.#byToken.set(token, value);
      this.#byValue.set(`${label}\u0000${value}`, token);
      this.#counts.set(
        label,
        Math.max(this.#counts.get(label) ?? 0, Number(match[2])),
      );
    }
  }

  /** How many values the map holds. */
  get size(): number {
    return this.#byToken.size;
  }

  /** Whether a token was added since the map was made. */
  get changed(): boolean {
    return this.#changed;
  }

  /**
   * The token of a value, made on first sight.
   *
   * @param label The detector's label (`EMAIL`).
   * @param value The value.
   * @returns Its token.
   * @throws {PrivacyLimitError} When a new value would pass `maxTokens`.
   */
  tokenFor(label: string, value: string): string {
    const key = `${label}\u0000${value}`;
    const known = this.#byValue.get(key);
    if (known !== undefined) return known;
    if (this.#byToken.size >= this.#maxTokens) {
      throw new PrivacyLimitError(this.#maxTokens);
    }
    const n = (this.#counts.get(label) ?? 0) + 1;
    this.#counts.set(label, n);
    const token = `[${label}_${n}]`;
    this.#byValue.set(key, token);
    this.#byToken.set(token, value);
    this.#changed = true;
    return token;
  }

  /**
   * The value of a token of this scope.
   *
   * @param token A token such as `[EMAIL_1]`.
   * @returns Its value, or `undefined` for a token this scope did not make.
   */
  valueOf(token: string): string | undefined {
    return this.#byToken.get(token);
  }

  /**
   * Every token and its value, for a store.
   *
   * @returns Pairs in the order they were made.
   */
  entries(): [string, string][] {
    return [...this.#byToken];
  }
}

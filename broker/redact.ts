/**
 * Keeps secrets (expanded `${VAR}` values, header values) out of what the
 * guest and the caller see.
 *
 * @module
 */

/** Secrets shorter than this are not redacted: they would match ordinary text. */
export const MIN_SECRET_LENGTH = 4;

/**
 * The secrets a header value holds: the value, and for an authorization
 * scheme (`Bearer tok`, `Basic dXNlcjpwYXNz`) the credential alone, and for
 * Basic the decoded `user:password` and password.
 *
 * @param value A header value.
 * @returns The strings to redact.
 *
 * @example Secrets of a Basic header
 * ```ts
 * import { headerSecrets } from "./redact.ts";
 * headerSecrets("Basic dXNlcjpwYXNzd29yZA=="); // [..., "user:password", "password"]
 * ```
 */
export function headerSecrets(value: string): string[] {
  const secrets = [value];
  const match = /^\s*([A-Za-z][\w.+-]*)\s+(\S.*)$/.exec(value);
  if (match) {
    const credential = match[2]!.trim();
    secrets.push(credential);
    if (match[1]!.toLowerCase() === "basic") {
      try {
        const decoded = atob(credential);
        secrets.push(decoded);
        const colon = decoded.indexOf(":");
        if (colon >= 0) secrets.push(decoded.slice(colon + 1));
      } catch {
        // not base64: the credential itself is covered
      }
    }
  }
  return secrets;
}

/**
 * Replaces every occurrence of each secret, as it is and as it appears inside
 * a JSON string, with `[redacted]`.
 *
 * @param text The text to clean.
 * @param secrets The values to hide.
 * @returns The text without the secrets.
 *
 * @example Redact a token
 * ```ts
 * import { redact } from "./redact.ts";
 * redact("Authorization: Bearer abc123", ["abc123"]); // "Authorization: Bearer [redacted]"
 * ```
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    out = out.replaceAll(secret, "[redacted]");
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) out = out.replaceAll(escaped, "[redacted]");
  }
  return out;
}

/**
 * A JSON value with every secret taken out of its text; the same value when
 * nothing was redacted.
 *
 * @param value A JSON value (or `undefined`).
 * @param secrets The values to hide.
 * @returns The value, or a redacted copy.
 *
 * @example Redact a value
 * ```ts
 * import { redactValue } from "./redact.ts";
 * redactValue({ token: "abc123" }, ["abc123"]); // { token: "[redacted]" }
 * ```
 */
export function redactValue(
  value: unknown,
  secrets: readonly string[],
): unknown {
  if (secrets.length === 0 || value === undefined) return value;
  const text = JSON.stringify(value);
  if (text === undefined) return value;
  const clean = redact(text, secrets);
  if (clean === text) return value;
  try {
    return JSON.parse(clean);
  } catch {
    // A secret that spans JSON syntax (`a","b`): redact string by string.
    return _redactStrings(JSON.parse(text), secrets);
  }
}

function _redactStrings(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") return redact(value, secrets);
  if (Array.isArray(value)) return value.map((v) => _redactStrings(v, secrets));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    // Defined, not assigned: a `__proto__` key stays an own key.
    Object.defineProperty(out, redact(key, secrets), {
      value: _redactStrings(inner, secrets),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

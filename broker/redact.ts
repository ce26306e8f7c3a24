/**
 * Keeps secrets (expanded `${VAR}` values, header values) out of what the
 * guest and the caller see.
 *
 * @module
 */

/** Secrets shorter than this are not redacted: they would match ordinary text. */
export const MIN_SECRET_LENGTH = 4;

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

/**
 * Token maps at rest: sealed with AES-256-GCM (WebCrypto) before they leave
 * the process, bound to their scope so a sealed map moved to another scope
 * does not open.
 *
 * @module
 */

const _VERSION = "v1.";
const _IV_BYTES = 12;
const _encoder = new TextEncoder();

/**
 * The AES-256-GCM key for token maps: the SHA-256 of `secret`, or a random key
 * for this process when there is none (maps then do not survive a restart).
 *
 * @param secret The configured key (`privacy.key`), at least 16 characters.
 * @returns A key for {@linkcode sealTokens} and {@linkcode openTokens}.
 * @throws {TypeError} When `secret` is shorter than 16 characters.
 */
export async function importTokenKey(secret?: string): Promise<CryptoKey> {
  if (
    secret !== undefined && (typeof secret !== "string" || secret.length < 16)
  ) {
    throw new TypeError(
      `Privacy key must be a string of at least 16 characters, got ${
        typeof secret === "string"
          ? `${secret.length} characters`
          : typeof secret
      }`,
    );
  }
  const raw = secret === undefined
    ? crypto.getRandomValues(new Uint8Array(32))
    : new Uint8Array(
      await crypto.subtle.digest("SHA-256", _encoder.encode(secret)),
    );
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
}

/**
 * Seals a scope's tokens and values.
 *
 * @param key From {@linkcode importTokenKey}.
 * @param scope The scope's id, authenticated with the data.
 * @param entries Tokens and values.
 * @returns Text safe to store: no value appears in it.
 */
export async function sealTokens(
  key: CryptoKey,
  scope: string,
  entries: readonly (readonly [string, string])[],
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(_IV_BYTES));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: _encoder.encode(scope) },
      key,
      _encoder.encode(JSON.stringify(entries)),
    ),
  );
  const out = new Uint8Array(iv.length + sealed.length);
  out.set(iv);
  out.set(sealed, iv.length);
  return _VERSION + _toBase64(out);
}

/**
 * Opens what {@linkcode sealTokens} sealed for the same scope and key.
 *
 * @param key From {@linkcode importTokenKey}.
 * @param scope The scope's id.
 * @param text The sealed text.
 * @returns Tokens and values.
 * @throws {Error} When the text is not sealed with this key for this scope.
 */
export async function openTokens(
  key: CryptoKey,
  scope: string,
  text: unknown,
): Promise<[string, string][]> {
  if (typeof text !== "string" || !text.startsWith(_VERSION)) {
    throw new Error("Stored privacy tokens are not in a known format");
  }
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = _fromBase64(text.slice(_VERSION.length));
  } catch {
    throw new Error("Stored privacy tokens are not in a known format");
  }
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: bytes.subarray(0, _IV_BYTES),
        additionalData: _encoder.encode(scope),
      },
      key,
      bytes.subarray(_IV_BYTES),
    );
  } catch {
    throw new Error(
      "Stored privacy tokens cannot be decrypted (privacy.key changed?)",
    );
  }
  const entries = JSON.parse(new TextDecoder().decode(plain));
  if (
    !Array.isArray(entries) ||
    !entries.every((e) =>
      Array.isArray(e) && typeof e[0] === "string" && typeof e[1] === "string"
    )
  ) {
    throw new Error("Stored privacy tokens are not in a known format");
  }
  return entries;
}

function _toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function _fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * A response body read whole, up to a limit.
 *
 * @module
 */

/** The body is larger than the limit; the rest was not read. */
export class BodyTooLargeError extends Error {
  /** @param limit The limit that was passed. */
  constructor(readonly limit: number) {
    super(`the response body is more than ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/**
 * Reads a body into one array, cancelling the stream once it passes `limit`.
 *
 * @param body The response's body (`null` for none).
 * @param limit The most bytes accepted.
 * @returns The bytes.
 * @throws {BodyTooLargeError} When the body has more than `limit` bytes.
 */
export async function readBody(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw new BodyTooLargeError(limit);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

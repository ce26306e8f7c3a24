/**
 * Length-prefixed frames for the Deno-process baselines: the same layout as
 * execbox's protocol (`u32 header | u32 payload | header JSON | payload`), so
 * the baselines pay for the same bytes and differ only in what execbox adds.
 *
 * Both functions are self-contained: the subprocess script embeds their source.
 *
 * @module
 */

/** A decoded frame: a JSON header and a UTF-8 payload. */
export interface Frame {
  /** The header object. */
  h: Record<string, unknown>;
  /** The payload text. */
  p: string;
}

/** Encodes one frame. */
export function encodeFrame(h: Record<string, unknown>, p = ""): Uint8Array {
  const encoder = new TextEncoder();
  const head = encoder.encode(JSON.stringify(h));
  const body = encoder.encode(p);
  const out = new Uint8Array(8 + head.length + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, head.length);
  view.setUint32(4, body.length);
  out.set(head, 8);
  out.set(body, 8 + head.length);
  return out;
}

/** Splits a byte stream into frames. */
export function createFrameReader(): {
  push(chunk: Uint8Array): Frame[];
} {
  const decoder = new TextDecoder();
  const chunks: Uint8Array[] = [];
  let buffered = 0;
  function take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let offset = 0;
    while (offset < n) {
      const chunk = chunks[0]!;
      const k = Math.min(chunk.length, n - offset);
      out.set(chunk.subarray(0, k), offset);
      offset += k;
      if (k === chunk.length) chunks.shift();
      else chunks[0] = chunk.subarray(k);
    }
    buffered -= n;
    return out;
  }
  let lengths: [number, number] | undefined;
  return {
    push(chunk) {
      chunks.push(chunk);
      buffered += chunk.length;
      const frames: Frame[] = [];
      while (true) {
        if (lengths === undefined) {
          if (buffered < 8) break;
          const view = new DataView(take(8).buffer);
          lengths = [view.getUint32(0), view.getUint32(4)];
        }
        if (buffered < lengths[0] + lengths[1]) break;
        const h = JSON.parse(decoder.decode(take(lengths[0])));
        frames.push({ h, p: decoder.decode(take(lengths[1])) });
        lengths = undefined;
      }
      return frames;
    },
  };
}

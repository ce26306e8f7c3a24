/**
 * The message protocol between the broker and a runtime subprocess, shared by
 * both sides. `docs/protocol.md` describes it in prose.
 *
 * A frame is `u32 headerLength | u32 payloadLength | header | payload`, both
 * lengths big-endian. The header is a small UTF-8 JSON object whose `t` names
 * the message; the payload carries the bulky part (code, JSON values, text) as
 * raw bytes, so the broker knows a payload's exact size before reading it.
 *
 * The functions here are self-contained on purpose: the broker injects their
 * source into the runtime script with `Function.prototype.toString`, so they
 * must not reference anything outside their own body.
 *
 * @module
 */

/** Version of this protocol; the runtime announces it in its `ready` frame. */
export const PROTOCOL_VERSION = 4;

/**
 * The namespace of the `call` frames that carry the guest's `fetch` (its name
 * is `fetch` too). `fetch` is a global of the guest, so no provider can take
 * this namespace.
 */
export const FETCH_NAMESPACE = "fetch";

/** Largest header either side accepts, in bytes. */
export const MAX_HEADER_BYTES = 65_536;

/**
 * A top-level array whose JSON is estimated at this many bytes or more
 * travels in pieces (`piece` frames, then a `result` or `done` frame with
 * `pieces`), so that encoding, the pipe and parsing overlap.
 */
export const PIECES_FROM_BYTES = 1_048_576;

/** The size each piece of an array sent in pieces aims at, in bytes. */
export const PIECE_BYTES = 524_288;

/** How deeply objects and arrays may nest in a value crossing the boundary. */
export const MAX_JSON_DEPTH = 128;

/** Error codes a runtime subprocess may report in a `fail` frame. */
export type GuestErrorCode =
  | "syntax_error"
  | "runtime_error"
  | "tool_error"
  | "validation_error"
  | "serialization_error";

/** Console levels the guest can log at. */
export type LogLevel = "log" | "info" | "debug" | "warn" | "error";

/** Frames the runtime sends to the broker (payload in the comment). */
export type RuntimeFrame =
  /** The Worker and prelude are ready for code. No payload. */
  | { t: "ready"; v: number; deno: string }
  /**
   * A host tool call. Payload: the argument as JSON text. `skill` names the
   * saved skill the call was made in, if any: untrusted, for the audit only.
   */
  | { t: "call"; id: number; ns: string; name: string; skill?: string }
  /** A console entry. Payload: the message as UTF-8 text. */
  | { t: "log"; level: LogLevel }
  /**
   * A piece of a large array result. Payload: a JSON array of the next
   * elements. Only ever followed by more pieces and then a `done` with
   * `pieces`.
   */
  | { t: "piece" }
  /**
   * The run finished. Payload: the result as JSON text, empty for
   * `undefined`; with `pieces`, the result is an array sent in that many
   * pieces and the payload is the last of them (a JSON array).
   */
  | { t: "done"; pieces?: number }
  /** The run failed. Payload: the message as UTF-8 text. */
  | { t: "fail"; code: GuestErrorCode };

/** A saved skill in an `exec` frame: its name and the length of its code. */
export interface SkillSource {
  /** The identifier the guest calls, as `skills.<name>`. */
  name: string;
  /** Length of its prepared JavaScript in the payload, in UTF-16 code units. */
  chars: number;
}

/** Frames the broker sends to the runtime (payload in the comment). */
export type BrokerFrame =
  /** Run code. Payload: the prepared JavaScript. */
  | {
    t: "exec";
    /** Guest namespaces and the tool identifiers in each (one object argument). */
    namespaces: Record<string, string[]>;
    /**
     * Methods by namespace, as dotted paths (`"$resources.read"`, `"get"`):
     * their positional arguments reach the broker as one JSON array.
     */
    methods: Record<string, string[]>;
    /** Log bytes the runtime forwards before it stops sending logs. */
    maxLogBytes: number;
    /**
     * Install the guest's `fetch` (the broker allows some origins); its
     * requests are `call` frames in {@linkcode FETCH_NAMESPACE}.
     */
    fetch?: true;
    /**
     * The caller's saved skills, as `skills.<name>`: each one's name and the
     * length (UTF-16 code units) of its prepared JavaScript. Their code comes
     * first in the payload, in this order, then the run's own code.
     */
    skills: SkillSource[];
  }
  /**
   * A tool call succeeded. Payload: the value as JSON text, empty for
   * `undefined`; with `text: true`, the value is a string and the payload is
   * that string itself as UTF-8 (no JSON quoting to add and parse away).
   */
  | { t: "result"; id: number; ok: true; text?: true }
  /**
   * The last piece of a tool result that is a large array, sent in `pieces`
   * pieces in all: the earlier ones are `piece` frames with the same `id`.
   * Payload: a JSON array of the last elements.
   */
  | { t: "result"; id: number; ok: true; pieces: number }
  /**
   * A piece of a tool result that is a large array. Payload: a JSON array of
   * the next elements. Followed by more pieces, then a `result` with
   * `pieces` (or with `ok: false`, which drops what came).
   */
  | { t: "piece"; id: number }
  /** A tool call failed. Payload: the message as UTF-8 text. */
  | {
    t: "result";
    id: number;
    ok: false;
    code: "tool_error" | "validation_error";
    tool: string;
  }
  /** Stop now. No payload. */
  | { t: "cancel" }
  /**
   * Isolate mode: the run ended; end its Worker and start a fresh one, then
   * send `ready` again. No payload.
   */
  | { t: "next" }
  /** Never sent by the broker: the runtime feeds itself one at start-up to warm its code paths. */
  | { t: "warm" };

/** One decoded frame: the header still as JSON text, the payload as bytes. */
export interface RawFrame {
  /** The header's JSON text. */
  header: string;
  /** The payload bytes (empty when the frame has none). */
  payload: Uint8Array;
}

/** A frame whose payload is larger than the decoder accepts; it is not read. */
export interface OversizeFrame {
  /** The header's JSON text. */
  header: string;
  /** The payload size the frame announced. */
  payloadBytes: number;
}

/** Incremental decoder for a byte stream of frames. */
export interface FrameDecoder {
  /** Largest payload read; may be changed between frames. */
  maxPayloadBytes: number;
  /**
   * Appends bytes read from the stream.
   *
   * @returns Whether the decoder keeps a reference to `chunk`; when it does
   * not, every byte was copied out and the caller may reuse or free it.
   */
  push(chunk: Uint8Array): boolean;
  /**
   * Returns the next complete frame, `undefined` when more bytes are needed,
   * or an {@linkcode OversizeFrame} once a header announces a payload over the
   * limit (the decoder is then unusable).
   *
   * @throws {RangeError} When a header is larger than the limit.
   */
  next(): RawFrame | OversizeFrame | undefined;
}

/**
 * Encodes one frame.
 *
 * @param header The header object; serialised with `JSON.stringify`.
 * @param payload The payload, as text (encoded as UTF-8) or bytes.
 * @returns The frame's bytes.
 */
export function encodeFrame(
  header: object,
  payload?: string | Uint8Array,
): Uint8Array {
  const encoder = new TextEncoder();
  const head = encoder.encode(JSON.stringify(header));
  const body = payload === undefined
    ? new Uint8Array(0)
    : typeof payload === "string"
    ? encoder.encode(payload)
    : payload;
  const out = new Uint8Array(8 + head.length + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, head.length);
  view.setUint32(4, body.length);
  out.set(head, 8);
  out.set(body, 8 + head.length);
  return out;
}

/**
 * Encodes the part of a frame before its payload: the two lengths and the
 * header. Writing it and then the payload's bytes sends the same frame as
 * {@linkcode encodeFrame} without copying a large payload into a new buffer.
 *
 * @param header The header object; serialised with `JSON.stringify`.
 * @param payloadBytes The length of the payload that follows.
 * @returns The lengths and the header, as bytes.
 */
export function encodeFrameHead(
  header: object,
  payloadBytes: number,
): Uint8Array {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + head.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, head.length);
  view.setUint32(4, payloadBytes);
  out.set(head, 8);
  return out;
}

/** Receives a frame stream in parts, as {@linkcode createFrameSplitter} cuts it. */
export interface FrameSink {
  /** A frame's header, once it is complete, and the size of its payload. */
  header(text: string, payloadBytes: number): void;
  /**
   * The next bytes of the current frame's payload: views into the chunks
   * pushed, never copies, in order; together exactly `payloadBytes`.
   */
  payload(bytes: Uint8Array): void;
}

/**
 * Creates a frame reader that passes each payload on as it arrives, without
 * buffering it: the runtime's main thread relays a large payload to the
 * Worker while the rest is still in the pipe.
 *
 * @param maxHeaderBytes Largest header accepted.
 * @param sink Receives each header and the payload's bytes.
 * @returns A function to push each chunk read from the stream to.
 * @throws {RangeError} (from the returned function) When a header is larger
 * than the limit.
 */
export function createFrameSplitter(
  maxHeaderBytes: number,
  sink: FrameSink,
): (chunk: Uint8Array) => void {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const prefix = new Uint8Array(8);
  const view = new DataView(prefix.buffer);
  let state = 0; // 0: lengths, 1: header, 2: payload
  let filled = 0;
  let head = new Uint8Array(0);
  let payloadBytes = 0;
  let left = 0;
  return (chunk: Uint8Array): void => {
    let offset = 0;
    for (;;) {
      if (state === 0) {
        const n = Math.min(8 - filled, chunk.length - offset);
        prefix.set(chunk.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled < 8) return;
        const headerBytes = view.getUint32(0);
        payloadBytes = view.getUint32(4);
        if (headerBytes > maxHeaderBytes) {
          throw new RangeError(
            `Frame header of ${headerBytes} bytes exceeds ${maxHeaderBytes}`,
          );
        }
        head = new Uint8Array(headerBytes);
        filled = 0;
        state = 1;
      }
      if (state === 1) {
        const n = Math.min(head.length - filled, chunk.length - offset);
        head.set(chunk.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled < head.length) return;
        state = 2;
        left = payloadBytes;
        sink.header(decoder.decode(head), payloadBytes);
      }
      const n = Math.min(left, chunk.length - offset);
      if (n > 0) {
        sink.payload(chunk.subarray(offset, offset + n));
        left -= n;
        offset += n;
      }
      if (left > 0) return;
      state = 0;
      filled = 0;
      if (offset === chunk.length) return;
    }
  };
}

/**
 * Creates a decoder that buffers at most one frame's worth of bytes. Once a
 * frame's header is in, its payload is copied into one buffer of the
 * announced size as chunks arrive, so the chunks are not kept as well.
 *
 * @param maxHeaderBytes Largest header accepted.
 * @param maxPayloadBytes Initial {@linkcode FrameDecoder.maxPayloadBytes}.
 * @returns The decoder.
 */
export function createFrameDecoder(
  maxHeaderBytes: number,
  maxPayloadBytes: number,
): FrameDecoder {
  const chunks: Uint8Array[] = [];
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let buffered = 0;
  let lengths: { header: number; payload: number } | undefined;
  let header: string | undefined;
  // The payload being filled, once its header was accepted.
  let body: Uint8Array | undefined;
  let filled = 0;

  // Copies the first `n` buffered bytes into `out` from `at`.
  function takeInto(out: Uint8Array, at: number, n: number): void {
    let offset = at;
    const end = at + n;
    while (offset < end) {
      const chunk = chunks[0]!;
      const k = Math.min(chunk.length, end - offset);
      out.set(chunk.subarray(0, k), offset);
      offset += k;
      if (k === chunk.length) chunks.shift();
      else chunks[0] = chunk.subarray(k);
    }
    buffered -= n;
  }
  function take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    takeInto(out, 0, n);
    return out;
  }

  const self: FrameDecoder = {
    maxPayloadBytes,
    push(chunk: Uint8Array): boolean {
      if (chunk.length === 0) return false;
      if (body !== undefined && buffered === 0) {
        const k = Math.min(body.length - filled, chunk.length);
        body.set(chunk.subarray(0, k), filled);
        filled += k;
        if (k === chunk.length) return false;
        chunk = chunk.subarray(k);
      }
      chunks.push(chunk);
      buffered += chunk.length;
      return true;
    },
    next(): RawFrame | OversizeFrame | undefined {
      if (lengths === undefined) {
        if (buffered < 8) return undefined;
        const prefix = take(8);
        const view = new DataView(prefix.buffer);
        lengths = { header: view.getUint32(0), payload: view.getUint32(4) };
        if (lengths.header > maxHeaderBytes) {
          throw new RangeError(
            `Frame header of ${lengths.header} bytes exceeds ${maxHeaderBytes}`,
          );
        }
      }
      if (header === undefined) {
        if (buffered < lengths.header) return undefined;
        header = decoder.decode(take(lengths.header));
      }
      if (body === undefined) {
        if (lengths.payload > self.maxPayloadBytes) {
          return { header, payloadBytes: lengths.payload };
        }
        body = new Uint8Array(lengths.payload);
        filled = 0;
      }
      const k = Math.min(buffered, body.length - filled);
      if (k > 0) {
        takeInto(body, filled, k);
        filled += k;
      }
      if (filled < body.length) return undefined;
      const frame = { header, payload: body };
      lengths = undefined;
      header = undefined;
      body = undefined;
      return frame;
    },
  };
  return self;
}

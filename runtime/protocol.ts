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
export const PROTOCOL_VERSION = 2;

/** Largest header either side accepts, in bytes. */
export const MAX_HEADER_BYTES = 65_536;

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
  /** The run finished. Payload: the result as JSON text, empty for `undefined`. */
  | { t: "done" }
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
     * The caller's saved skills, as `skills.<name>`: each one's name and the
     * length (UTF-16 code units) of its prepared JavaScript. Their code comes
     * first in the payload, in this order, then the run's own code.
     */
    skills: SkillSource[];
  }
  /** A tool call succeeded. Payload: the value as JSON text, empty for `undefined`. */
  | { t: "result"; id: number; ok: true }
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
  /** Appends bytes read from the stream. */
  push(chunk: Uint8Array): void;
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
 * Creates a decoder that buffers at most one frame's worth of bytes.
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

  // Copies the first `n` buffered bytes out, one allocation per frame part.
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

  const self: FrameDecoder = {
    maxPayloadBytes,
    push(chunk: Uint8Array): void {
      if (chunk.length === 0) return;
      chunks.push(chunk);
      buffered += chunk.length;
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
      if (lengths.payload > self.maxPayloadBytes) {
        return { header, payloadBytes: lengths.payload };
      }
      if (buffered < lengths.payload) return undefined;
      const frame = { header, payload: take(lengths.payload) };
      lengths = undefined;
      header = undefined;
      return frame;
    },
  };
  return self;
}

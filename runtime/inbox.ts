/**
 * The inbox: how the runtime's main thread sends messages to the guest Worker
 * without message events, which guest code can dispatch, hook and rewrite.
 *
 * It is a SharedArrayBuffer the main thread posts to the Worker first, before
 * any guest code exists; nothing is posted to the Worker after it. Four 32-bit
 * integers (the chunk's sequence number, its length, the whole message's
 * length, the sequence number of the last chunk the reader took), then up to
 * `chunkBytes` of the chunk's bytes from offset 16. A message is its header as
 * JSON, a newline, then its payload's bytes; one larger than a chunk travels
 * in several (the main thread passes each chunk on as soon as its bytes have
 * arrived from the pipe, not when the whole message has). The reader decodes each chunk as it takes it, so a payload is
 * text as soon as its last chunk is in; no buffer of the message's size is
 * made on either side. The writer stores the bytes and lengths, then the new sequence
 * number, and wakes the reader with `Atomics.notify`; the reader waits with
 * `Atomics.waitAsync`, copies the chunk out, stores its sequence number as
 * taken and wakes the writer, and only then is the next chunk written.
 *
 * Both factories are self-contained: the runtime injects their source with
 * `Function.prototype.toString`. The reader runs in the guest's realm and
 * captures every intrinsic it uses when it is created, before guest code.
 *
 * @module
 */

/** The main thread's end of the inbox. */
export interface InboxWriter {
  /** The buffer to post to the Worker, once. */
  readonly buffer: SharedArrayBuffer;
  /** Queues a whole message; it is written when the reader has taken the last chunk. */
  write(header: object, payload?: Uint8Array): void;
  /**
   * Starts a message whose payload arrives later, in parts
   * ({@linkcode InboxWriter.append}); what has arrived is passed on while the
   * rest is still on its way.
   */
  begin(header: object, payloadBytes: number): void;
  /**
   * Adds the next bytes of the payload of the message last begun; the view
   * is kept, not copied, until its bytes are in the shared buffer.
   */
  append(bytes: Uint8Array): void;
}

/**
 * Creates the main thread's end of an inbox.
 *
 * @param chunkBytes Largest chunk written at once.
 * @returns The writer, with the buffer to hand to the Worker.
 */
export function createInboxWriter(chunkBytes: number): InboxWriter {
  const encoder = new TextEncoder();
  const buffer = new SharedArrayBuffer(16 + chunkBytes);
  const control = new Int32Array(buffer, 0, 4);
  const area = new Uint8Array(buffer, 16, chunkBytes);
  // Messages in order; each knows its size from the start, and its parts
  // (the header line, then the payload as it arrives) queue behind it.
  interface Message {
    total: number;
    sent: number;
    /** Bytes in `parts`, not yet written. */
    available: number;
    parts: Uint8Array[];
  }
  const queue: Message[] = [];
  let seq = 0;
  let inFlight = false;
  let waiting = false;

  // Writes the next chunk whenever the reader has taken the last one and a
  // whole chunk of the current message is there (or all of its rest): a
  // payload still arriving moves on a chunk at a time while the rest comes
  // in, and the Worker is woken once per chunk, not once per pipe read (on a
  // loaded machine every wake-up can wait for a time slice).
  function pump(): void {
    for (;;) {
      if (inFlight) {
        const taken = Atomics.load(control, 3);
        if (taken !== seq) {
          if (waiting) return;
          const wait = Atomics.waitAsync(control, 3, taken);
          if (!wait.async) continue;
          waiting = true;
          wait.value.then(() => {
            waiting = false;
            pump();
          });
          return;
        }
        inFlight = false;
      }
      const current = queue[0];
      if (current === undefined) return;
      const n = Math.min(chunkBytes, current.total - current.sent);
      if (current.available < n) return; // more of the payload is on its way
      let filled = 0;
      while (filled < n) {
        const part = current.parts[0]!;
        const k = Math.min(part.length, n - filled);
        area.set(k === part.length ? part : part.subarray(0, k), filled);
        filled += k;
        if (k === part.length) current.parts.shift();
        else current.parts[0] = part.subarray(k);
      }
      current.available -= n;
      Atomics.store(control, 1, n);
      Atomics.store(control, 2, current.total);
      seq = seq === 0x7fffffff ? 1 : seq + 1;
      Atomics.store(control, 0, seq);
      Atomics.notify(control, 0);
      current.sent += n;
      if (current.sent === current.total) queue.shift();
      inFlight = true;
    }
  }

  function begin(header: object, payloadBytes: number): void {
    const head = encoder.encode(`${JSON.stringify(header)}\n`);
    queue.push({
      total: head.length + payloadBytes,
      sent: 0,
      available: head.length,
      parts: [head],
    });
    pump();
  }

  function append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const message = queue[queue.length - 1]!;
    message.parts.push(bytes);
    message.available += bytes.length;
    pump();
  }

  return {
    buffer,
    begin,
    append,
    write(header: object, payload?: Uint8Array): void {
      begin(header, payload?.length ?? 0);
      if (payload !== undefined) append(payload);
    },
  };
}

/**
 * Starts reading an inbox in the guest's realm: each whole message goes to
 * `deliver`.
 *
 * Atomics.waitAsync rather than a `postMessage` doorbell: Deno builds every
 * message event with property reads and writes a guest can hook, and a guest
 * that breaks that code (or Function.prototype.call, which Deno's message
 * loop calls) stops the Worker's message loop, which Deno answers with a
 * panic that ends the whole process.
 *
 * @param buffer The inbox the main thread posted.
 * @param deliver Receives each message's parsed header and its payload as
 * text.
 * @throws {TypeError} When `buffer` is not a SharedArrayBuffer.
 */
export function readInbox(
  buffer: SharedArrayBuffer,
  deliver: (header: unknown, payload: string) => void,
): void {
  const apply = Reflect.apply;
  const defineProperty = Object.defineProperty;
  const parse = JSON.parse;
  const atomicsLoad = Atomics.load;
  const atomicsStore = Atomics.store;
  const atomicsNotify = Atomics.notify;
  const atomicsWaitAsync = Atomics.waitAsync;
  const promiseThen = Promise.prototype.then;
  const Uint8ArrayCtor = Uint8Array;
  const typedArraySet = Uint8Array.prototype.set;
  const textDecoder = new TextDecoder();
  const decodeText = TextDecoder.prototype.decode;
  const sharedByteLength = Object.getOwnPropertyDescriptor(
    SharedArrayBuffer.prototype,
    "byteLength",
  )!.get!;
  const size = apply(sharedByteLength, buffer, []) as number; // throws unless it is one
  const control = new Int32Array(buffer, 0, 4);
  // Each chunk is copied here, after the bytes of a UTF-8 sequence the last
  // chunk cut (at most 3, kept in front of offset 4), and the slot handed
  // back before it is decoded, so the main thread writes the next chunk
  // meanwhile. Decoding is not streamed (`{ stream: true }`): Deno's
  // streaming decoder reads typed-array properties the guest can redefine.
  const scratchBuffer = new ArrayBuffer(size - 16 + 4);
  const scratch = new Uint8ArrayCtor(scratchBuffer);
  // A null prototype: a guest may put `get` or `value` on Object.prototype.
  const noConstructor = {
    __proto__: null,
    value: undefined,
    writable: true,
    configurable: true,
  } as PropertyDescriptor;
  let taken = 0;
  // The message being read: bytes still to come, the cut sequence carried
  // over, its header line so far, and its payload as text so far.
  let remaining = 0;
  let carry = 0;
  let inHeader = true;
  let head = "";
  let payload = "";

  // Views made with the captured constructor, not `subarray`, which asks the
  // array's `constructor` (the guest's to replace) for its species.
  function decode(from: number, to: number): string {
    if (to <= from) return "";
    return apply(decodeText, textDecoder, [
      new Uint8ArrayCtor(scratchBuffer, from, to - from),
    ]) as string;
  }

  // Where the bytes in [from, to) stop being whole UTF-8 sequences: before a
  // lead byte whose sequence runs past `to`.
  function wholeEnd(from: number, to: number): number {
    for (let i = to - 1; i >= from && i >= to - 4; i--) {
      const b = scratch[i]!;
      if ((b & 0xc0) === 0x80) continue; // a continuation byte
      const n = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      return i + n > to ? i : to;
    }
    return to;
  }

  // Reads the newest chunk, if there is one not read yet. Loading the
  // sequence number with Atomics makes the writer's earlier stores visible.
  // Each chunk is decoded as it comes (a newline never occurs inside a
  // UTF-8 sequence, so the header ends at the first one): the payload is
  // text by the time its last byte is in, not decoded then in one go.
  function drain(): void {
    const seq = apply(atomicsLoad, Atomics, [control, 0]) as number;
    if (seq === taken) return;
    const chunkBytes = apply(atomicsLoad, Atomics, [control, 1]) as number;
    const messageBytes = apply(atomicsLoad, Atomics, [control, 2]) as number;
    if (remaining === 0) remaining = messageBytes;
    apply(typedArraySet, scratch, [
      new Uint8ArrayCtor(buffer, 16, chunkBytes),
      4,
    ]);
    taken = seq;
    apply(atomicsStore, Atomics, [control, 3, seq]);
    apply(atomicsNotify, Atomics, [control, 3]);
    remaining -= chunkBytes;
    let from = 4 - carry;
    const to = 4 + chunkBytes;
    if (inHeader) {
      let newline = from;
      while (newline < to && scratch[newline] !== 10) newline++;
      if (newline < to) {
        head += decode(from, newline);
        inHeader = false;
        from = newline + 1;
      }
    }
    const end = remaining > 0 ? wholeEnd(from, to) : to;
    if (inHeader) head += decode(from, end);
    else payload += decode(from, end);
    // The cut sequence moves in front of offset 4, byte by byte (the ranges
    // may overlap when chunks are tiny).
    carry = to - end;
    for (let i = 0; i < carry; i++) scratch[4 - carry + i] = scratch[end + i]!;
    if (remaining > 0) return;
    const header = parse(head);
    const text = payload;
    remaining = 0;
    carry = 0;
    inHeader = true;
    head = "";
    payload = "";
    deliver(header, text);
  }

  function wait(): void {
    for (;;) {
      const waiting = apply(atomicsWaitAsync, Atomics, [control, 0, taken]) as {
        async: boolean;
        value: Promise<unknown> | string;
      };
      if (!waiting.async) {
        drain(); // "not-equal": a chunk is there already
        continue;
      }
      // With its own `constructor` undefined, `then` makes its promise with
      // the real Promise and asks no constructor or species the guest set.
      defineProperty(waiting.value, "constructor", noConstructor);
      apply(promiseThen, waiting.value, [woken]);
      return;
    }
  }
  function woken(): void {
    try {
      drain();
    } finally {
      wait();
    }
  }
  wait();
}

/**
 * The inbox: how the runtime's main thread sends messages to the guest Worker
 * without message events, which guest code can dispatch, hook and rewrite.
 *
 * It is a SharedArrayBuffer the main thread posts to the Worker first, before
 * any guest code exists; nothing is posted to the Worker after it. Four 32-bit
 * integers (the chunk's sequence number, its length, the whole message's
 * length, the sequence number of the last chunk the reader took), then up to
 * `chunkBytes` of the chunk's bytes from offset 16. A message is its header as
 * JSON, a newline, then its payload as UTF-8; one larger than a chunk travels
 * in several. The writer stores the bytes and lengths, then the new sequence
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
  /** Queues a message; it is written when the reader has taken the last chunk. */
  write(header: object, payload?: Uint8Array): void;
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
  const queue: Uint8Array[] = [];
  let current: Uint8Array | undefined;
  let offset = 0;
  let seq = 0;
  let inFlight = false;

  let waiting = false;

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
      if (current === undefined) {
        current = queue.shift();
        offset = 0;
        if (current === undefined) return;
      }
      const n = Math.min(chunkBytes, current.length - offset);
      area.set(current.subarray(offset, offset + n));
      Atomics.store(control, 1, n);
      Atomics.store(control, 2, current.length);
      seq = seq === 0x7fffffff ? 1 : seq + 1;
      Atomics.store(control, 0, seq);
      Atomics.notify(control, 0);
      offset += n;
      if (offset === current.length) current = undefined;
      inFlight = true;
    }
  }

  return {
    buffer,
    write(header: object, payload?: Uint8Array): void {
      const head = encoder.encode(`${JSON.stringify(header)}\n`);
      const bytes = new Uint8Array(head.length + (payload?.length ?? 0));
      bytes.set(head);
      if (payload !== undefined) bytes.set(payload, head.length);
      queue.push(bytes);
      pump();
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
 * @param deliver Receives each message's parsed header and its payload.
 * @throws {TypeError} When `buffer` is not a SharedArrayBuffer.
 */
export function readInbox(
  buffer: SharedArrayBuffer,
  deliver: (header: unknown, payload: string) => void,
): void {
  const apply = Reflect.apply;
  const defineProperty = Object.defineProperty;
  const parse = JSON.parse;
  const slice = String.prototype.slice;
  const indexOf = String.prototype.indexOf;
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
  apply(sharedByteLength, buffer, []); // throws unless it is one
  const control = new Int32Array(buffer, 0, 4);
  // A null prototype: a guest may put `get` or `value` on Object.prototype.
  const noConstructor = {
    __proto__: null,
    value: undefined,
    writable: true,
    configurable: true,
  } as PropertyDescriptor;
  let taken = 0;
  let message: Uint8Array | undefined;
  let filled = 0;

  // Reads the newest chunk, if there is one not read yet. Loading the
  // sequence number with Atomics makes the writer's earlier stores visible.
  function drain(): void {
    const seq = apply(atomicsLoad, Atomics, [control, 0]) as number;
    if (seq === taken) return;
    const chunkBytes = apply(atomicsLoad, Atomics, [control, 1]) as number;
    const messageBytes = apply(atomicsLoad, Atomics, [control, 2]) as number;
    if (message === undefined) {
      message = new Uint8ArrayCtor(messageBytes);
      filled = 0;
    }
    apply(typedArraySet, message, [
      new Uint8ArrayCtor(buffer, 16, chunkBytes),
      filled,
    ]);
    filled += chunkBytes;
    taken = seq;
    apply(atomicsStore, Atomics, [control, 3, seq]);
    apply(atomicsNotify, Atomics, [control, 3]);
    if (filled < messageBytes) return;
    const text: string = apply(decodeText, textDecoder, [message]);
    message = undefined;
    const newline = apply(indexOf, text, ["\n"]) as number;
    deliver(
      parse(apply(slice, text, [0, newline])),
      apply(slice, text, [newline + 1]),
    );
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

/**
 * The guest's `fetch`, present only when the broker allows some origins
 * (`network.allow`). It turns the guest's request into a plain record, hands
 * it to the prelude, which sends it to the broker as a `call` frame in the
 * reserved namespace `fetch` (`FETCH_NAMESPACE`), and builds a standard
 * `Response` from the broker's answer. The subprocess itself keeps zero
 * permissions: the broker checks, sends and answers every request.
 *
 * Nothing here is a defence. Guest code may replace any intrinsic this file
 * uses and so change the requests it sends; every rule is enforced by the
 * broker, which trusts none of what arrives.
 *
 * `createGuestFetch` is self-contained: the runtime injects its source into the
 * guest Worker with `Function.prototype.toString`.
 *
 * @module
 */

/** A guest request as it crosses the protocol (the `call` argument). */
export interface WireRequest {
  /** The method, as the guest's `Request` normalised it. */
  method: string;
  /** The absolute URL. */
  url: string;
  /** The guest's headers, in order (names lower-case). */
  headers: [string, string][];
  /** The body's bytes in base64, absent for none. */
  body?: string;
  /** The guest's redirect mode. */
  redirect: "follow" | "manual" | "error";
}

/** The broker's answer to a {@linkcode WireRequest} (the `result` value). */
export interface WireResponse {
  /** The HTTP status. */
  status: number;
  /** The status text. */
  statusText: string;
  /** The URL of the last hop. */
  url: string;
  /** Whether a redirect was followed. */
  redirected: boolean;
  /** The response headers, in order. */
  headers: [string, string][];
  /** The body's bytes in base64. */
  body: string;
}

/**
 * Makes the guest's `fetch`.
 *
 * @param send Sends one request to the broker; rejects with the broker's
 * message when the request was refused or failed.
 * @returns A `fetch` with the standard signature.
 */
export function createGuestFetch(
  send: (request: WireRequest) => Promise<unknown>,
): typeof fetch {
  const RequestCtor = Request;
  const ResponseCtor = Response;
  const TypeErrorCtor = TypeError;
  const DOMExceptionCtor = DOMException;
  const PromiseCtor = Promise;
  const apply = Reflect.apply;
  const defineProperty = Object.defineProperty;
  const getter = (proto: object, name: string) =>
    Object.getOwnPropertyDescriptor(proto, name)!.get!;
  const requestMethod = getter(Request.prototype, "method");
  const requestUrl = getter(Request.prototype, "url");
  const requestHeaders = getter(Request.prototype, "headers");
  const requestRedirect = getter(Request.prototype, "redirect");
  const requestSignal = getter(Request.prototype, "signal");
  const requestArrayBuffer = Request.prototype.arrayBuffer;
  const headersForEach = Headers.prototype.forEach;
  const signalAborted = getter(AbortSignal.prototype, "aborted");
  const signalReason = getter(AbortSignal.prototype, "reason");
  const addListener = EventTarget.prototype.addEventListener;
  const promiseThen = Promise.prototype.then;
  const arrayPush = Array.prototype.push;
  const U8 = Uint8Array as unknown as {
    new (buffer: ArrayBuffer): Uint8Array;
    fromBase64(text: string): Uint8Array<ArrayBuffer>;
  };
  const fromBase64 = U8.fromBase64;
  const toBase64 = (Uint8Array.prototype as unknown as {
    toBase64(): string;
  }).toBase64;
  const byteLength = getter(ArrayBuffer.prototype, "byteLength");
  // Statuses whose Response may not have a body.
  const NULL_BODY = [101, 103, 204, 205, 304];

  function abortError(signal: AbortSignal): unknown {
    const reason = apply(signalReason, signal, []);
    return reason === undefined
      ? new DOMExceptionCtor("The signal has been aborted", "AbortError")
      : reason;
  }

  function toResponse(reply: WireResponse): Response {
    const bytes = apply(fromBase64, U8, [reply.body]) as Uint8Array<
      ArrayBuffer
    >;
    let nullBody = false;
    for (let i = 0; i < NULL_BODY.length; i++) {
      if (NULL_BODY[i] === reply.status) nullBody = true;
    }
    const response = new ResponseCtor(nullBody ? null : bytes, {
      status: reply.status,
      statusText: reply.statusText,
      headers: reply.headers,
    });
    // A constructed Response has no URL; the one the broker reached is known.
    defineProperty(response, "url", {
      __proto__: null,
      value: reply.url,
    } as PropertyDescriptor);
    defineProperty(response, "redirected", {
      __proto__: null,
      value: reply.redirected,
    } as PropertyDescriptor);
    return response;
  }

  return function fetch(
    input: RequestInfo | URL,
    init?: RequestInit,
  ): Promise<Response> {
    return new PromiseCtor<Response>((resolve, reject) => {
      let request: Request;
      try {
        request = new RequestCtor(input, init);
      } catch (error) {
        return reject(error);
      }
      const signal = apply(requestSignal, request, []) as AbortSignal;
      if (apply(signalAborted, signal, [])) return reject(abortError(signal));
      let settled = false;
      const settle = (ok: boolean, value: unknown) => {
        if (settled) return;
        settled = true;
        if (ok) resolve(value as Response);
        else reject(value);
      };
      // The broker's request runs on; its answer is dropped.
      apply(addListener, signal, [
        "abort",
        () => settle(false, abortError(signal)),
        { __proto__: null, once: true },
      ]);
      const headers: [string, string][] = [];
      apply(headersForEach, apply(requestHeaders, request, []), [
        (value: string, name: string) =>
          apply(arrayPush, headers, [[name, value]]),
      ]);
      const method = apply(requestMethod, request, []) as string;
      const wire: WireRequest = {
        method,
        url: apply(requestUrl, request, []) as string,
        headers,
        redirect: apply(requestRedirect, request, []) as WireRequest[
          "redirect"
        ],
      };
      const sendWire = () =>
        apply(promiseThen, send(wire), [
          (reply: unknown) => {
            try {
              settle(true, toResponse(reply as WireResponse));
            } catch (error) {
              settle(false, error);
            }
          },
          (error: unknown) =>
            settle(
              false,
              new TypeErrorCtor(
                error !== null && typeof error === "object"
                  ? (error as Error).message
                  : `fetch failed: ${error}`,
              ),
            ),
        ]);
      if (method === "GET" || method === "HEAD") return sendWire();
      apply(promiseThen, apply(requestArrayBuffer, request, []), [
        (buffer: ArrayBuffer) => {
          if (apply(byteLength, buffer, []) > 0) {
            wire.body = apply(toBase64, new U8(buffer), []) as string;
          }
          sendWire();
        },
        (error: unknown) => settle(false, error),
      ]);
    });
  };
}

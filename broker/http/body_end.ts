/**
 * When a streamed response has been sent: for access lines that wait for
 * the end of an event stream.
 *
 * @module
 */

/**
 * The same response with a body that reports its end.
 *
 * @param response A response, streamed or not.
 * @returns The response to send, and a promise that resolves once its body
 * has been read to the end or cancelled (at once for a response without a
 * body).
 */
export function trackBodyEnd(
  response: Response,
): { response: Response; ended: Promise<void> } {
  if (response.body === null) return { response, ended: Promise.resolve() };
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          end();
        } else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
        end();
      }
    },
    async cancel(reason) {
      end();
      await reader.cancel(reason);
    },
  });
  return {
    response: new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    }),
    ended,
  };
}

/**
 * Loopback HTTP servers for the fetch tests: real `Deno.serve` on 127.0.0.1.
 *
 * @module
 */

/** A server on 127.0.0.1; disposing of it shuts it down. */
export interface Loopback extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Its port. */
  port: number;
  /** Every request it received, in order. */
  requests: Request[];
}

/**
 * Starts a server on an ephemeral loopback port.
 *
 * @param handler Answers each request.
 * @returns The server.
 */
export function serveLoopback(
  handler: (request: Request) => Response | Promise<Response>,
): Loopback {
  const requests: Request[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      requests.push(request);
      return handler(request);
    },
  );
  const port = server.addr.port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** An echo of a request: its method, path, headers and body text. */
export async function echo(request: Request): Promise<Response> {
  const url = new URL(request.url);
  return Response.json({
    method: request.method,
    path: url.pathname,
    query: url.search,
    headers: Object.fromEntries(request.headers),
    body: await request.text(),
  });
}

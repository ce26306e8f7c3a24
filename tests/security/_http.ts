/**
 * Helpers of the HTTP attacks: the HTTP app of a broker on the host seam
 * `execbox serve` uses, on a loopback port, with its access log and the
 * server's client errors collected; and HTTP/1.1 written by hand on a raw
 * socket, for what `fetch` will not send (a `Host` of one's choosing, a
 * request cut in half).
 *
 * @module
 */

import {
  type BrokerOptions,
  type ClientError,
  denoHost,
  type ServeOptions,
} from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { createHttpApp, type HttpAppOptions } from "../../broker/http/app.ts";
import type { Broker } from "../../broker/broker.ts";

/** A served app; disposing of it stops the server and closes the broker. */
export interface HttpService extends AsyncDisposable {
  broker: Broker;
  /** `http://127.0.0.1:<port>`. */
  base: string;
  port: number;
  /** Access-log lines, in order. */
  log: string[];
  /** Connections the server closed without the app, in order. */
  clientErrors: ClientError[];
  /** Resolves with the next client error the server reports. */
  nextClientError(): Promise<ClientError>;
}

/**
 * Serves `createHttpApp(broker)` with `denoHost.serve` on 127.0.0.1.
 *
 * @param options The broker's, the app's and the server's options.
 */
export async function serveApp(options: {
  broker?: BrokerOptions;
  app?: HttpAppOptions;
  serve?: Partial<ServeOptions>;
} = {}): Promise<HttpService> {
  const broker = await createBroker({ pool: { size: 0 }, ...options.broker });
  const log: string[] = [];
  const clientErrors: ClientError[] = [];
  let waiting: ((error: ClientError) => void)[] = [];
  const server = await denoHost.serve(
    createHttpApp(broker, { ...options.app, log: (line) => log.push(line) })
      .fetch,
    {
      hostname: "127.0.0.1",
      port: 0,
      ...options.serve,
      onClientError: (error) => {
        clientErrors.push(error);
        const resolvers = waiting;
        waiting = [];
        for (const resolve of resolvers) resolve(error);
      },
    },
  );
  const port = server.address.port;
  return {
    broker,
    base: `http://127.0.0.1:${port}`,
    port,
    log,
    clientErrors,
    nextClientError: () => new Promise((resolve) => waiting.push(resolve)),
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await broker.close();
    },
  };
}

/** A response read off a raw socket. */
export interface RawResponse {
  /** The status code, or `undefined` when the server sent nothing. */
  status: number | undefined;
  /** Everything after the head. */
  body: string;
  /** The whole text received. */
  text: string;
}

/**
 * Writes `request` as it is on a new connection to `port`, then reads until
 * the server closes the connection (send `Connection: close`, or a request
 * the server will give up on).
 *
 * @param port The server's port on 127.0.0.1.
 * @param request The bytes to send, as text.
 */
export async function rawRequest(
  port: number,
  request: string,
): Promise<RawResponse> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  await connection.write(new TextEncoder().encode(request));
  return await readUntilClosed(connection);
}

/**
 * Reads a connection until the server closes it.
 *
 * @param connection The connection; it is closed afterwards.
 * @param giveUpMs When the server has not closed it by then, the connection
 * is closed here and this throws: a guard that turns a server that never
 * closes into a failure instead of a hang, far above any deadline tested.
 */
export async function readUntilClosed(
  connection: Deno.Conn,
  giveUpMs = 10_000,
): Promise<RawResponse> {
  let text = "";
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(16_384);
  let gaveUp = false;
  const guard = setTimeout(() => {
    gaveUp = true;
    connection.close();
  }, giveUpMs);
  try {
    while (true) {
      const n = await connection.read(buffer).catch((error) => {
        if (gaveUp) {
          throw new Error(
            `The server kept the connection open for ${giveUpMs} ms after ${
              JSON.stringify(text)
            }`,
          );
        }
        // A reset is how a server may close; it still means closed.
        if (error instanceof Deno.errors.ConnectionReset) return null;
        throw error;
      });
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
  } finally {
    clearTimeout(guard);
    if (!gaveUp) connection.close();
  }
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1];
  const split = text.indexOf("\r\n\r\n");
  return {
    status: status === undefined ? undefined : Number(status),
    body: split === -1 ? "" : text.slice(split + 4),
    text,
  };
}

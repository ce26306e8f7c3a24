/**
 * `execbox serve`: the HTTP service (Hono) on a port.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { denoHost } from "@execbox/core";
import { assertSafeBinding, createHttpApp } from "@execbox/core/http";
import {
  type Command,
  configuredOptions,
  deferred,
  err,
  onStopSignals,
  openAuditLog,
  startBroker,
  UsageError,
  wholeNumber,
} from "../_shared.ts";

const help =
  `Serve execbox over HTTP: POST /v1/execute, GET /v1/tools, GET /v1/types,
GET /healthz, GET /readyz, GET /metrics, and MCP (Streamable HTTP) at /mcp.

Usage: execbox serve [options]

Without a token (http.token or http.tokens in the configuration, or
$EXECBOX_TOKEN) the service only listens on a loopback address. On SIGINT or
SIGTERM it stops accepting requests, lets running ones finish for --drain
milliseconds, then cancels what is left and stops every subprocess.

Options:
  --config FILE      Configuration file (default: $EXECBOX_CONFIG, then ./execbox.jsonc)
  --hostname H       Interface to listen on (default: http.hostname, then 127.0.0.1)
  --port N           Port to listen on, 0 for any free one (default: http.port, then 8080)
  --drain MS         Grace period for running requests on shutdown (default: 10000)
  --verbose          Report progress on stderr; stack traces on errors
  -h, --help         Show this help

Example:
  EXECBOX_TOKEN=s3cret execbox serve --config execbox.jsonc --hostname 0.0.0.0 --port 8080
`;

async function _run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string" },
      hostname: { type: "string" },
      port: { type: "string" },
      drain: { type: "string" },
      verbose: { type: "boolean" },
    },
  });
  const port = wholeNumber(values.port, "port", "serve");
  if (port !== undefined && port > 65535) {
    throw new UsageError(
      `--port must be from 0 to 65535, got ${port}`,
      "serve",
    );
  }
  const drainMs = wholeNumber(values.drain, "drain", "serve") ?? 10_000;
  const { loaded, options } = await configuredOptions(values.config);
  const http = loaded?.config.http ?? {};
  const envToken = process.env.EXECBOX_TOKEN || undefined;
  const token = http.token ?? envToken;
  const hostname = values.hostname ?? http.hostname ?? "127.0.0.1";
  assertSafeBinding(
    hostname,
    token !== undefined || Object.keys(http.tokens ?? {}).length > 0,
  );

  const audit = await openAuditLog(loaded);
  const broker = await startBroker(
    {
      ...options,
      secrets: [...(options.secrets ?? []), ...(envToken ? [envToken] : [])],
      ...(audit === undefined ? {} : { onRun: audit.hook }),
    },
    values.verbose ?? false,
  );
  // Aborted on stop: /mcp sessions end, so their streams do not hold the drain.
  const stopping = new AbortController();
  const sessions = http.mcpSessions ?? {};
  const app = createHttpApp(broker, {
    signal: stopping.signal,
    mcpSessions: sessions.enabled === false ? false : {
      ...(sessions.maxSessions === undefined
        ? {}
        : { maxSessions: sessions.maxSessions }),
      ...(sessions.maxPerCaller === undefined
        ? {}
        : { maxPerCaller: sessions.maxPerCaller }),
      ...(sessions.idleTimeoutMs === undefined
        ? {}
        : { idleTimeoutMs: sessions.idleTimeoutMs }),
    },
    ...(token === undefined ? {} : { token }),
    ...(http.tokens === undefined ? {} : { tokens: http.tokens }),
    ...(http.maxBodyBytes === undefined
      ? {}
      : { maxBodyBytes: http.maxBodyBytes }),
    ...(http.allowedHosts === undefined
      ? {}
      : { allowedHosts: http.allowedHosts }),
    ...(http.allowedOrigins === undefined
      ? {}
      : { allowedOrigins: http.allowedOrigins }),
    ...(http.maxBatch === undefined ? {} : { maxBatch: http.maxBatch }),
    ...(http.approvers === undefined ? {} : { approvers: http.approvers }),
    ...(http.selfApproval === undefined
      ? {}
      : { selfApproval: http.selfApproval }),
    log: (line) => err(`${line}\n`),
  });
  const server = await denoHost.serve(app.fetch, {
    hostname,
    port: port ?? http.port ?? 8080,
    ...(http.headersTimeoutMs === undefined
      ? {}
      : { headersTimeoutMs: http.headersTimeoutMs }),
    ...(http.requestTimeoutMs === undefined
      ? {}
      : { requestTimeoutMs: http.requestTimeoutMs }),
    ...(http.maxConnections === undefined
      ? {}
      : { maxConnections: http.maxConnections }),
    onListen: (address) =>
      err(`execbox: listening on http://${address.hostname}:${address.port}\n`),
    // In the access log's form: what the server closed without the app.
    onClientError: ({ reason, status }) =>
      err(
        `time=${
          new Date().toISOString()
        } event=client_error reason=${reason} status=${status ?? "-"}\n`,
      ),
  });

  const { promise: signalled, resolve: stop } = deferred<string>();
  const removeSignals = onStopSignals(stop);
  try {
    const why = await signalled;
    err(`execbox: ${why}: draining for up to ${drainMs} ms\n`);
    stopping.abort();
    const drained = server.shutdown();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const inTime = await Promise.race([
      drained.then(() => true),
      new Promise<false>((
        resolve,
      ) => (timer = setTimeout(() => resolve(false), drainMs))),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      err("execbox: grace period over: cancelling the remaining runs\n");
    }
    await broker.close(); // cancels what is left, kills every subprocess
    await drained;
    err("execbox: stopped\n");
    return 0;
  } finally {
    stopping.abort();
    removeSignals();
    await broker.close();
    await audit?.close();
  }
}

/** The `serve` command. */
export const serveCommand: Command = {
  name: "serve",
  summary: "Serve execbox over HTTP (and MCP at /mcp)",
  help,
  run: _run,
};

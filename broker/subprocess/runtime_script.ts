/**
 * The runtime program as one piece of JavaScript, built from the `runtime/`
 * modules (so it starts even when the broker itself was loaded from
 * `https:`), and the import map that leaves it no way to load Node.js
 * built-ins. `runtime_files.ts` writes both where the subprocesses read them.
 *
 * @module
 */

import { builtinModules } from "node:module";
import { createGuestConsole } from "../../runtime/console.ts";
import { createGuestFetch } from "../../runtime/fetch.ts";
import { createInboxWriter, readInbox } from "../../runtime/inbox.ts";
import { createJsonEncoder } from "../../runtime/json.ts";
import { createPieceAssembler } from "../../runtime/piece_assembler.ts";
import { splitArrayJson } from "../../runtime/array_splitter.ts";
import { runtimeMain } from "../../runtime/main.ts";
import {
  createFrameSplitter,
  encodeFrame,
  encodeFrameHead,
  FETCH_NAMESPACE,
  MAX_HEADER_BYTES,
  MAX_JSON_DEPTH,
  PIECE_BYTES,
  PIECES_FROM_BYTES,
  PROTOCOL_VERSION,
} from "../../runtime/protocol.ts";
import { REMOVED_GLOBALS, workerMain } from "../../runtime/worker.ts";

/**
 * Node.js built-in modules of Deno 2.9, in case the broker runs where
 * `builtinModules` lists fewer (for example on Node.js).
 */
const _KNOWN_BUILTINS = [
  "_http_agent",
  "_http_common",
  "_http_outgoing",
  "_http_server",
  "_stream_duplex",
  "_stream_passthrough",
  "_stream_readable",
  "_stream_transform",
  "_stream_writable",
  "_tls_common",
  "_tls_wrap",
  "assert",
  "assert/strict",
  "async_hooks",
  "buffer",
  "child_process",
  "cluster",
  "console",
  "constants",
  "crypto",
  "dgram",
  "diagnostics_channel",
  "dns",
  "dns/promises",
  "domain",
  "events",
  "fs",
  "fs/promises",
  "http",
  "http2",
  "https",
  "inspector",
  "inspector/promises",
  "module",
  "net",
  "os",
  "path",
  "path/posix",
  "path/win32",
  "perf_hooks",
  "process",
  "punycode",
  "querystring",
  "readline",
  "readline/promises",
  "repl",
  "sea",
  "sqlite",
  "stream",
  "stream/consumers",
  "stream/promises",
  "stream/web",
  "string_decoder",
  "sys",
  "test",
  "test/reporters",
  "timers",
  "timers/promises",
  "tls",
  "trace_events",
  "tty",
  "url",
  "util",
  "util/types",
  "v8",
  "vm",
  "wasi",
  "worker_threads",
  "zlib",
]; // deno-fmt-ignore

/** Where every blocked specifier is sent: a module that throws on load. */
const _BLOCKED_MODULE = `data:text/javascript,${
  encodeURIComponent(
    'throw new TypeError("Node.js built-in modules are not available in execbox")',
  )
}`;

/**
 * The import map given to every runtime: `node:` built-ins (and their bare
 * names) resolve to a module that throws. Without it, `import("node:process")`
 * hands guest code the process's stdout, and `node:worker_threads` a realm
 * that still has `Deno`; built-in imports are not permission-checked.
 *
 * @returns The import map as JSON text.
 */
export function blockedImportMap(): string {
  const names = new Set<string>(_KNOWN_BUILTINS);
  for (const name of builtinModules) names.add(name.replace(/^node:/, ""));
  const imports: Record<string, string> = {};
  for (const name of [...names].sort()) {
    imports[`node:${name}`] = _BLOCKED_MODULE;
    imports[name] = _BLOCKED_MODULE;
  }
  return JSON.stringify({ imports });
}

/**
 * The complete runtime program: main thread and guest Worker prelude, with the
 * protocol helpers they share.
 *
 * @returns JavaScript source.
 */
export function runtimeSource(): string {
  const worker = `(${workerMain})({ createJsonEncoder: ${createJsonEncoder}, ` +
    `createGuestConsole: ${createGuestConsole}, readInbox: ${readInbox}, ` +
    `createGuestFetch: ${createGuestFetch}, ` +
    `createPieceAssembler: ${createPieceAssembler}, ` +
    `fetchNamespace: ${JSON.stringify(FETCH_NAMESPACE)}, ` +
    `maxJsonDepth: ${MAX_JSON_DEPTH} }, ${JSON.stringify(REMOVED_GLOBALS)});`;
  return `(${runtimeMain})({ workerSource: ${JSON.stringify(worker)}, ` +
    `encodeFrame: ${encodeFrame}, encodeFrameHead: ${encodeFrameHead}, ` +
    `createFrameSplitter: ${createFrameSplitter}, ` +
    `protocolVersion: ${PROTOCOL_VERSION}, maxHeaderBytes: ${MAX_HEADER_BYTES}, ` +
    `createInboxWriter: ${createInboxWriter}, ` +
    `splitArrayJson: ${splitArrayJson}, piecesFromBytes: ${PIECES_FROM_BYTES}, ` +
    `pieceBytes: ${PIECE_BYTES} });`;
}

/**
 * The access log of the HTTP app: one logfmt line per request.
 *
 * @module
 */

/** What one access-log line says. */
export interface AccessEntry {
  /** The request's method. */
  method: string;
  /** The request's URL; only its path is written. */
  url: string;
  /** The response's status. */
  status: number;
  /** Time from the request to the response, in milliseconds. */
  durationMs: number;
  /** The caller's token name; `undefined` when not authenticated. */
  caller: string | undefined;
  /** For a run, `"ok"` or its error code. */
  outcome: string | undefined;
}

/**
 * The path of a URL as its parser encoded it (so without spaces, quotes or
 * control characters), cut at 200 characters. A URL that does not parse
 * (a server may build one from a bad `Host`) still gives its path.
 *
 * @param url A request URL.
 * @returns The path.
 */
export function requestPath(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    const rest = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "");
    try {
      path = new URL(rest.startsWith("/") ? rest : "/", "http://x").pathname;
    } catch {
      path = "/";
    }
  }
  return path.length > 200 ? `${path.slice(0, 200)}...` : path;
}

/**
 * Formats one access-log line. It holds nothing from the body, the query
 * string or the headers, so neither code nor a token can reach the log.
 *
 * @param entry What happened.
 * @returns A line such as `time=... method=POST path=/v1/execute status=200
 * duration_ms=12.3 caller=ci outcome=ok`.
 */
export function accessLine(entry: AccessEntry): string {
  const fields: [string, string][] = [
    ["time", new Date().toISOString()],
    ["method", entry.method],
    ["path", requestPath(entry.url)],
    ["status", String(entry.status)],
    ["duration_ms", entry.durationMs.toFixed(1)],
    ["caller", entry.caller ?? "-"],
  ];
  if (entry.outcome !== undefined) fields.push(["outcome", entry.outcome]);
  return fields.map(([key, value]) =>
    `${key}=${/^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value)}`
  ).join(" ");
}

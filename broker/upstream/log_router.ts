/**
 * Routes an upstream server's logging notifications to the run that caused
 * them. They carry no request id, so a message goes to a run only when
 * exactly one run has calls in flight on that server, and otherwise nowhere:
 * never into another caller's logs.
 *
 * @module
 */

import type { LogLevel } from "../../runtime/protocol.ts";

const _LEVELS: Record<string, LogLevel> = {
  debug: "debug",
  info: "info",
  notice: "info",
  warning: "warn",
  error: "error",
  critical: "error",
  alert: "error",
  emergency: "error",
};

/**
 * The guest log level of an MCP logging level (RFC 5424 names).
 *
 * @param level The MCP level, such as `"warning"`.
 * @returns The guest level; `"info"` for an unknown one.
 */
export function mcpLogLevel(level: string): LogLevel {
  return _LEVELS[level] ?? "info";
}

/** A run's log function. */
export type LogSink = (level: LogLevel, message: string) => void;

/** The runs with calls in flight on one server, and how many calls each. */
export class LogRouter {
  readonly #sinks = new Map<LogSink, number>();

  /** A call of the run logging to `sink` started. */
  enter(sink: LogSink): void {
    this.#sinks.set(sink, (this.#sinks.get(sink) ?? 0) + 1);
  }

  /** A call of the run logging to `sink` settled. */
  leave(sink: LogSink): void {
    const left = (this.#sinks.get(sink) ?? 1) - 1;
    if (left > 0) this.#sinks.set(sink, left);
    else this.#sinks.delete(sink);
  }

  /** Delivers a message to the only run with calls in flight, if one. */
  deliver(level: LogLevel, message: string): void {
    if (this.#sinks.size !== 1) return;
    const [sink] = this.#sinks.keys();
    sink!(level, message);
  }
}

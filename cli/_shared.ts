/**
 * What every command shares: output, usage errors, and a broker built from the
 * configuration file.
 *
 * @module
 */

import process from "node:process";
import { text } from "node:stream/consumers";
import {
  type AuditLog,
  auditLogToFile,
  auditLogToStderr,
  type Broker,
  type BrokerOptions,
  brokerOptionsFromConfig,
  createBroker,
  denoHost,
  loadConfig,
  type LoadedConfig,
  type PromptInput,
} from "@execbox/core";
import { terminalInput } from "./_terminal_input.ts";

/** A mistake in how the command was called: exit code 2, with a hint. */
export class UsageError extends Error {
  /** The command whose `--help` helps. */
  readonly command: string;

  /**
   * @param message What is wrong.
   * @param command The command whose `--help` to suggest.
   */
  constructor(message: string, command: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

// Writes to files, pipes and terminals are synchronous on Linux and macOS, in
// Deno and in Node.js, so nothing is lost when the CLI exits right after.

/** Writes text to stdout (results only). */
export function out(text: string): void {
  process.stdout.write(text);
}

/** Writes text to stderr (status, logs, errors). */
export function err(text: string): void {
  process.stderr.write(text);
}

/** Reads all of stdin as text. */
export async function readStdin(): Promise<string> {
  return await text(process.stdin);
}

/**
 * A promise and the function that resolves it: `Promise.withResolvers`, which
 * Node.js 20 lacks.
 */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
} {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Parses a whole number flag.
 *
 * @throws {UsageError} When the value is not a positive whole number.
 */
export function wholeNumber(
  value: string | undefined,
  flag: string,
  command: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new UsageError(
      `--${flag} must be a whole number, got "${value}"`,
      command,
    );
  }
  return n;
}

/**
 * The configuration file (if any) and the broker options it gives. A VS Code
 * input no `EXECBOX_INPUT_<ID>` answers is asked with `promptInput` (by
 * default on the terminal); warnings about the file go to stderr.
 */
export async function configuredOptions(
  path: string | undefined,
  promptInput: PromptInput = terminalInput(),
): Promise<{ loaded: LoadedConfig | undefined; options: BrokerOptions }> {
  const loaded = await loadConfig(
    path === undefined ? { promptInput } : { path, promptInput },
  );
  if (loaded === undefined) return { loaded, options: {} };
  for (const warning of loaded.warnings) err(`execbox: ${warning}\n`);
  const options: BrokerOptions = {
    ...brokerOptionsFromConfig(loaded.config),
    secrets: loaded.secrets,
  };
  if (options.inference !== undefined) {
    // A shape file that cannot be written costs a learned type, not the run.
    options.inference.onError = (error) =>
      err(`execbox: inference: ${error.message}\n`);
  }
  return { loaded, options };
}

/**
 * Creates a broker and reports it on stderr when `verbose`, with the Deno
 * binary that runs guest code.
 */
export async function startBroker(
  options: BrokerOptions,
  verbose: boolean,
): Promise<Broker> {
  const started = performance.now();
  const denoPath = options.denoPath ??
    (options.host ?? denoHost).defaultDenoPath();
  const broker = await createBroker({ ...options, denoPath });
  if (verbose) {
    const tools = broker.tools().length;
    err(
      `execbox: ready with ${tools} tools in ${
        Math.round(performance.now() - started)
      } ms (Deno: ${denoPath})\n`,
    );
  }
  return broker;
}

/** One subcommand. */
export interface Command {
  /** Its name, as typed. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The full `--help` text: usage, options and an example. */
  help: string;
  /**
   * Runs it.
   *
   * @param args The arguments after the command name.
   * @returns The exit code.
   */
  run(args: string[]): Promise<number>;
}

/**
 * Opens the audit trail the configuration asks for (`audit.file`: a path, or
 * `"stderr"`), or `undefined` when it asks for none.
 */
export async function openAuditLog(
  loaded: LoadedConfig | undefined,
): Promise<AuditLog | undefined> {
  const file = loaded?.config.audit.file;
  if (file === undefined) return undefined;
  const onDrop = (dropped: number) =>
    err(`execbox: audit: ${dropped} records dropped so far\n`);
  return file === "stderr"
    ? auditLogToStderr({ onDrop })
    : await auditLogToFile(file, { onDrop });
}

/**
 * Listens for SIGINT and SIGTERM until disposed.
 *
 * @param onStop Called with the signal's name, on the first one.
 * @returns Removes the listeners.
 */
export function onStopSignals(onStop: (name: string) => void): () => void {
  const handlers = (["SIGINT", "SIGTERM"] as const).map((name) => {
    const handler = () => onStop(name);
    process.on(name, handler);
    return [name, handler] as const;
  });
  return () => {
    for (const [name, handler] of handlers) process.off(name, handler);
  };
}

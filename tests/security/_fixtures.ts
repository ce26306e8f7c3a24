/**
 * Shared helpers of the security suite: secret files on the host, a host that
 * records what the broker spawns, and assertions on run outcomes.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  denoHost,
  type ErrorCode,
  type ExecuteResult,
  type Host,
  type HostProcess,
  type SpawnOptions,
} from "../../mod.ts";
import { DEFAULT_TOOLS_HINT, unavailableHint } from "../../broker/run/hints.ts";

/** Files on the host that guest code must never read. */
export interface SecretFiles extends AsyncDisposable {
  /** The directory holding them (absolute). */
  dir: string;
  /** The random secret written into every file. */
  secret: string;
  /** `secret.json`: `{"secret": "<secret>"}`. */
  json: string;
  /** `secret.txt`: the secret on its first line. */
  text: string;
  /** `exfiltrate.js`: a module that logs and exports the secret when evaluated. */
  script: string;
}

/**
 * Writes a fresh random secret into a new temporary directory; disposing of
 * the result removes the directory.
 *
 * @returns The files.
 */
export async function createSecretFiles(): Promise<SecretFiles> {
  const dir = await Deno.makeTempDir({ prefix: "execbox-secret-" });
  const secret = crypto.randomUUID();
  const json = `${dir}/secret.json`;
  const text = `${dir}/secret.txt`;
  const script = `${dir}/exfiltrate.js`;
  await Deno.writeTextFile(json, JSON.stringify({ secret }));
  await Deno.writeTextFile(text, `${secret} is the password\nsecond line\n`);
  await Deno.writeTextFile(
    script,
    `console.log("${secret}");\nexport default "${secret}";\n`,
  );
  return {
    dir,
    secret,
    json,
    text,
    script,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** A {@linkcode Host} that records what the broker asks of the real one. */
export interface RecordingHost {
  /** Pass it as `createBroker({ host })`. */
  host: Host;
  /** Every spawn, in order. */
  spawns: SpawnOptions[];
  /** Every process started, in the order of {@linkcode RecordingHost.spawns}. */
  processes: HostProcess[];
  /** Every temporary directory the broker created for a runtime. */
  tempDirs: string[];
}

/**
 * Wraps {@linkcode denoHost} so a test can see spawn options, processes and
 * the runtimes' temporary directories.
 *
 * @returns The host and its records.
 */
export function recordingHost(): RecordingHost {
  const spawns: SpawnOptions[] = [];
  const processes: HostProcess[] = [];
  const tempDirs: string[] = [];
  const host: Host = {
    ...denoHost,
    spawn(options) {
      spawns.push(structuredClone(options));
      const process = denoHost.spawn(options);
      processes.push(process);
      return process;
    },
    async makeTempDir(prefix) {
      const dir = await denoHost.makeTempDir(prefix);
      tempDirs.push(dir);
      return dir;
    },
  };
  return { host, spawns, processes, tempDirs };
}

/** The repository root, without a trailing slash. */
export const REPO_ROOT: string = decodeURIComponent(
  new URL("../../", import.meta.url).pathname,
).replace(/\/$/, "");

/**
 * Asserts that a run failed with `code` and a message equal to `message` (or
 * matching it, for a RegExp).
 */
export function assertFailure(
  run: ExecuteResult,
  code: ErrorCode,
  message: string | RegExp,
): void {
  if (run.ok) {
    assert.fail(
      `Expected ${code} (${message}), got ok with ${
        JSON.stringify(run.result)
      } and logs ${JSON.stringify(run.logs)}`,
    );
  }
  assert.equal(run.error.code, code, `message: ${run.error.message}`);
  if (typeof message === "string") assert.equal(run.error.message, message);
  else assert.match(run.error.message, message);
}

/**
 * Asserts that a run succeeded with `result`.
 */
export function assertResult(run: ExecuteResult, result: unknown): void {
  if (!run.ok) {
    assert.fail(
      `Expected ok with ${
        JSON.stringify(result)
      }, got ${run.error.code}: ${run.error.message}`,
    );
  }
  assert.deepEqual(run.result, result);
}

/**
 * Asserts that none of `needles` occurs anywhere in the run's outcome: result,
 * error message and logs.
 */
export function assertNotInOutcome(
  run: ExecuteResult,
  ...needles: string[]
): void {
  const text = JSON.stringify(run);
  for (const needle of needles) {
    assert.ok(
      !text.includes(needle),
      `${JSON.stringify(needle)} leaked into the outcome: ${
        text.slice(0, 2000)
      }`,
    );
  }
}

/** A JavaScript string literal, for splicing a value into guest code. */
export function js(value: string): string {
  return JSON.stringify(value);
}

/**
 * A runtime error's message as the broker reports it: with the hint it
 * appends for something execbox leaves out, in the library's wording
 * (tests/broker/run/hints_test.ts checks the hint's text).
 */
export function hinted(message: string): string {
  const hint = unavailableHint(message, DEFAULT_TOOLS_HINT);
  assert.ok(hint !== undefined, `No hint for ${JSON.stringify(message)}`);
  return `${message} ${hint}`;
}

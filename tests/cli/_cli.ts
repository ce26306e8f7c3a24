/** Running the CLI as a user does, for the CLI tests. */

import { fromFileUrl } from "../_paths.ts";

/** The repository root, with a trailing slash. */
export const repo: string = fromFileUrl(new URL("../../", import.meta.url));

/** What a CLI run printed and how it exited. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cli/main.ts` with `args` as a subprocess in the repository. */
export async function cli(
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${repo}cli/main.ts`, ...args],
    cwd: repo,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

/**
 * Writes an `execbox.jsonc` with the notes fixture server (plus `extra`
 * top-level sections) into a temporary directory, and removes it afterwards.
 */
export async function withNotesConfig<T>(
  fn: (path: string, dir: string) => Promise<T>,
  extra: Record<string, unknown> = {},
): Promise<T> {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/execbox.jsonc`;
    await Deno.writeTextFile(
      path,
      JSON.stringify({
        mcpServers: {
          notes: {
            command: Deno.execPath(),
            args: [
              "run",
              "-A",
              "--config",
              `${repo}deno.json`,
              "--no-lock",
              `${repo}tests/cli/fixtures/notes_server.ts`,
            ],
          },
        },
        ...extra,
      }),
    );
    return await fn(path, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A running `execbox serve` and what it printed on stderr. */
export interface Served {
  child: Deno.ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<Deno.CommandStatus>;
}

/** Starts `serve --port 0` and waits for its "listening on" line. */
export async function serve(
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<Served> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${repo}cli/main.ts`, "serve", "--port", "0", ...args],
    cwd: repo,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  let text = "";
  const listening = Promise.withResolvers<string>();
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      text += decoder.decode(chunk, { stream: true });
      const match = /listening on (http:\/\/\S+)\n/.exec(text);
      if (match) listening.resolve(match[1]!);
    }
    listening.reject(new Error(`serve exited before listening: ${text}`));
  })();
  const url = await listening.promise;
  const exited = child.status.then(async (status) => {
    await reading;
    return status;
  });
  return { child, url, stderr: () => text, exited };
}

/**
 * The public MCP conformance suite's client scenarios
 * (`@modelcontextprotocol/conformance`, pinned; `.ci/run` caches it) against
 * `tests/conformance/client.ts`, which goes through execbox's own upstream
 * code path: the `auth` suite, the client-credentials scenarios of the
 * `extensions` suite, `initialize` and `tools_call`. (In `auth/scope-step-up`
 * the client does what a person does when a call says "run execbox auth":
 * logs in again, for the wider scope the server asked for, and retries.)
 *
 * Every scenario execbox passes is listed in `PASSING`; the others, with the
 * reason, in `NOT_PASSING`, so a change in either direction fails the test.
 */

import assert from "node:assert/strict";
import { fromFileUrl } from "../_paths.ts";

/** The suite's version; `.ci/run` caches the same one. */
const CONFORMANCE = "npm:@modelcontextprotocol/conformance@0.1.16";

const REPO = fromFileUrl(new URL("../../", import.meta.url));

const COMMAND = [
  Deno.execPath(),
  "run",
  "-A",
  "--no-check",
  "--config",
  `${REPO}deno.json`,
  `${REPO}tests/conformance/client.ts`,
].join(" ");

const PASSING = [
  "initialize",
  "tools_call",
  "auth/metadata-default",
  "auth/metadata-var1",
  "auth/metadata-var2",
  "auth/metadata-var3",
  "auth/scope-from-www-authenticate",
  "auth/scope-from-scopes-supported",
  "auth/scope-omitted-when-undefined",
  "auth/scope-retry-limit",
  "auth/scope-step-up",
  "auth/token-endpoint-auth-basic",
  "auth/token-endpoint-auth-post",
  "auth/token-endpoint-auth-none",
  "auth/pre-registration",
  "auth/client-credentials-basic",
].sort();

const NOT_PASSING: Record<string, string> = {
  // A warning: execbox registers dynamically; it publishes no client ID
  // metadata document (it would need an HTTPS URL of its own).
  "auth/basic-cimd": "cimd-client-id-used",
  // private_key_jwt client authentication is not supported.
  "auth/client-credentials-jwt": "client-credentials-assertion-type",
};

interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}

/** Runs the suite or one scenario; returns the checks of each scenario. */
async function runClient(
  args: string[],
): Promise<{ output: string; results: Map<string, Check[]> }> {
  const dir = await Deno.makeTempDir({ prefix: "execbox-conformance-" });
  try {
    const ca = Deno.env.get("NODE_EXTRA_CA_CERTS");
    const { stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-config",
        "--no-lock",
        CONFORMANCE,
        "client",
        "--command",
        COMMAND,
        ...args,
        "--timeout",
        "60000",
        "--output-dir",
        dir,
      ],
      stdin: "null",
      env: {
        NO_COLOR: "1",
        DENO_NO_UPDATE_CHECK: "1",
        PATH: Deno.env.get("PATH") ?? "",
        HOME: Deno.env.get("HOME") ?? "",
        ...(ca === undefined ? {} : { NODE_EXTRA_CA_CERTS: ca }),
      },
    }).output();
    const output = new TextDecoder().decode(stdout) +
      new TextDecoder().decode(stderr);
    const results = new Map<string, Check[]>();
    for await (const entry of Deno.readDir(dir)) {
      // `<scenario>-<timestamp>`, in a folder per scenario group.
      const folders = entry.isDirectory && entry.name === "auth"
        ? [...Deno.readDirSync(`${dir}/auth`)].map((e) => `auth/${e.name}`)
        : [entry.name];
      for (const folder of folders) {
        const name = folder.replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, "");
        results.set(
          name,
          JSON.parse(await Deno.readTextFile(`${dir}/${folder}/checks.json`)),
        );
      }
    }
    return { output, results };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("execbox's upstream client passes the MCP conformance suite's client scenarios it lists", async () => {
  const runs = await Promise.all([
    runClient(["--suite", "auth"]),
    runClient(["--scenario", "auth/client-credentials-basic"]),
    runClient(["--scenario", "auth/client-credentials-jwt"]),
    runClient(["--scenario", "initialize"]),
    runClient(["--scenario", "tools_call"]),
  ]);
  const results = new Map(runs.flatMap((run) => [...run.results]));
  const output = runs.map((run) => run.output).join("\n");
  const passing: string[] = [];
  const notPassing: Record<string, string> = {};
  for (const [name, checks] of results) {
    const bad = checks.filter((c) =>
      c.status === "FAILURE" || c.status === "WARNING"
    );
    if (bad.length === 0) passing.push(name);
    else notPassing[name] = bad[0]!.id;
  }
  assert.deepEqual(passing.sort(), PASSING, output.slice(-20_000));
  assert.deepEqual(notPassing, NOT_PASSING);
});

/**
 * The public MCP conformance suite (`@modelcontextprotocol/conformance`,
 * pinned; `.ci/run` caches it) against `execbox serve` on loopback, with no
 * token: its server scenarios for the lifecycle, `ping`, `tools/list` and
 * DNS-rebinding protection (a foreign Host or Origin is refused, a loopback
 * one accepted).
 */

import assert from "node:assert/strict";
import { serve } from "../cli/_cli.ts";

/** The suite's version; `.ci/run` caches the same one. */
const CONFORMANCE = "npm:@modelcontextprotocol/conformance@0.1.16";

const SCENARIOS = [
  "server-initialize",
  "ping",
  "tools-list",
  "dns-rebinding-protection",
] as const;

interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}

/** Runs one scenario and returns its exit code and the checks it saved. */
async function runScenario(
  url: string,
  scenario: string,
): Promise<{ code: number; output: string; checks: Check[] }> {
  const dir = await Deno.makeTempDir({ prefix: "execbox-conformance-" });
  try {
    const ca = Deno.env.get("NODE_EXTRA_CA_CERTS");
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-config",
        "--no-lock",
        CONFORMANCE,
        "server",
        "--url",
        url,
        "--scenario",
        scenario,
        "--output-dir",
        dir,
      ],
      stdin: "null",
      env: {
        NO_COLOR: "1",
        DENO_NO_UPDATE_CHECK: "1",
        ...(ca === undefined ? {} : { NODE_EXTRA_CA_CERTS: ca }),
      },
    }).output();
    const output = new TextDecoder().decode(stdout) +
      new TextDecoder().decode(stderr);
    const checks: Check[] = [];
    for await (const entry of Deno.readDir(dir)) {
      checks.push(
        ...JSON.parse(
          await Deno.readTextFile(`${dir}/${entry.name}/checks.json`),
        ),
      );
    }
    return { code, output, checks };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("execbox serve passes the MCP conformance suite's server scenarios on loopback", async (t) => {
  const served = await serve();
  try {
    // localhost, not 127.0.0.1: the DNS-rebinding scenario needs a name.
    const url = `http://localhost:${new URL(served.url).port}/mcp`;
    for (const scenario of SCENARIOS) {
      await t.step(scenario, async () => {
        const { code, output, checks } = await runScenario(url, scenario);
        assert.ok(checks.length > 0, `no checks were saved:\n${output}`);
        const failed = checks.filter((check) => check.status !== "SUCCESS");
        assert.deepEqual(
          failed.map((check) => `${check.id}: ${check.errorMessage}`),
          [],
          output,
        );
        assert.equal(code, 0, output);
      });
    }
  } finally {
    served.child.kill("SIGTERM");
    await served.exited;
  }
  // The rebinding scenario's foreign Host and Origin were refused, and logged.
  assert.match(served.stderr(), / path=\/mcp status=403 /);
});

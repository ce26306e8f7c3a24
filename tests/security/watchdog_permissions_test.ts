/**
 * The watchdog kills by pid, which Deno allows only with unrestricted
 * `--allow-run`: a broker that could not enforce its limits must say so at
 * start, not run unwatched.
 */

import assert from "node:assert/strict";

Deno.test("createBroker() refuses to start when its watchdog may not kill by pid", async () => {
  const fixture = new URL(
    "./fixtures/narrow_run_permission.ts",
    import.meta.url,
  );
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-run=${Deno.execPath()}`,
      "--allow-read",
      "--allow-write",
      "--allow-env",
      fixture.pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.deepEqual(JSON.parse(stdout.split("\n").at(-1)!), {
    ok: false,
    code: "runtime_start",
    message:
      "The watchdog thread cannot enforce limits: it needs --allow-run without a list, to stop a run's subprocess by pid",
  });
});

import assert from "node:assert/strict";
import { createBroker } from "./_broker.ts";
import { assertResult, recordingHost } from "./_fixtures.ts";

/**
 * Host variables that change what a Deno subprocess may do. The V8 flag is
 * one Deno refuses to start with, so a leak would also stop the runtime.
 */
const HOSTILE_ENV: Record<string, string> = {
  DENO_PERMISSION_BROKER_PATH: "/tmp/execbox-test-permission-broker.sock",
  DENO_V8_FLAGS: "--execbox-test-unknown-flag",
  DENO_AUTH_TOKENS: "execbox-test-token@example.com",
  HTTP_PROXY: "http://127.0.0.1:9",
  HTTPS_PROXY: "http://127.0.0.1:9",
  NPM_CONFIG_REGISTRY: "http://127.0.0.1:9",
};

/** Sets environment variables for the duration of `fn`, then restores them. */
async function withEnv(
  vars: Record<string, string>,
  fn: () => Promise<void>,
): Promise<void> {
  const saved = Object.keys(vars).map((name) => [name, Deno.env.get(name)]);
  for (const [name, value] of Object.entries(vars)) Deno.env.set(name, value);
  try {
    await fn();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name!);
      else Deno.env.set(name!, value);
    }
  }
}

Deno.test("Broker.execute() starts runtimes with nothing from the host", async (t) => {
  await withEnv(HOSTILE_ENV, async () => {
    const recorded = recordingHost();
    await using broker = await createBroker({
      host: recorded.host,
      pool: { size: 1 },
    });
    // The runtime works: a leaked DENO_V8_FLAGS would have stopped it.
    assertResult(await broker.execute("1 + 1"), 2);
    assert.ok(recorded.spawns.length > 0);

    await t.step(
      "Broker.execute() gives the runtime only DENO_DIR, DENO_NO_UPDATE_CHECK and NO_COLOR",
      () => {
        for (const spawn of recorded.spawns) {
          assert.deepEqual(spawn.env, {
            DENO_DIR: `${spawn.cwd}/deno`,
            DENO_NO_UPDATE_CHECK: "1",
            NO_COLOR: "1",
          });
        }
      },
    );

    await t.step(
      "Broker.execute() starts the runtimes in the pool's own directory, not the broker's",
      () => {
        const dirs = new Set(recorded.spawns.map((spawn) => spawn.cwd));
        assert.deepEqual([...dirs], recorded.tempDirs);
        assert.ok(!dirs.has(Deno.cwd()));
        assert.ok(!dirs.has(undefined), "runtime started in the broker's cwd");
      },
    );

    await t.step(
      "Broker.execute() starts the runtime with no permission and no remote code",
      () => {
        for (const spawn of recorded.spawns) {
          assert.deepEqual(
            spawn.args.filter((arg) =>
              /^--allow-|^-A$|^--unstable|^--inspect|^--cert|^--unsafely/.test(
                arg,
              )
            ),
            [],
          );
          for (
            const flag of [
              "--no-prompt",
              "--no-remote",
              "--no-npm",
              "--no-config",
              "--no-lock",
            ]
          ) {
            assert.ok(spawn.args.includes(flag), `${flag} missing`);
          }
          const text = JSON.stringify(spawn);
          for (const value of Object.values(HOSTILE_ENV)) {
            assert.ok(!text.includes(value), `${value} reached the spawn`);
          }
        }
      },
    );
  });
});

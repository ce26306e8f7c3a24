import assert from "node:assert/strict";
import { fromFileUrl } from "../../_paths.ts";

const MODULE = fromFileUrl(
  new URL("../../../broker/oauth/oauth_file_store.ts", import.meta.url),
);

/** `defaultOAuthDir()` in a process with exactly `env`. */
async function defaultDir(env: Record<string, string>): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { defaultOAuthDir } from ${JSON.stringify(MODULE)};
       console.log(defaultOAuthDir());`,
    ],
    clearEnv: true,
    env: { NO_COLOR: "1", ...env },
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return new TextDecoder().decode(stdout).trim();
}

Deno.test("defaultOAuthDir() prefers EXECBOX_STATE_DIR, then XDG_STATE_HOME, then ~/.local/state", async () => {
  assert.equal(
    await defaultDir({
      EXECBOX_STATE_DIR: "/srv/execbox",
      XDG_STATE_HOME: "/x",
      HOME: "/home/u",
    }),
    "/srv/execbox/oauth",
  );
  assert.equal(
    await defaultDir({ XDG_STATE_HOME: "/x", HOME: "/home/u" }),
    "/x/execbox/oauth",
  );
  assert.equal(
    await defaultDir({ HOME: "/home/u" }),
    "/home/u/.local/state/execbox/oauth",
  );
});

Deno.test("FileOAuthStore reads nothing, not even the environment, until it is used", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // No permissions at all: reading the environment or the home directory
    // would throw.
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { FileOAuthStore } from ${JSON.stringify(MODULE)};
       new FileOAuthStore();
       console.log("constructed");`,
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--no-config",
        "--no-lock",
        `${dir}/main.ts`,
      ],
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.equal(new TextDecoder().decode(stdout), "constructed\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { denoHost } from "../../mod.ts";
import { createBroker } from "./_broker.ts";
import { REPO_ROOT } from "./_fixtures.ts";

const BROKER =
  `${REPO_ROOT}/tests/broker/subprocess/fixtures/broker_process.ts`;

/** A broker process whose runtimes make their directories in `tmp`. */
async function startBroker(tmp: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", `${REPO_ROOT}/deno.json`, BROKER],
    env: { TMPDIR: tmp },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await lines.read();
  assert.equal(value, "ready\n");
  return { child, lines };
}

/** The runtime directories in `tmp` whose name says `pid` owns them. */
async function dirsOf(tmp: string, pid: number): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(tmp)) {
    if (new RegExp(`^execbox-\\d+\\.${pid}\\.\\d+-`).test(entry.name)) {
      names.push(entry.name);
    }
  }
  return names.sort();
}

Deno.test("createBroker() removes the runtime directories of a broker killed with SIGKILL, never a live broker's", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "execbox-sweep-test-" });
  const dead = await startBroker(tmp);
  const live = await startBroker(tmp);
  try {
    const deadDirs = await dirsOf(tmp, dead.child.pid);
    const liveDirs = await dirsOf(tmp, live.child.pid);
    // One directory per pool, shared by its runtimes.
    assert.equal(deadDirs.length, 1);
    assert.equal(liveDirs.length, 1);

    dead.child.kill("SIGKILL");
    assert.equal((await dead.child.status).signal, "SIGKILL");
    // Nothing cleaned up after it.
    assert.deepEqual(await dirsOf(tmp, dead.child.pid), deadDirs);

    // A later broker whose runtimes use the same directory sweeps on start.
    await using later = await createBroker({
      pool: { size: 1 },
      host: {
        ...denoHost,
        makeTempDir: (prefix) => Deno.makeTempDir({ dir: tmp, prefix }),
      },
    });
    assert.deepEqual(await dirsOf(tmp, dead.child.pid), []);
    assert.deepEqual(await dirsOf(tmp, live.child.pid), liveDirs);
    assert.equal((await dirsOf(tmp, Deno.pid)).length, 1);
    assert.equal(later.status().pool.idle, 1);
  } finally {
    for (const { child, lines } of [dead, live]) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already ended
      }
      await child.status;
      await lines.cancel();
    }
    await Deno.remove(tmp, { recursive: true });
  }
});

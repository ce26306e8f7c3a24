import assert from "node:assert/strict";
import {
  runtimeDirPrefix,
  sweepRuntimeDirs,
} from "../../../broker/subprocess/temp_dirs.ts";

Deno.test("runtimeDirPrefix() names this process's pid namespace, pid and start time", async () => {
  const prefix = await runtimeDirPrefix();
  const match = /^execbox-(\d+)\.(\d+)\.(\d+)-$/.exec(prefix);
  assert.ok(match, prefix);
  assert.equal(Number(match[2]), Deno.pid);
  assert.equal(
    Deno.readLinkSync("/proc/self/ns/pid"),
    `pid:[${match[1]}]`,
  );
});

Deno.test("sweepRuntimeDirs() removes only directories whose owner is gone", async () => {
  const root = await Deno.makeTempDir({ prefix: "execbox-sweep-unit-" });
  const outside = await Deno.makeTempDir({ prefix: "execbox-sweep-target-" });
  try {
    const [, ns, pid, start] = /^execbox-(\d+)\.(\d+)\.(\d+)-$/.exec(
      await runtimeDirPrefix(),
    )!;
    const gone = 2 ** 22 + 1; // above Linux's pid_max
    const names = {
      self: `execbox-${ns}.${pid}.${start}-a`,
      reusedPid: `execbox-${ns}.${pid}.${Number(start) + 1}-b`,
      deadPid: `execbox-${ns}.${gone}.1-c`,
      otherNamespace: `execbox-${Number(ns) + 1}.${gone}.1-d`,
      untagged: "execbox-e",
    };
    for (const name of Object.values(names)) {
      await Deno.mkdir(`${root}/${name}/deno`, { recursive: true });
    }
    await Deno.writeTextFile(`${outside}/keep`, "kept");
    await Deno.symlink(outside, `${root}/execbox-${ns}.${gone}.2-link`);

    assert.equal(await sweepRuntimeDirs(root, { force: true }), 2);
    const left = [...Deno.readDirSync(root)].map((e) => e.name).sort();
    assert.deepEqual(
      left,
      [
        names.self,
        names.otherNamespace,
        names.untagged,
        `execbox-${ns}.${gone}.2-link`,
      ].sort(),
    );
    assert.equal(await Deno.readTextFile(`${outside}/keep`), "kept");
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});

/**
 * `execbox skills list|remove`: the saved skills in the configuration's
 * `skills.file` (else its shared `store`), and the ones `skills.preload`
 * gives every caller.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  type ExecboxConfig,
  FileSkillStore,
  KvSkillStore,
  loadConfig,
  readSkillFolder,
  RedisKeyValueStore,
  type SkillDefinition,
  type SkillStore,
} from "@execbox/core";
import { type Command, out, UsageError } from "../_shared.ts";

const help = `List or remove the skills guest code saved (skills.save).

Usage: execbox skills list [--caller NAME] [--json] [options]
       execbox skills remove CALLER NAME [options]

Reads the file the configuration names in "skills": { "file": ... }, else the
shared store of "store": { "redis": ... }. Stop a service that uses a skills
file before removing from it: the last writer wins (a running service sees a
removal from Redis at that caller's next run).

Options:
  --config FILE      Configuration file (default: $EXECBOX_CONFIG, then ./execbox.jsonc)
  --caller NAME      list: only this caller's skills
  --json             list: print JSON
  --verbose          Stack traces on errors
  -h, --help         Show this help

Example:
  execbox skills list --caller alice
  execbox skills remove alice count_open_issues
`;

async function _run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      caller: { type: "string" },
      json: { type: "boolean" },
      verbose: { type: "boolean" },
    },
  });
  const [action, ...rest] = positionals;
  if (action !== "list" && action !== "remove") {
    throw new UsageError(
      action === undefined
        ? "missing action: list or remove"
        : `unknown action "${action}" (expected list or remove)`,
      "skills",
    );
  }
  const loaded = await loadConfig(
    values.config === undefined ? {} : { path: values.config },
  );
  const settings = loaded?.config.skills ?? {};
  if (action === "remove") {
    const [caller, name, ...extra] = rest;
    if (caller === undefined || name === undefined || extra.length > 0) {
      throw new UsageError(
        "remove takes a caller and a skill name",
        "skills",
      );
    }
    const store = _store(loaded?.config);
    if (store === undefined) {
      throw new UsageError(
        'the configuration has no "skills": { "file": ... } or "store": { "redis": ... } to remove from',
        "skills",
      );
    }
    let removed: boolean;
    try {
      removed = await store.delete(caller, name);
    } finally {
      await store.close?.();
    }
    if (!removed) {
      throw new Error(`Caller "${caller}" has no skill named "${name}"`);
    }
    out(`removed ${caller} ${name}\n`);
    return 0;
  }
  if (rest.length > 0) {
    throw new UsageError("list takes no arguments", "skills");
  }
  const store = _store(loaded?.config);
  let stored: Awaited<ReturnType<SkillStore["load"]>> = {};
  if (store !== undefined) {
    try {
      stored = await store.load();
    } finally {
      await store.close?.();
    }
  }
  const rows: {
    caller: string;
    skill: SkillDefinition & { savedAt?: string };
  }[] = [];
  if (settings.preload !== undefined) {
    for (const skill of await readSkillFolder(settings.preload)) {
      rows.push({ caller: "*", skill });
    }
  }
  for (const [caller, skills] of Object.entries(stored)) {
    for (const { js: _, ...skill } of skills) rows.push({ caller, skill });
  }
  const shown = values.caller === undefined
    ? rows
    : rows.filter((r) => r.caller === values.caller || r.caller === "*");
  if (values.json) {
    out(`${JSON.stringify(shown, null, 2)}\n`);
    return 0;
  }
  for (const { caller, skill } of shown) {
    const summary = skill.description.replace(/\s+/g, " ").trim();
    out(
      `${caller}\t${skill.name}\t${
        skill.signature ?? "(args?: unknown)"
      }\t${summary}\n`,
    );
  }
  return 0;
}

// Where the broker keeps skills for this configuration: the skills file,
// else the shared store.
function _store(config: ExecboxConfig | undefined): SkillStore | undefined {
  if (config?.skills.file !== undefined) {
    return new FileSkillStore({ file: config.skills.file });
  }
  if (config?.store.redis === undefined) return undefined;
  const kv = new RedisKeyValueStore({
    url: config.store.redis,
    ...(config.store.prefix === undefined
      ? {}
      : { prefix: config.store.prefix }),
  });
  const skills = new KvSkillStore(kv);
  return {
    load: async () => {
      await kv.connect();
      return await skills.load();
    },
    save: (caller, skill) => skills.save(caller, skill),
    delete: async (caller, name) => {
      await kv.connect();
      return await skills.delete(caller, name);
    },
    close: () => kv.close(),
  };
}

/** The `skills` command. */
export const skillsCommand: Command = {
  name: "skills",
  summary: "List or remove the skills guest code saved",
  help,
  run: _run,
};

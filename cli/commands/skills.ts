/**
 * `execbox skills list|remove`: the saved skills in the configuration's
 * `skills.file`, and the ones `skills.preload` gives every caller.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  FileSkillStore,
  loadConfig,
  readSkillFolder,
  type SkillDefinition,
} from "@execbox/core";
import { type Command, out, UsageError } from "../_shared.ts";

const help = `List or remove the skills guest code saved (skills.save).

Usage: execbox skills list [--caller NAME] [--json] [options]
       execbox skills remove CALLER NAME [options]

Reads the file the configuration names in "skills": { "file": ... }. Stop a
service that uses the file before removing: the last writer wins.

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
    if (settings.file === undefined) {
      throw new UsageError(
        'the configuration has no "skills": { "file": ... } to remove from',
        "skills",
      );
    }
    const store = new FileSkillStore({ file: settings.file });
    const removed = await store.delete(caller, name);
    await store.close();
    if (!removed) {
      throw new Error(`Caller "${caller}" has no skill named "${name}"`);
    }
    out(`removed ${caller} ${name}\n`);
    return 0;
  }
  if (rest.length > 0) {
    throw new UsageError("list takes no arguments", "skills");
  }
  const stored = settings.file === undefined
    ? {}
    : await new FileSkillStore({ file: settings.file }).load();
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

/** The `skills` command. */
export const skillsCommand: Command = {
  name: "skills",
  summary: "List or remove the skills guest code saved",
  help,
  run: _run,
};

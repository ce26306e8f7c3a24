import assert from "node:assert/strict";
import {
  brokerOptionsFromConfig,
  parseConfig,
} from "../../../broker/config/config.ts";
import { configError } from "./_config_error.ts";
import { FileSkillStore } from "../../../broker/skills/skill_file_store.ts";

Deno.test("parseConfig() reads skills.file and skills.preload relative to the file and builds a FileSkillStore", () => {
  const { config } = parseConfig(
    '{ "skills": { "file": "state/skills.json", "preload": "skills" } }',
    "/etc/execbox/execbox.jsonc",
    {},
  );
  assert.deepEqual(config.skills, {
    file: "/etc/execbox/state/skills.json",
    preload: "/etc/execbox/skills",
  });
  const options = brokerOptionsFromConfig(config);
  assert.ok(options.skills?.store instanceof FileSkillStore);
  assert.equal(options.skills.preload, "/etc/execbox/skills");
  assert.equal(options.skills.enabled, undefined);
});

Deno.test("parseConfig() turns skills off, with no store", () => {
  const { config } = parseConfig(
    '{ "skills": { "enabled": false, "file": "skills.json" } }',
    "x.jsonc",
    {},
  );
  assert.deepEqual(brokerOptionsFromConfig(config).skills, { enabled: false });
  assert.equal(
    brokerOptionsFromConfig(parseConfig("{}", "x.jsonc", {}).config).skills,
    undefined,
  );
});

Deno.test("parseConfig() names a misspelled or bad skills key", () => {
  assert.equal(
    configError('{"skils": {}}'),
    'Cannot read config "x.jsonc": unknown key "skils" at 1:2 (did you mean "skills"?)',
  );
  assert.equal(
    configError('{"skills": {"preloads": "x"}}'),
    'Cannot read config "x.jsonc": unknown key "preloads" in skills at 1:13 (did you mean "preload"?)',
  );
  assert.match(
    configError('{"skills": {"enabled": "no"}}'),
    /skills\.enabled .*must be true or false/,
  );
});

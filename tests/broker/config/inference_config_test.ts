import assert from "node:assert/strict";
import {
  brokerOptionsFromConfig,
  parseConfig,
} from "../../../broker/config/config.ts";
import { configError } from "./_config_error.ts";
import { FileShapeStore } from "../../../broker/state/shape_file_store.ts";

Deno.test("parseConfig() reads inference.file relative to the file and builds a FileShapeStore", () => {
  const { config } = parseConfig(
    '{ "inference": { "file": "state/shapes.json" } }',
    "/etc/execbox/execbox.jsonc",
    {},
  );
  assert.deepEqual(config.inference, {
    file: "/etc/execbox/state/shapes.json",
  });
  const options = brokerOptionsFromConfig(config);
  assert.ok(options.inference?.store instanceof FileShapeStore);
  assert.equal(options.inference.enabled, undefined);
});

Deno.test("parseConfig() turns inference off, with no store, and reads inferOutput per server", () => {
  const { config } = parseConfig(
    JSON.stringify({
      inference: { enabled: false, file: "shapes.json" },
      mcpServers: { gh: { command: "gh-mcp", inferOutput: false } },
    }),
    "x.jsonc",
    {},
  );
  assert.deepEqual(brokerOptionsFromConfig(config).inference, {
    enabled: false,
  });
  assert.equal(config.mcpServers.gh!.inferOutput, false);
  assert.equal(
    brokerOptionsFromConfig(parseConfig("{}", "x.jsonc", {}).config).inference,
    undefined,
  );
});

Deno.test("parseConfig() names a misspelled or bad inference key", () => {
  assert.equal(
    configError('{"inferense": {}}'),
    'Cannot read config "x.jsonc": unknown key "inferense" at 1:2 (did you mean "inference"?)',
  );
  assert.equal(
    configError('{"inference": {"fille": "x"}}'),
    'Cannot read config "x.jsonc": unknown key "fille" in inference at 1:16 (did you mean "file"?)',
  );
  assert.equal(
    configError(
      '{"mcpServers": {"gh": {"command": "x", "inferOutputs": false}}}',
    ),
    'Cannot read config "x.jsonc": unknown key "inferOutputs" in mcpServers.gh at 1:40 (did you mean "inferOutput"?)',
  );
  assert.match(
    configError('{"inference": {"enabled": "no"}}'),
    /inference\.enabled .*must be true or false/,
  );
  assert.match(
    configError('{"inference": {"file": ""}}'),
    /inference\.file .*must not be empty/,
  );
});

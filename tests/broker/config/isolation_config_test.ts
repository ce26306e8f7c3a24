import assert from "node:assert/strict";
import {
  brokerOptionsFromConfig,
  parseConfig,
} from "../../../broker/config/config.ts";
import { configError } from "./_config_error.ts";

Deno.test("parseConfig() reads pool.isolation and pool.isolate into the broker's options", () => {
  const { config } = parseConfig(
    JSON.stringify({
      pool: {
        isolation: "isolate",
        isolate: { maxRuns: 50, maxAgeSeconds: 60, maxProcesses: 8 },
      },
    }),
    "x.jsonc",
    {},
  );
  assert.deepEqual(brokerOptionsFromConfig(config), {
    isolation: "isolate",
    isolate: { maxRuns: 50, maxAgeSeconds: 60, maxProcesses: 8 },
  });
  assert.equal(
    brokerOptionsFromConfig(parseConfig("{}", "x.jsonc", {}).config).isolation,
    undefined,
  );
});

Deno.test("parseConfig() refuses an unknown isolation and a typo in pool.isolate", () => {
  assert.equal(
    configError('{ "pool": { "isolation": "thread" } }'),
    'Cannot read config "x.jsonc": pool.isolation must be one of "process", "isolate" at 1:26',
  );
  assert.equal(
    configError('{ "pool": { "isolate": { "maxRun": 5 } } }'),
    'Cannot read config "x.jsonc": unknown key "maxRun" in pool.isolate at 1:26 (did you mean "maxRuns"?)',
  );
  assert.equal(
    configError('{ "pool": { "isolate": { "maxRuns": 0 } } }'),
    'Cannot read config "x.jsonc": pool.isolate.maxRuns must be a whole number of at least 1 at 1:37',
  );
});

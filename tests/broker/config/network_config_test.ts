import assert from "node:assert/strict";
import {
  brokerOptionsFromConfig,
  parseConfig,
} from "../../../broker/config/config.ts";
import { configError } from "./_config_error.ts";

Deno.test("parseConfig() reads the network section, expands ${VAR} in headers and keeps them secret", () => {
  const { config, secrets } = parseConfig(
    `{
      // the guest's fetch
      "network": {
        "allow": [{
          "origin": "https://api.github.com",
          "paths": ["/repos/"],
          "methods": ["GET", "POST"],
          "headers": { "Authorization": "Bearer \${GH_TOKEN}" }
        }],
        "timeoutMs": 10000,
        "maxResponseBytes": 1048576
      }
    }`,
    "x.jsonc",
    { GH_TOKEN: "ghp_example" },
  );
  const network = {
    allow: [{
      origin: "https://api.github.com",
      paths: ["/repos/"],
      methods: ["GET", "POST"],
      headers: { Authorization: "Bearer ghp_example" },
    }],
    timeoutMs: 10000,
    maxResponseBytes: 1048576,
  };
  assert.deepEqual(config.network, network);
  assert.deepEqual(brokerOptionsFromConfig(config).network, network);
  assert.ok(secrets.includes("ghp_example"));
  assert.ok(secrets.includes("Bearer ghp_example"));
});

Deno.test("parseConfig() leaves network out of the options when the file has none", () => {
  const { config } = parseConfig("{}", "x.jsonc", {});
  assert.deepEqual(config.network, {});
  assert.equal("network" in brokerOptionsFromConfig(config), false);
});

Deno.test("parseConfig() rejects a malformed network rule where it is written", () => {
  assert.equal(
    configError('{"network": {"allow": [{"origin": "https://x.example/v1"}]}}'),
    'Cannot read config "x.jsonc": network.allow[0] origin must be an http or https origin without a path, such as "https://api.example.com", got "https://x.example/v1" at 1:24',
  );
  assert.equal(
    configError(
      '{"network": {"allow": [{"origin": "https://x.example", "path": []}]}}',
    ),
    'Cannot read config "x.jsonc": unknown key "path" in network.allow[0] at 1:56',
  );
  assert.equal(
    configError('{"network": {"maxRedirect": 2}}'),
    'Cannot read config "x.jsonc": unknown key "maxRedirect" in network at 1:14 (did you mean "maxRedirects"?)',
  );
});

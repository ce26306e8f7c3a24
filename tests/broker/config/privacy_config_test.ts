import assert from "node:assert/strict";
import {
  brokerOptionsFromConfig,
  parseConfig,
} from "../../../broker/config/config.ts";
import { configError } from "./_config_error.ts";

Deno.test("parseConfig() reads the privacy section, with the key from ${VAR} kept secret", () => {
  const { config, secrets } = parseConfig(
    JSON.stringify({
      privacy: {
        tokenize: ["email", { name: "employee_id", pattern: "E-\\d{6}" }],
        maxTokens: 500,
        key: "${PRIVACY_KEY}",
      },
    }),
    "x.jsonc",
    { PRIVACY_KEY: "0123456789abcdef0123" },
  );
  const privacy = {
    tokenize: ["email", { name: "employee_id", pattern: "E-\\d{6}" }],
    maxTokens: 500,
    key: "0123456789abcdef0123",
  };
  assert.deepEqual(config.privacy, privacy);
  assert.deepEqual(brokerOptionsFromConfig(config).privacy, privacy);
  assert.ok(secrets.includes("0123456789abcdef0123"));
  assert.equal(
    brokerOptionsFromConfig(parseConfig("{}", "x.jsonc", {}).config).privacy,
    undefined,
  );
});

Deno.test("parseConfig() refuses a misspelled privacy key, an unknown detector and a short key", () => {
  assert.match(
    configError('{ "privacy": { "tokenise": ["email"] } }'),
    /unknown key "tokenise".*did you mean "tokenize"/,
  );
  assert.match(
    configError('{ "privacy": { "tokenize": ["mail"] } }'),
    /privacy\.tokenize\[0\].*must be a detector name \(email, phone, credit_card, iban, ipv4\)/,
  );
  assert.match(
    configError(
      '{ "privacy": { "tokenize": [{ "name": "x", "pattern": "(" }] } }',
    ),
    /privacy\.tokenize\[0\]\.pattern.*must be a valid regular expression/,
  );
  assert.match(
    configError('{ "privacy": { "key": "short" } }'),
    /privacy\.key.*must be at least 16 characters/,
  );
});

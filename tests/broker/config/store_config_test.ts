import assert from "node:assert/strict";
import { brokerOptionsFromConfig, parseConfig } from "../../../mod.ts";
import { configError } from "./_config_error.ts";
import { RedisKeyValueStore } from "../../../broker/store/redis_key_value_store.ts";
import { KvOAuthStore } from "../../../broker/oauth/oauth_kv_store.ts";

Deno.test("parseConfig() reads the store section, with ${VAR} in the URL kept secret", async () => {
  const { config, secrets } = parseConfig(
    '{"store": {"redis": "${REDIS_URL}", "prefix": "prod:", "optional": true}}',
    "x.jsonc",
    { REDIS_URL: "redis://:s3cret@redis:6379/0" },
  );
  assert.deepEqual(config.store, {
    redis: "redis://:s3cret@redis:6379/0",
    prefix: "prod:",
    optional: true,
  });
  assert.ok(secrets.includes("redis://:s3cret@redis:6379/0"));
  assert.ok(secrets.includes("s3cret"));
  const options = brokerOptionsFromConfig(config);
  assert.ok(options.store instanceof RedisKeyValueStore);
  assert.deepEqual(options.store.status(), { name: "redis", up: false });
  await options.store.close();
});

Deno.test("parseConfig() keeps a literal Redis password secret", () => {
  const { secrets } = parseConfig(
    '{"store": {"redis": "redis://u:p%40ss@h:1"}}',
    "x.jsonc",
    {},
  );
  assert.deepEqual(secrets, ["p@ss"]);
});

Deno.test("brokerOptionsFromConfig() sets no store without a store section", () => {
  const { config } = parseConfig("{}", "x.jsonc", {});
  assert.deepEqual(config.store, {});
  assert.equal(brokerOptionsFromConfig(config).store, undefined);
});

Deno.test("parseConfig() rejects a bad store section", () => {
  assert.equal(
    configError('{"store": {"redis": "http://x"}}'),
    'Cannot read config "x.jsonc": store.redis must start with redis:// or rediss:// at 1:21',
  );
  assert.equal(
    configError('{"store": {"redis": "redis://x", "prefx": "a"}}'),
    'Cannot read config "x.jsonc": unknown key "prefx" in store at 1:34 (did you mean "prefix"?)',
  );
  assert.match(
    configError('{"store": {"prefix": "a"}}'),
    /store\.redis/,
  );
});

Deno.test("brokerOptionsFromConfig() seals OAuth tokens in the store when store.key is set", async () => {
  const { config, secrets } = parseConfig(
    '{"store": {"redis": "redis://h:1", "key": "a store key of 16+ chars"}}',
    "x.jsonc",
    {},
  );
  assert.ok(secrets.includes("a store key of 16+ chars"));
  const options = brokerOptionsFromConfig(config);
  assert.ok(options.oauthStore instanceof KvOAuthStore);
  await options.store?.close?.();
  assert.equal(
    configError('{"store": {"redis": "redis://h:1", "key": "short"}}'),
    'Cannot read config "x.jsonc": store.key must be at least 16 characters at 1:43',
  );
});

Deno.test("parseConfig() requires privacy.key with a shared store, so replicas open each other's token maps", () => {
  assert.equal(
    configError(
      '{"store": {"redis": "redis://h:1"}, "privacy": {"tokenize": ["email"]}}',
    ),
    'Cannot read config "x.jsonc": privacy needs a key when store.redis is set (every replica must open the token maps the others sealed) at 1:48',
  );
});

import assert from "node:assert/strict";
import { parseConfig } from "../../../broker/config/config.ts";
import { ExecboxError } from "../../../broker/errors.ts";

function configError(text: string, env: Record<string, string> = {}): string {
  try {
    parseConfig(text, "x.jsonc", env);
  } catch (error) {
    assert.ok(error instanceof ExecboxError);
    assert.equal(error.code, "config_invalid");
    return error.message;
  }
  assert.fail("parseConfig() did not throw");
}

Deno.test("parseConfig() reads a server's oauth section and redacts its client secret from ${VAR}", () => {
  const { config, secrets } = parseConfig(
    JSON.stringify({
      mcpServers: {
        m2m: {
          url: "https://mcp.example/mcp",
          oauth: {
            clientId: "execbox",
            clientSecret: "${M2M_SECRET}",
            scope: "read write",
            grant: "client_credentials",
          },
        },
        docs: {
          url: "https://docs.example/mcp",
          oauth: { redirectPort: 8765 },
        },
      },
    }),
    "x.jsonc",
    { M2M_SECRET: "s3cret-value" },
  );
  assert.deepEqual(config.mcpServers.m2m, {
    type: "http",
    url: "https://mcp.example/mcp",
    oauth: {
      clientId: "execbox",
      clientSecret: "s3cret-value",
      scope: "read write",
      grant: "client_credentials",
    },
  });
  assert.deepEqual(
    (config.mcpServers.docs as { oauth?: unknown }).oauth,
    { redirectPort: 8765 },
  );
  assert.ok(secrets.includes("s3cret-value"));
});

Deno.test("parseConfig() suggests the oauth key or grant a typo meant", () => {
  assert.equal(
    configError(
      '{"mcpServers":{"a":{"url":"https://a.example/mcp","oauth":{"clientID":"x"}}}}',
    ),
    'Cannot read config "x.jsonc": unknown key "clientID" in mcpServers.a.oauth at 1:60 (did you mean "clientId"?)',
  );
  assert.match(
    configError(
      '{"mcpServers":{"a":{"url":"https://a.example/mcp","oauth":{"grant":"client_credential"}}}}',
    ),
    /mcpServers\.a\.oauth\.grant must be one of "authorization_code", "client_credentials" .*\(did you mean "client_credentials"\?\)/,
  );
});

Deno.test("parseConfig() refuses client_credentials without a client id and secret, and oauth on a stdio server", () => {
  assert.match(
    configError(
      '{"mcpServers":{"a":{"url":"https://a.example/mcp","oauth":{"grant":"client_credentials","clientId":"x"}}}}',
    ),
    /mcpServers\.a\.oauth needs a "clientSecret" for grant "client_credentials"/,
  );
  assert.match(
    configError('{"mcpServers":{"a":{"command":"x","oauth":{}}}}'),
    /mcpServers\.a\.oauth does not apply to a stdio server/,
  );
  assert.match(
    configError(
      '{"mcpServers":{"a":{"url":"https://a.example/mcp","oauth":{"redirectPort":70000}}}}',
    ),
    /mcpServers\.a\.oauth\.redirectPort must be a whole number from 0 to 65535/,
  );
});

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  brokerOptionsFromConfig,
  type ExecboxConfig,
  loadConfig,
  parseConfig,
} from "../../../broker/config/config.ts";
import { ExecboxError } from "../../../broker/errors.ts";
import {
  DEFAULT_LIMITS,
  type Limits,
  mergeLimits,
} from "../../../broker/limits.ts";

const FIXTURE = fileURLToPath(
  new URL("./fixtures/execbox.jsonc", import.meta.url),
);

function configError(
  text: string,
  env: Record<string, string | undefined> = {},
  file = "x.jsonc",
): string {
  try {
    parseConfig(text, file, env);
  } catch (error) {
    assert.ok(error instanceof ExecboxError);
    assert.equal(error.code, "config_invalid");
    return error.message;
  }
  assert.fail("parseConfig() did not throw");
}

function lines(...text: string[]): string {
  return text.join("\n");
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

const EMPTY: ExecboxConfig = {
  mcpServers: {},
  limits: {},
  pool: {},
  http: {},
  sessions: {},
  audit: {},
  inference: {},
  skills: {},
  privacy: {},
  approvals: {},
  network: {},
  store: {},
};

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("parseConfig() accepts a Claude Desktop configuration as pasted", () => {
  const pasted =
    `{"mcpServers": {"filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]}}}`;
  assert.deepEqual(parseConfig(pasted, "claude_desktop_config.json", {}), {
    config: {
      ...EMPTY,
      mcpServers: {
        filesystem: {
          type: "stdio",
          command: "npx",
          args: ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"],
        },
      },
    },
    secrets: [],
  });
});

Deno.test("parseConfig() accepts comments and trailing commas", () => {
  const text = lines(
    "// execbox configuration",
    "{",
    "  /* limits for every run */",
    '  "limits": { "timeoutMs": 2000, },',
    '  "pool": { "size": 0, }, // cold starts',
    "}",
  );
  assert.deepEqual(parseConfig(text, "x.jsonc", {}).config, {
    ...EMPTY,
    limits: { timeoutMs: 2000 },
    pool: { size: 0 },
  });
});

Deno.test("parseConfig() gives absent sections as empty objects and ignores $schema", () => {
  assert.deepEqual(parseConfig("{}", "x.jsonc", {}), {
    config: EMPTY,
    secrets: [],
  });
  assert.deepEqual(
    parseConfig('{ "$schema": "./execbox.schema.json" }', "x.jsonc", {}),
    { config: EMPTY, secrets: [] },
  );
  assert.equal(
    configError('{ "$schema": 1 }'),
    'Cannot read config "x.jsonc": $schema must be a string at 1:14',
  );
});

Deno.test("parseConfig() reads every section of a full configuration", async () => {
  const text = await Deno.readTextFile(FIXTURE);
  const env = {
    GITHUB_TOKEN: "ghp_secret",
    DOCS_TOKEN: "docs_secret",
    CI_TOKEN: "ci_secret",
  };
  const { config, secrets } = parseConfig(text, "/etc/execbox/x.jsonc", env);
  assert.deepEqual(config, {
    mcpServers: {
      github: {
        type: "stdio",
        command: "npx",
        args: ["-y", "@modelcontextprotocol/server-github"],
        env: { GITHUB_PERSONAL_ACCESS_TOKEN: "ghp_secret" },
        cwd: join("/etc/execbox", "servers/github"),
        allowTools: ["get_*", "list_*"],
        denyTools: ["delete_*"],
      },
      docs: {
        type: "http",
        url: "https://docs.example.com/mcp",
        headers: { Authorization: "Bearer docs_secret" },
        timeout: 30000,
        optional: true,
        rawResults: false,
      },
      legacy: { type: "sse", url: "http://localhost:9000/sse" },
    },
    limits: { timeoutMs: 10000, memoryMb: 256 },
    pool: {
      size: 1,
      maxConcurrency: 2,
      maxQueue: 16,
      maxConcurrencyPerCaller: 1,
      maxQueuePerCaller: 8,
    },
    http: {
      hostname: "127.0.0.1",
      port: 8787,
      tokens: { ci: "ci_secret" },
      maxBodyBytes: 1048576,
      allowedOrigins: ["https://app.example.com"],
      allowedHosts: ["localhost:8787"],
      maxBatch: 8,
      headersTimeoutMs: 10000,
      requestTimeoutMs: 30000,
      maxConnections: 256,
      mcpSessions: { maxPerCaller: 8, idleTimeoutMs: 300000 },
    },
    sessions: { dir: "/etc/execbox/sessions", maxBytes: 65536, ttlMs: 600000 },
    audit: { file: "/etc/execbox/audit.jsonl", includeArgs: true },
    inference: {},
    skills: {},
    privacy: {},
    approvals: {},
    network: {},
    store: {},
  });
  assert.deepEqual(secrets, ["ghp_secret", "docs_secret", "ci_secret"]);
});

Deno.test("parseConfig() infers the type of a server from its command or url", () => {
  const { config } = parseConfig(
    json({
      mcpServers: {
        local: { command: "server" },
        remote: { url: "https://example.com/mcp" },
        streamable: { type: "streamable-http", url: "http://localhost/mcp" },
      },
    }),
    "x.jsonc",
    {},
  );
  assert.deepEqual(config.mcpServers, {
    local: { type: "stdio", command: "server" },
    remote: { type: "http", url: "https://example.com/mcp" },
    streamable: { type: "streamable-http", url: "http://localhost/mcp" },
  });
});

Deno.test("parseConfig() suggests the nearest key for a typo", () => {
  assert.equal(
    configError(
      lines(
        "{",
        '  "$schema": "./execbox.schema.json",',
        '    "mcpServer": {}',
        "}",
      ),
      {},
      "execbox.jsonc",
    ),
    'Cannot read config "execbox.jsonc": unknown key "mcpServer" at 3:5 (did you mean "mcpServers"?)',
  );
  assert.equal(
    configError('{"mcpServers": {"gh": {"comand": "npx"}}}'),
    'Cannot read config "x.jsonc": unknown key "comand" in mcpServers.gh at 1:24 (did you mean "command"?)',
  );
  // Case, a missing prefix and a longer name each find their key.
  assert.equal(
    configError('{"MCPSERVERS": {}}'),
    'Cannot read config "x.jsonc": unknown key "MCPSERVERS" at 1:2 (did you mean "mcpServers"?)',
  );
  assert.equal(
    configError('{"servers": {}}'),
    'Cannot read config "x.jsonc": unknown key "servers" at 1:2 (did you mean "mcpServers"?)',
  );
  assert.equal(
    configError('{"mcpServers": {"gh": {"command": "x", "timeoutMs": 1}}}'),
    'Cannot read config "x.jsonc": unknown key "timeoutMs" in mcpServers.gh at 1:40 (did you mean "timeout"?)',
  );
  assert.equal(
    configError('{"limits": {"timeout": 1}}'),
    'Cannot read config "x.jsonc": unknown key "timeout" in limits at 1:13 (did you mean "timeoutMs"?)',
  );
  assert.equal(
    configError('{"pool": {"maxQeueu": 1}}'),
    'Cannot read config "x.jsonc": unknown key "maxQeueu" in pool at 1:11 (did you mean "maxQueue"?)',
  );
});

Deno.test("parseConfig() suggests nothing for a key far from every valid one", () => {
  assert.equal(
    configError('{"autoApprove": []}'),
    'Cannot read config "x.jsonc": unknown key "autoApprove" at 1:2',
  );
  assert.equal(
    configError('{"mcpServers": {"gh": {"command": "x", "xyz": 1}}}'),
    'Cannot read config "x.jsonc": unknown key "xyz" in mcpServers.gh at 1:40',
  );
});

Deno.test("parseConfig() reports a value of the wrong type with its path, line and column", () => {
  const text = lines(
    "{",
    '  "mcpServers": {',
    '    "github": {',
    '      "command": "npx",',
    '      "args": ["-y", "@modelcontextprotocol/server-github"],',
    '      "optional": true,',
    '      "timeout": "30s"',
    "    }",
    "  }",
    "}",
  );
  assert.equal(
    configError(text),
    'Cannot read config "x.jsonc": mcpServers.github.timeout must be a number at 7:18',
  );
  const cases: [unknown, string][] = [
    [[], "the top level must be an object at 1:1"],
    [{ mcpServers: [] }, "mcpServers must be an object at 2:17"],
    [{ mcpServers: { a: "npx" } }, "mcpServers.a must be an object at 3:10"],
    [
      { mcpServers: { a: { command: "x", args: "-y" } } },
      "mcpServers.a.args must be an array of strings at 5:15",
    ],
    [
      { mcpServers: { a: { command: "x", args: ["-y", 2] } } },
      "mcpServers.a.args[1] must be a string at 7:9",
    ],
    [
      { mcpServers: { a: { command: "x", env: { PORT: 8080 } } } },
      "mcpServers.a.env.PORT must be a string at 6:17",
    ],
    [
      { mcpServers: { a: { command: "x", optional: "yes" } } },
      "mcpServers.a.optional must be true or false at 5:19",
    ],
    [
      { mcpServers: { a: { command: "x", timeout: 0 } } },
      "mcpServers.a.timeout must be a whole number of at least 1 at 5:18",
    ],
    [
      { mcpServers: { a: { command: "" } } },
      "mcpServers.a.command must not be empty at 4:18",
    ],
    [{ limits: [] }, "limits must be an object at 2:13"],
    [
      { http: { port: 65536 } },
      "http.port must be a whole number from 0 to 65535 at 3:13",
    ],
    [
      { http: { port: 80.5 } },
      "http.port must be a whole number from 0 to 65535 at 3:13",
    ],
    [{ http: { token: "" } }, "http.token must not be empty at 3:14"],
    [
      { http: { tokens: { ci: 1 } } },
      "http.tokens.ci must be a string at 4:13",
    ],
    [
      { http: { allowedHosts: "x" } },
      "http.allowedHosts must be an array of strings at 3:21",
    ],
    [
      { http: { maxBodyBytes: 0 } },
      "http.maxBodyBytes must be a whole number of at least 1 at 3:21",
    ],
    [
      { pool: { size: -1 } },
      "pool.size must be a whole number of at least 0 at 3:13",
    ],
    [
      { pool: { maxConcurrency: 0 } },
      "pool.maxConcurrency must be a whole number of at least 1 at 3:23",
    ],
    [{ pool: { maxQueue: "8" } }, "pool.maxQueue must be a number at 3:17"],
    [
      { pool: { maxConcurrencyPerCaller: 0 } },
      "pool.maxConcurrencyPerCaller must be a whole number of at least 1 at 3:32",
    ],
    [
      { http: { maxBatch: 0 } },
      "http.maxBatch must be a whole number of at least 1 at 3:17",
    ],
    [
      { http: { mcpSessions: { maxPerCaler: 2 } } },
      'unknown key "maxPerCaler" in http.mcpSessions at 4:7 (did you mean "maxPerCaller"?)',
    ],
    [
      { http: { maxConnections: 1.5 } },
      "http.maxConnections must be a whole number of at least 1 at 3:23",
    ],
    [
      { http: { headersTimeoutMs: 60000 } },
      "http.headersTimeoutMs must leave requestTimeoutMs (30000) at least headersTimeoutMs (60000) at 3:25",
    ],
  ];
  for (const [value, message] of cases) {
    assert.equal(
      configError(json(value)),
      `Cannot read config "x.jsonc": ${message}`,
    );
  }
});

Deno.test("parseConfig() checks limits against mergeLimits' minimums", () => {
  const minimums: Limits = {
    timeoutMs: 1,
    memoryMb: 16,
    maxLogBytes: 0,
    maxResultBytes: 16,
    maxToolCalls: 0,
    maxCodeBytes: 1,
    maxInFlightArgBytes: 1024,
    maxToolResultBytes: 16,
    maxRunToolResultBytes: 16,
  };
  for (const [key, min] of Object.entries(minimums)) {
    // The same minimum as the broker's own check, so the two cannot drift.
    assert.doesNotThrow(() => mergeLimits(DEFAULT_LIMITS, { [key]: min }, "t"));
    assert.throws(() => mergeLimits(DEFAULT_LIMITS, { [key]: min - 1 }, "t"));
    assert.deepEqual(
      parseConfig(`{"limits": {"${key}": ${min}}}`, "x.jsonc", {}).config
        .limits,
      { [key]: min },
    );
    assert.equal(
      configError(`{"limits": {"${key}": ${min - 1}}}`),
      `Cannot read config "x.jsonc": limits.${key} must be a whole number of at least ${min} at 1:${
        17 + key.length
      }`,
    );
  }
  assert.equal(
    configError('{"limits": {"memoryMb": 64.5}}'),
    'Cannot read config "x.jsonc": limits.memoryMb must be a whole number at 1:25',
  );
  assert.equal(
    configError('{"limits": {"memoryMb": "64"}}'),
    'Cannot read config "x.jsonc": limits.memoryMb must be a number at 1:25',
  );
});

Deno.test("parseConfig() reports an unknown nested key with its path", () => {
  const text = lines(
    "{",
    '  "mcpServers": {',
    '    "github": {',
    '      "command": "npx",',
    '      "env": { "A": "1" },',
    '      "transport": "stdio",',
    "    },",
    "  },",
    "}",
  );
  assert.equal(
    configError(text),
    'Cannot read config "x.jsonc": unknown key "transport" in mcpServers.github at 6:7',
  );
  assert.equal(
    configError(json({ http: { hostname: "localhost", cors: true } })),
    'Cannot read config "x.jsonc": unknown key "cors" in http at 4:5',
  );
  assert.equal(
    configError(
      json({ mcpServers: { "my.server": { command: "x", extra: 1 } } }),
    ),
    'Cannot read config "x.jsonc": unknown key "extra" in mcpServers["my.server"] at 5:7',
  );
});

Deno.test("parseConfig() reports the problem that comes first in the file", () => {
  assert.equal(
    configError(json({ limits: { memoryMb: "x" }, mcpServer: {} })),
    'Cannot read config "x.jsonc": limits.memoryMb must be a number at 3:17',
  );
  // The typo comes before the missing key it causes.
  assert.equal(
    configError('{"mcpServers": {"gh": {"comand": "npx"}}}'),
    'Cannot read config "x.jsonc": unknown key "comand" in mcpServers.gh at 1:24 (did you mean "command"?)',
  );
});

Deno.test("parseConfig() accepts only http and https URLs", () => {
  for (const url of ["ftp://example.com/mcp", "example.com/mcp", "/mcp", ""]) {
    assert.equal(
      configError(`{"mcpServers": {"a": {"url": ${JSON.stringify(url)}}}}`),
      'Cannot read config "x.jsonc": mcpServers.a.url must be an http or https URL at 1:30',
    );
  }
  for (const url of ["http://localhost:3000/mcp", "https://example.com/sse"]) {
    const { config } = parseConfig(
      `{"mcpServers": {"a": {"type": "sse", "url": ${JSON.stringify(url)}}}}`,
      "x.jsonc",
      {},
    );
    assert.deepEqual(config.mcpServers.a, { type: "sse", url });
  }
});

Deno.test("parseConfig() requires a command for a stdio server and a url for an http one", () => {
  const cases: [unknown, string][] = [
    [{ type: "stdio", args: ["x"] }, 'needs a "command" for type "stdio"'],
    [{ type: "http" }, 'needs a "url" for type "http"'],
    [{ type: "sse", headers: {} }, 'needs a "url" for type "sse"'],
    [{ args: ["x"] }, 'needs a "command" (stdio) or a "url" (http)'],
  ];
  for (const [server, message] of cases) {
    assert.equal(
      configError(`{"mcpServers": {"a": ${JSON.stringify(server)}}}`),
      `Cannot read config "x.jsonc": mcpServers.a ${message} at 1:22`,
    );
  }
});

Deno.test("parseConfig() rejects the keys of the other transport", () => {
  assert.equal(
    configError('{"mcpServers": {"a": {"command": "x", "url": "http://h/"}}}'),
    'Cannot read config "x.jsonc": mcpServers.a.url does not apply to a stdio server at 1:46',
  );
  assert.equal(
    configError('{"mcpServers": {"a": {"url": "http://h/", "env": {}}}}'),
    'Cannot read config "x.jsonc": mcpServers.a.env does not apply to an http server at 1:50',
  );
  assert.equal(
    configError('{"mcpServers": {"a": {"type": "sse", "command": "x"}}}'),
    'Cannot read config "x.jsonc": mcpServers.a.command does not apply to an http server at 1:49',
  );
});

Deno.test("parseConfig() rejects an unknown type and suggests the nearest", () => {
  assert.equal(
    configError(
      '{"mcpServers": {"a": {"type": "streamableHttp", "url": "http://h/"}}}',
    ),
    'Cannot read config "x.jsonc": mcpServers.a.type must be one of "stdio", "http", "streamable-http", "sse" at 1:31 (did you mean "streamable-http"?)',
  );
  assert.equal(
    configError(
      '{"mcpServers": {"a": {"type": "websocket", "url": "ws://h/"}}}',
    ),
    'Cannot read config "x.jsonc": mcpServers.a.type must be one of "stdio", "http", "streamable-http", "sse" at 1:31',
  );
});

Deno.test("parseConfig() names the line and column of a syntax error", () => {
  const cases: [string, string][] = [
    ['{\n  "limits": {}\n  "pool": {}\n}', "expected a comma at 3:3"],
    ['{\r\n  "limits": {},,\r\n}', "expected a property name at 2:16"],
    ['{\n  "limits": {\n', "expected a closing brace at 3:1"],
    ['{ "http": { "hostname": "x } }', "unterminated string at 1:25"],
    ["{ /* open", "unterminated comment at 1:3"],
    ["", "expected a value at 1:1"],
    ["// nothing but a comment\n", "expected a value at 2:1"],
  ];
  for (const [text, message] of cases) {
    assert.equal(configError(text), `Cannot read config "x.jsonc": ${message}`);
  }
});

Deno.test("parseConfig() skips a byte-order mark when counting columns", () => {
  assert.equal(
    configError('\uFEFF{"pool": 1}'),
    'Cannot read config "x.jsonc": pool must be an object at 1:10',
  );
});

Deno.test("parseConfig() rejects duplicate keys and __proto__", () => {
  assert.equal(
    configError(
      '{"mcpServers": {"a": {"command": "x"}, "a": {"command": "y"}}}',
    ),
    'Cannot read config "x.jsonc": duplicate key "a" at 1:40',
  );
  assert.equal(
    configError('{"mcpServers": {"__proto__": {"command": "x"}}}'),
    'Cannot read config "x.jsonc": key "__proto__" is not allowed at 1:17',
  );
});

Deno.test("parseConfig() expands ${VAR} from the environment and lists the values as secrets", () => {
  const { config, secrets } = parseConfig(
    json({
      mcpServers: {
        gh: {
          command: "${BIN}",
          args: ["--token=${TOKEN}", "${TOKEN}"],
          env: { TOKEN: "${TOKEN}", EMPTY: "${EMPTY}" },
        },
        docs: { url: "https://${HOST}/mcp", headers: { "X-Key": "${KEY}" } },
      },
      http: { token: "${HTTP_TOKEN}" },
    }),
    "x.jsonc",
    {
      BIN: "gh-server",
      TOKEN: "t0k",
      EMPTY: "",
      HOST: "docs.example.com",
      KEY: "k3y",
      HTTP_TOKEN: "h77p",
      UNUSED: "never",
    },
  );
  assert.deepEqual(config.mcpServers, {
    gh: {
      type: "stdio",
      command: "gh-server",
      args: ["--token=t0k", "t0k"],
      env: { TOKEN: "t0k", EMPTY: "" },
    },
    docs: {
      type: "http",
      url: "https://docs.example.com/mcp",
      headers: { "X-Key": "k3y" },
    },
  });
  assert.deepEqual(config.http, { token: "h77p" });
  assert.deepEqual(secrets, [
    "gh-server",
    "t0k",
    "docs.example.com",
    "k3y",
    "h77p",
  ]);
});

Deno.test("parseConfig() adds literal HTTP tokens to the secrets", () => {
  const { secrets } = parseConfig(
    json({ http: { token: "one", tokens: { a: "two", b: "one" } } }),
    "x.jsonc",
    {},
  );
  assert.deepEqual(secrets, ["one", "two"]);
});

Deno.test("parseConfig() uses ${VAR:-default} when the variable is unset or empty", () => {
  const { config, secrets } = parseConfig(
    json({
      mcpServers: {
        a: {
          url: "${URL:-http://localhost:3000/mcp}",
          headers: { A: "${SET:-x}", B: "${EMPTY:-fallback}", C: "${NONE:-}" },
        },
      },
    }),
    "x.jsonc",
    { SET: "value", EMPTY: "" },
  );
  assert.deepEqual(config.mcpServers.a, {
    type: "http",
    url: "http://localhost:3000/mcp",
    headers: { A: "value", B: "fallback", C: "" },
  });
  assert.deepEqual(secrets, ["value"]);
});

Deno.test("parseConfig() names a missing variable and the key path, never a value", () => {
  const text = lines(
    "{",
    '  "mcpServers": {',
    '    "github": {',
    '      "command": "npx",',
    '      "env": { "GITHUB_TOKEN": "${GITHUB_TOKEN}", "OTHER": "${SECRET}" },',
    "    },",
    "  },",
    "}",
  );
  const message = configError(text, { SECRET: "s3cr3t-value" });
  assert.equal(
    message,
    'Cannot read config "x.jsonc": environment variable "GITHUB_TOKEN" is not set, used by mcpServers.github.env.GITHUB_TOKEN at 5:32',
  );
  assert.ok(!message.includes("s3cr3t-value"));
  // The missing variable is reported, not the empty url it leaves behind.
  assert.equal(
    configError('{"mcpServers": {"a": {"url": "${MCP_URL}"}}}'),
    'Cannot read config "x.jsonc": environment variable "MCP_URL" is not set, used by mcpServers.a.url at 1:30',
  );
});

Deno.test("parseConfig() never puts an expanded value in an error message", () => {
  const message = configError(
    '{"mcpServers": {"a": {"url": "${URL}"}}}',
    { URL: "ftp://user:s3cr3t@example.com" },
  );
  assert.equal(
    message,
    'Cannot read config "x.jsonc": mcpServers.a.url must be an http or https URL at 1:30',
  );
});

Deno.test("parseConfig() reads $${ as a literal ${", () => {
  const { config, secrets } = parseConfig(
    json({
      mcpServers: {
        a: { command: "sh", args: ["-c", "echo $${HOME} ${HOME} $HOME"] },
      },
    }),
    "x.jsonc",
    { HOME: "/home/me" },
  );
  assert.deepEqual(config.mcpServers.a, {
    type: "stdio",
    command: "sh",
    args: ["-c", "echo ${HOME} /home/me $HOME"],
  });
  assert.deepEqual(secrets, ["/home/me"]);
});

Deno.test("parseConfig() rejects a malformed variable reference", () => {
  for (const value of ["${}", "${1X}", "${A B}", "${OPEN"]) {
    assert.equal(
      configError(
        `{"mcpServers": {"a": {"command": ${JSON.stringify(value)}}}}`,
      ),
      'Cannot read config "x.jsonc": invalid variable reference in mcpServers.a.command at 1:34 (write "$${" for a literal "${")',
    );
  }
});

Deno.test("parseConfig() expands variables in values only, not in keys", () => {
  const { config } = parseConfig(
    '{"mcpServers": {"${NAME}": {"command": "x", "env": {"${KEY}": "v"}}}}',
    "x.jsonc",
    { NAME: "n", KEY: "k" },
  );
  assert.deepEqual(config.mcpServers, {
    "${NAME}": { type: "stdio", command: "x", env: { "${KEY}": "v" } },
  });
});

Deno.test("parseConfig() drops disabled servers without expanding their variables", () => {
  const { config, secrets } = parseConfig(
    json({
      mcpServers: {
        on: { command: "a", disabled: false },
        off: { command: "b", disabled: true, env: { T: "${MISSING}" } },
        offHttp: { disabled: true, url: "${MISSING_URL}" },
      },
    }),
    "x.jsonc",
    {},
  );
  assert.deepEqual(config.mcpServers, {
    on: { type: "stdio", command: "a", disabled: false },
  });
  assert.deepEqual(secrets, []);
  // A disabled entry's keys and types are still checked.
  assert.equal(
    configError('{"mcpServers": {"off": {"disabled": true, "comand": "b"}}}'),
    'Cannot read config "x.jsonc": unknown key "comand" in mcpServers.off at 1:43 (did you mean "command"?)',
  );
  assert.equal(
    configError(
      '{"mcpServers": {"off": {"disabled": "true", "command": "b"}}}',
    ),
    'Cannot read config "x.jsonc": mcpServers.off.disabled must be true or false at 1:37',
  );
});

Deno.test("parseConfig() resolves a relative cwd against the file's directory", () => {
  const text = json({
    mcpServers: {
      rel: { command: "x", cwd: "./servers/a" },
      up: { command: "x", cwd: "../b" },
      abs: { command: "x", cwd: "/srv/c" },
    },
  });
  const servers =
    parseConfig(text, "/etc/execbox/x.jsonc", {}).config.mcpServers;
  assert.deepEqual(
    Object.values(servers).map((s) => "cwd" in s ? s.cwd : undefined),
    [join("/etc/execbox", "servers/a"), join("/etc", "b"), "/srv/c"],
  );
  const relative = parseConfig(text, "conf/x.jsonc", {}).config.mcpServers;
  assert.equal(
    relative.rel && "cwd" in relative.rel && relative.rel.cwd,
    join("conf", "servers/a"),
  );
});

Deno.test("loadConfig() reads an explicit path relative to cwd", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "conf"));
    await Deno.writeTextFile(
      join(dir, "conf", "my.jsonc"),
      '{"mcpServers": {"a": {"command": "x", "cwd": "srv", "env": {"T": "${T}"}}}}',
    );
    const loaded = await loadConfig({
      path: "conf/my.jsonc",
      cwd: dir,
      env: { T: "tok" },
    });
    assert.deepEqual(loaded, {
      path: join(dir, "conf", "my.jsonc"),
      config: {
        ...EMPTY,
        mcpServers: {
          a: {
            type: "stdio",
            command: "x",
            cwd: join(dir, "conf", "srv"),
            env: { T: "tok" },
          },
        },
      },
      secrets: ["tok"],
    });
  });
});

Deno.test("loadConfig() reads the file named by EXECBOX_CONFIG", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "env.jsonc"), '{"pool": {"size": 3}}');
    await Deno.writeTextFile(join(dir, "flag.jsonc"), '{"pool": {"size": 4}}');
    await Deno.writeTextFile(
      join(dir, "execbox.jsonc"),
      '{"pool": {"size": 5}}',
    );
    const env = { EXECBOX_CONFIG: "env.jsonc" };
    const fromEnv = await loadConfig({ cwd: dir, env });
    assert.equal(fromEnv?.path, join(dir, "env.jsonc"));
    assert.deepEqual(fromEnv?.config.pool, { size: 3 });
    const fromFlag = await loadConfig({
      path: join(dir, "flag.jsonc"),
      cwd: dir,
      env,
    });
    assert.deepEqual(fromFlag?.config.pool, { size: 4 });
    const empty = await loadConfig({ cwd: dir, env: { EXECBOX_CONFIG: "" } });
    assert.deepEqual(empty?.config.pool, { size: 5 });
  });
});

Deno.test("loadConfig() reads execbox.jsonc in cwd, and returns undefined without one", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await loadConfig({ cwd: dir, env: {} }), undefined);
    await Deno.writeTextFile(join(dir, "execbox.jsonc"), "{ // empty\n}");
    assert.deepEqual(await loadConfig({ cwd: dir, env: {} }), {
      path: join(dir, "execbox.jsonc"),
      config: EMPTY,
      secrets: [],
    });
  });
});

Deno.test("loadConfig() fails with config_not_found for a named file that is missing", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "execbox.jsonc"), "{}");
    const cases: [LoadOptions, string][] = [
      [
        { path: "missing.jsonc" },
        'Cannot read config "missing.jsonc": no such file',
      ],
      [
        { env: { EXECBOX_CONFIG: "gone.jsonc" } },
        'Cannot read config "gone.jsonc" (from EXECBOX_CONFIG): no such file',
      ],
    ];
    for (const [options, message] of cases) {
      await assert.rejects(
        loadConfig({ cwd: dir, env: {}, ...options }),
        (error) => {
          assert.ok(error instanceof ExecboxError);
          assert.equal(error.code, "config_not_found");
          assert.equal(error.message, message);
          assert.ok(error.cause instanceof Deno.errors.NotFound);
          return true;
        },
      );
    }
  });
});

type LoadOptions = Parameters<typeof loadConfig>[0];

Deno.test("loadConfig() names the file as given in a validation error", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      join(dir, "bad.jsonc"),
      '{\n  "pool": { "size": "2" }\n}',
    );
    await assert.rejects(
      loadConfig({ path: "bad.jsonc", cwd: dir, env: {} }),
      (error) => {
        assert.ok(error instanceof ExecboxError);
        assert.equal(error.code, "config_invalid");
        assert.equal(
          error.message,
          'Cannot read config "bad.jsonc": pool.size must be a number at 2:21',
        );
        return true;
      },
    );
  });
});

Deno.test("loadConfig() reads the fixture that documents every section", async () => {
  const loaded = await loadConfig({
    path: FIXTURE,
    env: { GITHUB_TOKEN: "g", DOCS_TOKEN: "d", CI_TOKEN: "c" },
  });
  assert.equal(loaded?.path, FIXTURE);
  assert.deepEqual(Object.keys(loaded?.config.mcpServers ?? {}), [
    "github",
    "docs",
    "legacy",
  ]);
  const github = loaded?.config.mcpServers.github;
  assert.equal(
    github && "cwd" in github ? github.cwd : undefined,
    join(dirname(FIXTURE), "servers", "github"),
  );
});

Deno.test("parseConfig() takes validateArguments per server", () => {
  const { config } = parseConfig(
    json({ mcpServers: { x: { command: "y", validateArguments: false } } }),
    "x.jsonc",
    {},
  );
  assert.equal(config.mcpServers.x?.validateArguments, false);
  assert.equal(
    configError(
      '{"mcpServers": {"x": {"command": "y", "validateArguments": 1}}}',
    ),
    `Cannot read config "x.jsonc": mcpServers.x.validateArguments must be true or false at 1:60`,
  );
});

Deno.test("brokerOptionsFromConfig() sets only the keys the configuration sets", () => {
  assert.deepEqual(brokerOptionsFromConfig(EMPTY), {});
  const { config } = parseConfig(
    json({
      mcpServers: { a: { command: "x" } },
      limits: { memoryMb: 64 },
      pool: { size: 0, maxConcurrency: 2, maxQueue: 0 },
      http: { port: 0 },
    }),
    "x.jsonc",
    {},
  );
  assert.deepEqual(brokerOptionsFromConfig(config), {
    mcpServers: { a: { type: "stdio", command: "x" } },
    limits: { memoryMb: 64 },
    pool: { size: 0 },
    maxConcurrency: 2,
    maxQueue: 0,
  });
  const poolOnly = parseConfig('{"pool": {"maxQueue": 8}}', "x.jsonc", {});
  assert.deepEqual(brokerOptionsFromConfig(poolOnly.config), { maxQueue: 8 });
  const shares = parseConfig(
    '{"pool": {"maxConcurrencyPerCaller": 1, "maxQueuePerCaller": 0}}',
    "x.jsonc",
    {},
  );
  assert.deepEqual(brokerOptionsFromConfig(shares.config), {
    maxConcurrencyPerCaller: 1,
    maxQueuePerCaller: 0,
  });
  const sessionsOnly = parseConfig(
    '{"sessions": {"maxPerCaller": 5}}',
    "x.jsonc",
    {},
  );
  assert.deepEqual(brokerOptionsFromConfig(sessionsOnly.config), {
    sessions: { maxPerCaller: 5 },
  });
  assert.equal(
    configError('{"sessions": {"maxPerCaller": 0}}'),
    `Cannot read config "x.jsonc": sessions.maxPerCaller must be a whole number of at least 1 at 1:31`,
  );
});

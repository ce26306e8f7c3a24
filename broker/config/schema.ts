/**
 * The shape of an `execbox.jsonc`, as a zod schema, and the check that
 * turns zod's issues into problems a reader can find: a key path, the
 * position of the offending key or value, and a "did you mean" suggestion.
 *
 * @module
 */

import { ISOLATIONS } from "../isolate/isolation.ts";
import type { Node } from "jsonc-parser";
import { z } from "zod";
import { type ConfigPath, type ConfigProblem, pathText } from "./problem.ts";
import { DEFAULT_LIMITS, mergeLimits } from "../limits.ts";
import { nearestKey } from "./nearest_key.ts";
import { BUILT_IN_DETECTORS } from "../privacy/detectors.ts";
import { AllowList } from "../network/allow_list.ts";
import type { NetworkRule } from "../network/options.ts";
import {
  DEFAULT_HEADERS_TIMEOUT_MS as _HEADERS_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS as _REQUEST_TIMEOUT_MS,
} from "../host/host.ts";

const _str = z.string({ error: "must be a string" });
const _text = _str.min(1, { error: "must not be empty" });
const _bool = z.boolean({ error: "must be true or false" });
const _strings = z.array(_str, { error: "must be an array of strings" });
const _stringRecord = z.record(z.string(), _str, {
  error: "must be an object of strings",
});
function _whole(min: number, max?: number): z.ZodNumber {
  const range = max === undefined
    ? `must be a whole number of at least ${min}`
    : `must be a whole number from ${min} to ${max}`;
  const schema = z.number({ error: "must be a number" })
    .int({ error: range }).min(min, { error: range });
  return max === undefined ? schema : schema.max(max, { error: range });
}

function _compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, "u");
    return true;
  } catch {
    return false;
  }
}

const _TYPES = ["stdio", "http", "streamable-http", "sse"] as const;
const _STDIO_KEYS = ["command", "args", "env", "cwd"] as const;
const _HTTP_KEYS = ["url", "headers", "oauth"] as const;
const _GRANTS = ["authorization_code", "client_credentials"] as const;

const _oauth = z.strictObject({
  clientId: _text.optional(),
  clientSecret: _text.optional(),
  scope: _text.optional(),
  grant: z.enum(_GRANTS, {
    error: `must be one of ${_GRANTS.map((g) => `"${g}"`).join(", ")}`,
  }).optional(),
  redirectPort: _whole(0, 65_535).optional(),
}, { error: "must be an object" }).superRefine((oauth, ctx) => {
  if (oauth.grant !== "client_credentials") return;
  for (const key of ["clientId", "clientSecret"] as const) {
    if (oauth[key] === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `needs a "${key}" for grant "client_credentials"`,
      });
    }
  }
});

const _server = z.strictObject({
  type: z.enum(_TYPES, {
    error: `must be one of ${_TYPES.map((t) => `"${t}"`).join(", ")}`,
  }).optional(),
  command: _text.optional(),
  args: _strings.optional(),
  env: _stringRecord.optional(),
  cwd: _text.optional(),
  url: _str.optional(),
  headers: _stringRecord.optional(),
  oauth: _oauth.optional(),
  disabled: _bool.optional(),
  timeout: _whole(1).optional(),
  optional: _bool.optional(),
  allowTools: _strings.optional(),
  denyTools: _strings.optional(),
  requireApproval: _strings.optional(),
  approveDestructive: _bool.optional(),
  rawResults: _bool.optional(),
  validateArguments: _bool.optional(),
  inferOutput: _bool.optional(),
}, { error: "must be an object" }).superRefine((server, ctx) => {
  if (server.disabled === true) return;
  const type = serverType(server);
  if (type === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `needs a "command" (stdio) or a "url" (http)`,
    });
    return;
  }
  const stdio = type === "stdio";
  if (stdio ? server.command === undefined : server.url === undefined) {
    const key = stdio ? "command" : "url";
    ctx.addIssue({
      code: "custom",
      message: `needs a "${key}" for type "${type}"`,
    });
  }
  for (const key of stdio ? _HTTP_KEYS : _STDIO_KEYS) {
    if (server[key] !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `does not apply to ${stdio ? "a stdio" : "an http"} server`,
      });
    }
  }
  if (!stdio && server.url !== undefined && !_isHttpUrl(server.url)) {
    ctx.addIssue({
      code: "custom",
      path: ["url"],
      message: "must be an http or https URL",
    });
  }
});

// The minimums live in mergeLimits alone; the refinement reuses its verdict.
const _limit = z.number({ error: "must be a number" })
  .int({ error: "must be a whole number" });
const _limits = z.strictObject({
  timeoutMs: _limit.optional(),
  memoryMb: _limit.optional(),
  maxLogBytes: _limit.optional(),
  maxResultBytes: _limit.optional(),
  maxToolCalls: _limit.optional(),
  maxCodeBytes: _limit.optional(),
  maxInFlightArgBytes: _limit.optional(),
  maxToolResultBytes: _limit.optional(),
  maxRunToolResultBytes: _limit.optional(),
}, { error: "must be an object" }).superRefine((limits, ctx) => {
  for (const [key, value] of Object.entries(limits)) {
    try {
      mergeLimits(DEFAULT_LIMITS, { [key]: value }, "config");
    } catch (error) {
      const prefix = `Limit "${key}" in config `;
      const message = error instanceof Error && error.message.startsWith(prefix)
        ? error.message.slice(prefix.length).replace(/, got .*$/, "")
        : "is out of range";
      ctx.addIssue({ code: "custom", path: [key], message });
    }
  }
});

const _schema = z.strictObject({
  $schema: _str.optional(),
  mcpServers: z.record(z.string(), _server, { error: "must be an object" })
    .optional(),
  limits: _limits.optional(),
  // Minimums mirror the checks in Broker's constructor.
  pool: z.strictObject({
    size: _whole(0).optional(),
    maxConcurrency: _whole(1).optional(),
    maxQueue: _whole(0).optional(),
    maxConcurrencyPerCaller: _whole(1).optional(),
    maxQueuePerCaller: _whole(0).optional(),
    isolation: z.enum(ISOLATIONS, {
      error: `must be one of ${ISOLATIONS.map((i) => `"${i}"`).join(", ")}`,
    }).optional(),
    isolate: z.strictObject({
      maxRuns: _whole(1).optional(),
      maxAgeSeconds: _whole(1).optional(),
      maxProcesses: _whole(1).optional(),
    }, { error: "must be an object" }).optional(),
  }, { error: "must be an object" }).optional(),
  http: z.strictObject({
    hostname: _text.optional(),
    port: _whole(0, 65_535).optional(),
    token: _text.optional(),
    tokens: z.record(z.string(), _text, { error: "must be an object" })
      .optional(),
    maxBodyBytes: _whole(1).optional(),
    allowedOrigins: _strings.optional(),
    allowedHosts: _strings.optional(),
    maxBatch: _whole(1).optional(),
    headersTimeoutMs: _whole(1).optional(),
    requestTimeoutMs: _whole(1).optional(),
    maxConnections: _whole(1).optional(),
    approvers: _strings.optional(),
    selfApproval: _bool.optional(),
    mcpSessions: z.strictObject({
      enabled: _bool.optional(),
      maxSessions: _whole(1).optional(),
      maxPerCaller: _whole(1).optional(),
      idleTimeoutMs: _whole(1).optional(),
    }, { error: "must be an object" }).optional(),
  }, { error: "must be an object" }).superRefine((http, ctx) => {
    const headers = http.headersTimeoutMs ?? _HEADERS_TIMEOUT_MS;
    const request = http.requestTimeoutMs ?? _REQUEST_TIMEOUT_MS;
    if (headers > request) {
      ctx.addIssue({
        code: "custom",
        path: [
          http.requestTimeoutMs === undefined
            ? "headersTimeoutMs"
            : "requestTimeoutMs",
        ],
        message:
          `must leave requestTimeoutMs (${request}) at least headersTimeoutMs (${headers})`,
      });
    }
  }).optional(),
  sessions: z.strictObject({
    dir: _text.optional(),
    maxBytes: _whole(1).optional(),
    ttlMs: _whole(1).optional(),
    maxPerCaller: _whole(1).optional(),
  }, { error: "must be an object" }).optional(),
  audit: z.strictObject({
    file: _text.optional(),
    includeCode: _bool.optional(),
    includeArgs: _bool.optional(),
  }, { error: "must be an object" }).optional(),
  inference: z.strictObject({
    enabled: _bool.optional(),
    file: _text.optional(),
  }, { error: "must be an object" }).optional(),
  skills: z.strictObject({
    enabled: _bool.optional(),
    file: _text.optional(),
    preload: _text.optional(),
  }, { error: "must be an object" }).optional(),
  privacy: z.strictObject({
    tokenize: z.array(
      z.union([
        z.enum(BUILT_IN_DETECTORS, {
          error: `must be one of ${BUILT_IN_DETECTORS.join(", ")}`,
        }),
        z.strictObject({
          name: _str.regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/, {
            error: 'must be a letter then up to 31 letters, digits or "_"',
          }),
          pattern: _text.refine(_compiles, {
            error: "must be a valid regular expression",
          }),
        }, { error: "must be an object" }),
      ], {
        error: `must be a detector name (${
          BUILT_IN_DETECTORS.join(", ")
        }) or { "name", "pattern" }`,
      }),
      { error: "must be an array" },
    ).optional(),
    maxTokens: _whole(1).optional(),
    key: _str.min(16, { error: "must be at least 16 characters" }).optional(),
  }, { error: "must be an object" }).optional(),
  approvals: z.strictObject({
    timeoutMs: _whole(1).optional(),
  }, { error: "must be an object" }).optional(),
  store: z.strictObject({
    redis: _text.refine((url) => /^rediss?:\/\//.test(url), {
      error: "must start with redis:// or rediss://",
    }),
    prefix: _str.optional(),
    optional: _bool.optional(),
    key: _str.min(16, { error: "must be at least 16 characters" }).optional(),
  }, { error: "must be an object" }).optional(),
  network: z.strictObject({
    allow: z.array(
      z.strictObject({
        origin: _text,
        paths: _strings.optional(),
        methods: _strings.optional(),
        headers: _stringRecord.optional(),
      }, { error: "must be an object" }).superRefine((rule, ctx) => {
        try {
          new AllowList([rule as NetworkRule]);
        } catch (error) {
          ctx.addIssue({
            code: "custom",
            message: (error as Error).message.replace(
              /^network\.allow\[0\]\./,
              "",
            ),
          });
        }
      }),
      { error: "must be an array" },
    ).optional(),
    timeoutMs: _whole(1).optional(),
    maxResponseBytes: _whole(0).optional(),
    maxRedirects: _whole(0).optional(),
    maxConcurrent: _whole(1).optional(),
  }, { error: "must be an object" }).optional(),
}, { error: "must be an object" }).superRefine((config, ctx) => {
  // Without a key each replica seals token maps with a random key of its
  // own, and no other replica could open them.
  if (
    config.store?.redis !== undefined &&
    (config.privacy?.tokenize?.length ?? 0) > 0 &&
    config.privacy?.key === undefined
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["privacy"],
      message:
        "needs a key when store.redis is set (every replica must open the token maps the others sealed)",
    });
  }
});

/** A configuration that passed the schema, before servers are resolved. */
export type RawConfig = z.output<typeof _schema>;

/** One entry of `mcpServers` that passed the schema, as written. */
export type RawServerConfig = z.output<typeof _server>;

/** What {@linkcode checkConfigSchema} returns. */
export interface ConfigSchemaCheck {
  /** The validated configuration, or `undefined` when it failed. */
  data: RawConfig | undefined;
  /** One problem per key or value that failed, in zod's order. */
  problems: ConfigProblem[];
}

/**
 * Validates the data of an `execbox.jsonc` against its schema. Each problem
 * sits at the key or value in `root` that caused it; a misspelled key or
 * `type` carries a "did you mean" hint.
 *
 * @param root The file's tree, to place problems in the text.
 * @param value The file's data, as `root` holds it.
 * @returns The validated data, or the problems found.
 *
 * @example Suggest the key a typo meant
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTree } from "jsonc-parser";
 * import { checkConfigSchema } from "./schema.ts";
 *
 * const text = `{ "mcpServer": {} }`;
 * const { data, problems } = checkConfigSchema(parseTree(text)!, {
 *   mcpServer: {},
 * });
 * assert.equal(data, undefined);
 * assert.deepEqual(problems, [{
 *   offset: 2,
 *   message: `unknown key "mcpServer"`,
 *   hint: `(did you mean "mcpServers"?)`,
 * }]);
 * ```
 */
export function checkConfigSchema(
  root: Node,
  value: unknown,
): ConfigSchemaCheck {
  const result = _schema.safeParse(value);
  if (result.success) return { data: result.data, problems: [] };
  return {
    data: undefined,
    problems: result.error.issues.flatMap((issue) => _describe(root, issue)),
  };
}

/**
 * The transport of a server: its `type`, else `"stdio"` when it has a
 * `command`, else `"http"` when it has a `url`.
 *
 * @param server A server that passed the schema.
 * @returns The type, or `undefined` when the server has neither.
 *
 * @example Infer the type of a pasted server
 * ```ts
 * import assert from "node:assert/strict";
 * import { serverType } from "./schema.ts";
 *
 * assert.equal(serverType({ command: "npx" }), "stdio");
 * assert.equal(serverType({ url: "https://mcp.example/mcp" }), "http");
 * ```
 */
export function serverType(
  server: RawServerConfig,
): RawServerConfig["type"] {
  if (server.type !== undefined) return server.type;
  if (server.command !== undefined) return "stdio";
  return server.url === undefined ? undefined : "http";
}

function _isHttpUrl(text: string): boolean {
  const url = URL.parse(text);
  return url?.protocol === "http:" || url?.protocol === "https:";
}

function _describe(root: Node, issue: z.core.$ZodIssue): ConfigProblem[] {
  const path = issue.path as ConfigPath;
  const at = (node: Node | undefined) => node?.offset ?? root.offset;
  if (issue.code === "unrecognized_keys") {
    const object = _nodeAt(root, path);
    const allowed = _keysAt(path);
    return issue.keys.map((key) => {
      const property = object?.children?.find((p) =>
        p.children?.[0]?.value === key
      );
      const nearest = nearestKey(key, allowed);
      const problem: ConfigProblem = {
        offset: at(property?.children?.[0] ?? object),
        message: `unknown key "${key}"${
          path.length === 0 ? "" : ` in ${pathText(path)}`
        }`,
      };
      if (nearest !== undefined) problem.hint = `(did you mean "${nearest}"?)`;
      return problem;
    });
  }
  const node = _nodeAt(root, path);
  const problem: ConfigProblem = {
    offset: at(node),
    message: `${pathText(path)} ${issue.message}`,
  };
  // A key found missing is noticed at the end of its object, after any
  // problem inside it (such as the typo that made it missing).
  if (issue.code === "custom" && node?.type === "object") {
    problem.order = node.offset + node.length;
  }
  if (issue.code === "invalid_value" && typeof node?.value === "string") {
    const nearest = nearestKey(node.value, issue.values.map(String));
    if (nearest !== undefined) problem.hint = `(did you mean "${nearest}"?)`;
  }
  return [problem];
}

function _nodeAt(root: Node, path: ConfigPath): Node | undefined {
  let node: Node | undefined = root;
  for (const segment of path) {
    if (node?.type === "object") {
      node = node.children?.findLast((p) => p.children?.[0]?.value === segment)
        ?.children?.[1];
    } else {
      node = node?.type === "array" && typeof segment === "number"
        ? node.children?.[segment]
        : undefined;
    }
  }
  return node;
}

// The keys the schema allows at `path`, for suggestions.
function _keysAt(path: ConfigPath): string[] {
  let schema: unknown = _schema;
  for (const segment of [...path, undefined]) {
    while (schema instanceof z.ZodOptional) schema = schema.unwrap();
    if (segment === undefined) break;
    if (schema instanceof z.ZodObject) schema = schema.shape[segment];
    else if (schema instanceof z.ZodRecord) schema = schema.valueType;
    else return [];
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

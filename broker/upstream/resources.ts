/**
 * An upstream MCP server's resources and prompts, offered to guest code as
 * `ns.$resources` and `ns.$prompts`: listing (pagination followed), reading a
 * resource by URI, filling resource templates, and getting a prompt. Each call
 * counts against the run's `maxToolCalls` like a tool call.
 *
 * @module
 */

import type { Client } from "@modelcontextprotocol/sdk/client";
// @ts-types="@modelcontextprotocol/sdk/shared/uriTemplate"
import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js";
import type { ProviderMethod } from "../tools/catalog.ts";
import { ExecboxError } from "../errors.ts";

/** The generic API, declared once for every namespace that has resources or prompts. */
export const MCP_RESOURCE_INTERFACES: string =
  `/** An MCP server's resources; each call counts as a tool call. */
interface McpResources {
  list(): Promise<{ uri: string; name: string; description?: string; mimeType?: string }[]>;
  templates(): Promise<{ uriTemplate: string; name: string; description?: string; mimeType?: string }[]>;
  /** Text as a string (JSON parsed), binary as { base64, mimeType }; several parts as an array. */
  read(uri: string): Promise<unknown>;
  /** Fills a URI template (RFC 6570) from templates() into a URI to read. */
  fill(uriTemplate: string, variables: Record<string, string | string[]>): Promise<string>;
}
/** An MCP server's prompts; each call counts as a tool call. */
interface McpPrompts {
  list(): Promise<{ name: string; description?: string; arguments?: { name: string; description?: string; required?: boolean }[] }[]>;
  get(name: string, args?: Record<string, string>): Promise<{ description?: string; messages: { role: "user" | "assistant"; content: unknown }[] }>;
}
`;

/** What {@linkcode resourceMethods} needs from the upstream connection. */
export interface ResourceSource {
  /** The server's key, for messages. */
  key: string;
  /** The connected client (connecting again when needed). */
  client(): Promise<Client>;
  /** How long one request may take. */
  timeoutMs: number;
}

/** How many resources, templates and prompts a server has, for the declarations. */
export interface ResourceCounts {
  /** Resources, or `undefined` when the server offers none. */
  resources?: number;
  /** Resource templates. */
  templates?: number;
  /** Prompts, or `undefined` when the server offers none. */
  prompts?: number;
}

const _MAX_PAGES = 1000;

/**
 * Lists every page of a paginated MCP list request.
 *
 * @param fetchPage Gets one page from a cursor.
 * @param pick The page's items.
 * @returns All items.
 */
export async function listAll<P extends { nextCursor?: string | undefined }, T>(
  fetchPage: (cursor: string | undefined) => Promise<P>,
  pick: (page: P) => readonly T[],
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < _MAX_PAGES; page++) {
    const result = await fetchPage(cursor);
    items.push(...pick(result));
    cursor = result.nextCursor;
    if (cursor === undefined) break;
  }
  return items;
}

/**
 * Counts what a connected server offers.
 *
 * @param client The connected client.
 * @returns The counts (absent for what the server does not offer).
 */
export async function resourceCounts(client: Client): Promise<ResourceCounts> {
  const capabilities = client.getServerCapabilities() ?? {};
  const counts: ResourceCounts = {};
  if (capabilities.resources) {
    counts.resources = (await listAll((cursor) =>
      client.listResources(cursor ? { cursor } : {}), (p) =>
      p.resources))
      .length;
    // Templates are optional for a server with resources.
    counts.templates = (await listAll(
      (cursor) =>
        client.listResourceTemplates(cursor ? { cursor } : {}),
      (p) =>
        p.resourceTemplates,
    ).catch(() => [])).length;
  }
  if (capabilities.prompts) {
    counts.prompts = (await listAll((cursor) =>
      client.listPrompts(cursor ? { cursor } : {}), (p) =>
      p.prompts)).length;
  }
  return counts;
}

/**
 * The declaration lines of `$resources` and `$prompts` for a namespace.
 *
 * @param counts What the server offers.
 * @returns Lines inside the namespace's `declare namespace` block.
 */
export function resourceDeclarations(counts: ResourceCounts): string[] {
  const lines: string[] = [];
  if (counts.resources !== undefined) {
    lines.push(
      `/** ${counts.resources} resources, ${
        counts.templates ?? 0
      } resource templates. */`,
      "const $resources: McpResources;",
    );
  }
  if (counts.prompts !== undefined) {
    lines.push(
      `/** ${counts.prompts} prompts. */`,
      "const $prompts: McpPrompts;",
    );
  }
  return lines;
}

function _isJsonType(mimeType: string | undefined): boolean {
  return mimeType !== undefined &&
    /^application\/(.+\+)?json\b/i.test(mimeType);
}

/** One part of a resource as the guest receives it. */
function _content(
  part: {
    mimeType?: string | undefined;
    text?: string | undefined;
    blob?: string | undefined;
  },
): unknown {
  if (typeof part.blob === "string") {
    return {
      base64: part.blob,
      mimeType: part.mimeType ?? "application/octet-stream",
    };
  }
  const text = part.text ?? "";
  if (_isJsonType(part.mimeType) || part.mimeType === undefined) {
    try {
      return JSON.parse(text);
    } catch {
      // not JSON after all
    }
  }
  return text;
}

function _string(value: unknown, what: string): string {
  if (typeof value !== "string") {
    throw new ExecboxError(
      "validation_error",
      `${what} must be a string, got ${typeof value}`,
    );
  }
  return value;
}

function _stringRecord(value: unknown, what: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ExecboxError("validation_error", `${what} must be an object`);
  }
  return value as Record<string, string>;
}

/**
 * The `$resources` and `$prompts` methods of one upstream server.
 *
 * @param source The connection.
 * @param counts What the server offers (a method group is left out when absent).
 * @returns The methods.
 */
export function resourceMethods(
  source: ResourceSource,
  counts: ResourceCounts,
): ProviderMethod[] {
  const options = (signal: AbortSignal) => ({
    signal,
    timeout: source.timeoutMs,
  });
  const fail = (what: string, error: unknown) =>
    new Error(
      `MCP server "${source.key}" ${what}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  const methods: ProviderMethod[] = [];
  if (counts.resources !== undefined) {
    methods.push(
      {
        path: "$resources.list",
        async call(_args, { signal }) {
          const client = await source.client();
          return await listAll(
            (cursor) =>
              client.listResources(cursor ? { cursor } : {}, options(signal)),
            (p) => p.resources,
          );
        },
      },
      {
        path: "$resources.templates",
        async call(_args, { signal }) {
          const client = await source.client();
          return await listAll(
            (cursor) =>
              client.listResourceTemplates(
                cursor ? { cursor } : {},
                options(signal),
              ),
            (p) => p.resourceTemplates,
          );
        },
      },
      {
        path: "$resources.read",
        async call(args, { signal }) {
          const uri = _string((args as unknown[])[0], "uri");
          const client = await source.client();
          let result;
          try {
            result = await client.readResource({ uri }, options(signal));
          } catch (error) {
            throw fail(`could not read resource ${JSON.stringify(uri)}`, error);
          }
          const parts = result.contents.map(_content);
          return parts.length === 1 ? parts[0] : parts;
        },
      },
      {
        path: "$resources.fill",
        call(args) {
          const [template, variables] = args as unknown[];
          const vars = _stringRecord(variables, "variables");
          try {
            return Promise.resolve(
              new UriTemplate(_string(template, "uriTemplate")).expand(vars),
            );
          } catch (error) {
            if (error instanceof ExecboxError) throw error;
            throw new ExecboxError(
              "validation_error",
              `Cannot fill URI template: ${(error as Error).message}`,
            );
          }
        },
      },
    );
  }
  if (counts.prompts !== undefined) {
    methods.push(
      {
        path: "$prompts.list",
        async call(_args, { signal }) {
          const client = await source.client();
          return await listAll(
            (cursor) =>
              client.listPrompts(cursor ? { cursor } : {}, options(signal)),
            (p) => p.prompts,
          );
        },
      },
      {
        path: "$prompts.get",
        async call(args, { signal }) {
          const [name, promptArgs] = args as unknown[];
          const client = await source.client();
          try {
            return await client.getPrompt(
              {
                name: _string(name, "name"),
                arguments: _stringRecord(promptArgs, "args"),
              },
              options(signal),
            );
          } catch (error) {
            if (error instanceof ExecboxError) throw error;
            throw fail(`could not get prompt ${JSON.stringify(name)}`, error);
          }
        },
      },
    );
  }
  return methods;
}

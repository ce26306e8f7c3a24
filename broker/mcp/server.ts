/**
 * execbox as an MCP server: two tools, `execute` and `search_tools`, however
 * many tools the broker holds, so what a client keeps in context stays small.
 *
 * @module
 */

// The SDK's "./*" export maps `x.js` to a missing `x.js.d.ts`, which leaves
// every import `any` under Deno (modelcontextprotocol/typescript-sdk#2701);
// the extensionless subpath names the real declarations.
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer as SdkMcpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import denoJson from "../../deno.json" with { type: "json" };
import type { Broker } from "../broker.ts";
import { ExecboxError } from "../errors.ts";
import type { Limits } from "../limits.ts";
import type { ExecuteResult } from "../result.ts";
import type { ApprovalHandler } from "../approval/approval.ts";
import { elicitationApprover, type SendClientRequest } from "./elicitation.ts";
import { LogProgress } from "./progress.ts";
import {
  traceContextFromMcpRequest,
  traceOption,
} from "../telemetry/trace_context.ts";
import { executeText, structuredResult } from "./text.ts";
import {
  codeModeSettings,
  EXECUTE_INPUT,
  SEARCH_TOOLS_DESCRIPTION,
  SEARCH_TOOLS_INPUT,
  searchToolsText,
} from "./code_mode.ts";

// An alias rather than a re-export: `deno doc --lint` counts a type from an
// npm package as private, and a re-export would lint the SDK's own docs.
/**
 * The MCP SDK's server (`McpServer` from
 * `@modelcontextprotocol/sdk/server/mcp.js`), as {@linkcode createMcpServer}
 * returns it: connect it to any SDK transport.
 */
export type McpServer = SdkMcpServer;

/** Options of {@linkcode createMcpServer}. */
export interface McpServerOptions {
  /**
   * The server's name, as `initialize` reports it.
   * @default {"execbox"}
   */
  name?: string;
  /**
   * The server's version, as `initialize` reports it.
   * @default {the version in execbox's deno.json}
   */
  version?: string;
  /**
   * UTF-8 bytes of text either tool returns; text beyond them is cut and a
   * line `[execbox: output truncated at N bytes]` added, with a failed run's
   * error line kept after it. The structured result is not cut by this: its
   * logs are bounded by `maxLogBytes` and its result by `maxResultBytes`.
   * @default {20000}
   */
  maxTextBytes?: number;
  /**
   * Who the runs are for, in audit records and to scope sessions (the HTTP
   * service passes the token's name).
   * @default {"mcp"}
   */
  caller?: string;
  /**
   * Limits for every run the `execute` tool starts, over the broker's. The
   * description states the time and memory limits that result.
   * @default {{}}
   */
  limits?: Partial<Limits>;
  /**
   * How many namespaces the `execute` description lists by name; the rest
   * are counted and left to `search_tools`.
   * @default {50}
   */
  maxNamespaces?: number;
  /**
   * Text appended to the `execute` tool's description, such as what the
   * tools are for.
   * @default {""}
   */
  instructions?: string;
  /**
   * Decides calls of tools that need approval in the runs this server
   * starts. Without it, the server asks its client with an MCP elicitation
   * request (`elicitation/create`: the tool, its redacted arguments, an
   * approve / decline form); a client without the elicitation capability
   * gets such calls denied, with a message saying why.
   * @default {an elicitation request to the connected client}
   */
  onApproval?: ApprovalHandler;
  /**
   * Decides calls when the server asks its client (no `onApproval`) but the
   * client did not declare the elicitation capability, such as the HTTP
   * service's approval queue.
   * @default {undefined (such calls are denied, saying why)}
   */
  onApprovalWithoutElicitation?: ApprovalHandler;
}

/**
 * Creates an MCP server that offers a broker's tools through code: the
 * `execute` tool runs a program with {@linkcode Broker.execute}, and
 * `search_tools` finds tools and their TypeScript declarations with
 * {@linkcode Broker.searchTools}. Each call returns a new server, so an HTTP
 * service can connect one per request; they all share the broker.
 *
 * Cancelling an `execute` call (MCP `notifications/cancelled`) cancels its run.
 *
 * @param broker The broker whose tools and runs the server offers.
 * @param options Name, version, text size, limits and extra instructions.
 * @returns A new, unconnected server.
 * @throws {RangeError} When `maxTextBytes` or `maxNamespaces` is not a
 * positive whole number, or a limit is out of range.
 * @throws {TypeError} On an unknown limit.
 *
 * @example Serve a broker over stdio
 * ```ts ignore
 * import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
 * import { createBroker } from "@execbox/core";
 * import { createMcpServer } from "@execbox/core/mcp";
 *
 * const broker = await createBroker({ providers });
 * await createMcpServer(broker).connect(new StdioServerTransport());
 * ```
 *
 * @example Call the execute tool from an MCP client
 * ```ts
 * import assert from "node:assert/strict";
 * import { Client } from "@modelcontextprotocol/sdk/client/index.js";
 * import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
 * import { createBroker } from "../../mod.ts";
 * import { createMcpServer } from "./server.ts";
 *
 * await using broker = await createBroker({ pool: { size: 1 } });
 * const server = createMcpServer(broker);
 * const client = new Client({ name: "example", version: "1.0.0" });
 * const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
 * await server.connect(serverSide);
 * await client.connect(clientSide);
 * try {
 *   const call = await client.callTool({
 *     name: "execute",
 *     arguments: { code: "[1, 2, 3].map((n) => n * 2)" },
 *   });
 *   assert.deepEqual(call.content, [{ type: "text", text: "[2,4,6]" }]);
 * } finally {
 *   await client.close();
 *   await server.close();
 * }
 * ```
 */
export function createMcpServer(
  broker: Broker,
  options: McpServerOptions = {},
): McpServer {
  const settings = codeModeSettings(broker, options, {
    caller: "mcp",
    label: "MCP server options",
  });
  const { maxTextBytes, limits, effective, caller } = settings;

  const server = new SdkMcpServer({
    name: options.name ?? "execbox",
    version: options.version ?? denoJson.version,
  });

  server.registerTool("execute", {
    description: settings.executeDescription,
    inputSchema: EXECUTE_INPUT,
    // No outputSchema: ExecuteResult's `result` is any JSON, so a schema tells
    // a model nothing the text does not, and it measured 200 (loose) to 320
    // (exact enums) o200k tokens in every client's context: 35-55% more than
    // both tools' definitions with 300 tools.
  }, async ({ code, session }, extra): Promise<CallToolResult> => {
    let run: ExecuteResult;
    // With a progress token, logs go out while the run goes (over HTTP, on
    // the request's event stream: /mcp with sessions).
    const token = extra._meta?.progressToken;
    const progress = token === undefined
      ? undefined
      : new LogProgress((update) =>
        extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken: token, ...update },
        })
      );
    try {
      run = await broker.execute(code, {
        signal: extra.signal,
        limits,
        caller,
        toolsHint: "find them with search_tools",
        onApproval: options.onApproval ??
          elicitationApprover(
            server.server,
            extra.sendRequest as unknown as SendClientRequest,
            options.onApprovalWithoutElicitation,
          ),
        ...(session === undefined ? {} : { session }),
        ...(progress === undefined
          ? {}
          : { onLog: (entry) => progress.add(entry) }),
        ...traceOption(traceContextFromMcpRequest(extra)),
      });
      await progress?.flush();
    } catch (error) {
      await progress?.flush();
      if (!(error instanceof ExecboxError)) throw error;
      return {
        content: [{
          type: "text",
          text: `error ${error.code}: ${error.message}`,
        }],
        isError: true,
      };
    }
    const result: CallToolResult = {
      content: [{ type: "text", text: executeText(run, maxTextBytes) }],
      structuredContent: structuredResult(run, effective.maxLogBytes),
    };
    if (!run.ok) result.isError = true;
    return result;
  });

  server.registerTool("search_tools", {
    description: SEARCH_TOOLS_DESCRIPTION,
    inputSchema: SEARCH_TOOLS_INPUT,
    annotations: { readOnlyHint: true },
  }, (input): CallToolResult => ({
    // Text only: structured matches repeat the text (declarations included)
    // at two to three times its tokens.
    content: [{ type: "text", text: searchToolsText(broker, input, settings) }],
  }));

  return server;
}

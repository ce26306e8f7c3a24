/**
 * `execbox tools`: prints the guest namespace as TypeScript declarations.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  type Command,
  configuredOptions,
  out,
  startBroker,
  wholeNumber,
} from "../_shared.ts";

const help = `Print the tools guest code can call, as TypeScript declarations.

Usage: execbox tools [options]

Options:
  --config FILE      Configuration file (default: $EXECBOX_CONFIG, then ./execbox.jsonc)
  --search QUERY     Only tools whose name or description has every word
  --limit N          At most N matches with --search (default: 20)
  --json             Print JSON instead of declarations
  --verbose          Report progress on stderr; stack traces on errors
  -h, --help         Show this help

Example:
  execbox tools --config execbox.jsonc --search "create issue"
`;

async function _run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string" },
      search: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean" },
      verbose: { type: "boolean" },
    },
  });
  const limit = wholeNumber(values.limit, "limit", "tools");
  const { options } = await configuredOptions(values.config);
  // No runs: no runtime subprocess is started.
  const broker = await startBroker(
    { ...options, pool: { size: 0 } },
    values.verbose ?? false,
  );
  try {
    if (values.search !== undefined) {
      const matches = broker.searchTools(values.search, {
        detail: "full",
        ...(limit === undefined ? {} : { limit }),
      });
      if (values.json) out(`${JSON.stringify(matches, null, 2)}\n`);
      else {out(
          matches.map((m) => `// ${m.namespace}\n${m.declaration}\n`).join(
            "\n",
          ),
        );}
    } else if (values.json) {
      out(`${JSON.stringify(broker.tools(), null, 2)}\n`);
    } else {
      out(broker.types());
    }
    return 0;
  } finally {
    await broker.close();
  }
}

/** The `tools` command. */
export const toolsCommand: Command = {
  name: "tools",
  summary: "Print the guest namespace as TypeScript declarations",
  help,
  run: _run,
};

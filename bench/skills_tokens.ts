/**
 * Token sizes of saved skills (issue 12, part 3) on the token report's three
 * reference servers: the MCP `execute` description and `types()` with skills
 * off, on with none saved, and on with the three workflows saved as skills;
 * each skill's declaration; and the code a later run sends to repeat a
 * workflow, written out against calling its skill.
 *
 *   deno run -A bench/skills_tokens.ts
 *
 * @module
 */

import {
  type Broker,
  type BrokerOptions,
  brokerOptionsFromConfig,
  createBroker,
  loadConfig,
} from "../mod.ts";
import { countTokens, execboxToolDefinitions } from "../cli/_tokens.ts";
import { skillDeclaration } from "../broker/skills/skill.ts";
import { WORKFLOW_ROOT, WORKFLOWS } from "./tokens.ts";

const _CONFIG = new URL("./servers.jsonc", import.meta.url).pathname;

/** What the report prints. */
export interface SkillTokenFigures {
  /** Tokens of the `execute` tool's description. */
  executeDescription: { off: number; none: number; three: number };
  /** Tokens of `types()`. */
  types: { off: number; none: number; three: number };
  /** Tokens of each skill's declaration, with its signature and without. */
  perSkill: Record<string, { signed: number; unsigned: number }>;
  /** Tokens of the code a run sends: the workflow again, or its skill call. */
  repeat: Record<string, { code: number; skillCall: number }>;
}

async function _description(broker: Broker): Promise<number> {
  const tools = await execboxToolDefinitions(broker);
  return countTokens(tools.find((t) => t.name === "execute")!.description!);
}

async function _broker(options: BrokerOptions): Promise<Broker> {
  const loaded = await loadConfig({
    path: _CONFIG,
    env: {
      ...Deno.env.toObject(),
      EXECBOX_DENO: Deno.execPath(),
      EXECBOX_BENCH_DIR: WORKFLOW_ROOT,
    },
  });
  if (loaded === undefined) throw new Error(`Cannot read ${_CONFIG}`);
  return await createBroker({
    ...brokerOptionsFromConfig(loaded.config),
    pool: { size: 1 },
    ...options,
  });
}

/**
 * Measures the figures.
 *
 * @returns The figures.
 */
export async function measureSkillTokens(): Promise<SkillTokenFigures> {
  await Deno.mkdir(WORKFLOW_ROOT, { recursive: true });
  const off = await _broker({ skills: { enabled: false } });
  const on = await _broker({});
  try {
    const figures: SkillTokenFigures = {
      executeDescription: {
        off: await _description(off),
        none: await _description(on),
        three: 0,
      },
      types: {
        off: countTokens(off.types({ caller: "mcp" })),
        none: countTokens(on.types({ caller: "mcp" })),
        three: 0,
      },
      perSkill: {},
      repeat: {},
    };
    for (const workflow of WORKFLOWS) {
      const name = workflow.id.replaceAll("-", "_");
      const skill = {
        name,
        description: workflow.task(WORKFLOW_ROOT).split(/(?<=\.)\s/)[0]!,
        code: workflow.code(WORKFLOW_ROOT),
        signature: "() => Promise<unknown>",
      };
      const saved = await on.execute(
        `await skills.save(${JSON.stringify(skill)}); "saved"`,
        { caller: "mcp" },
      );
      if (!saved.ok) throw new Error(saved.error.message);
      const { signature: _, ...unsigned } = skill;
      figures.perSkill[name] = {
        signed: countTokens(skillDeclaration(skill)),
        unsigned: countTokens(skillDeclaration(unsigned)),
      };
      figures.repeat[name] = {
        code: countTokens(skill.code),
        skillCall: countTokens(`await skills.${name}()`),
      };
    }
    // The MCP server's default caller is "mcp".
    figures.executeDescription.three = await _description(on);
    figures.types.three = countTokens(on.types({ caller: "mcp" }));
    return figures;
  } finally {
    await off.close();
    await on.close();
    await Deno.remove(WORKFLOW_ROOT, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const figures = await measureSkillTokens();
  Deno.stdout.writeSync(
    new TextEncoder().encode(`${JSON.stringify(figures, null, 2)}\n`),
  );
}

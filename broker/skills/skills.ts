/**
 * The broker's saved skills: every caller's skills in memory over a
 * {@linkcode SkillStore}, the pre-loaded ones, and the guest's
 * `skills.save`, `skills.list` and `skills.delete` methods.
 *
 * @module
 */

import type { ProviderMethod } from "../tools/catalog.ts";
import {
  type SavedSkill,
  SKILL_CAPS,
  skillBytes,
  type SkillDefinition,
  skillDefinitionProblem,
  type SkillInfo,
  skillsDeclaration,
} from "./skill.ts";
import { putSkill, removeSkill, type SkillStore } from "./skill_store.ts";
import { readSkillFolder } from "./skill_folder.ts";

/** The broker's `skills` option. */
export interface SkillOptions {
  /**
   * Whether runs get the `skills` global (`save`, `list`, `delete` and each
   * saved skill). Off, `skills` does not exist and nothing is stored.
   * @default {true}
   */
  enabled?: boolean;
  /**
   * Where callers' skills are kept, each scoped to its caller.
   * @default {new MemorySkillStore()}
   */
  store?: SkillStore;
  /**
   * Skills every caller sees (and none may replace or delete): a folder of
   * `.ts` files, read with `readSkillFolder` when the broker starts, or the
   * definitions themselves.
   * @default {[]}
   */
  preload?: string | readonly SkillDefinition[];
}

/** How the broker checks a skill's code and signature (the code preparer). */
export interface SkillChecker {
  /** Prepares code as a run's code is prepared. */
  prepare(
    code: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<SkillCheckOutcome>;
  /** Checks that a signature is one function type. */
  checkSignature(
    signature: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<SkillCheckOutcome>;
}

/** What a {@linkcode SkillChecker} answers (the preparer's outcome). */
export type SkillCheckOutcome =
  | {
    t: "prepared";
    result:
      | { ok: true; js: string }
      | { ok: false; error: { message: string } };
  }
  | { t: "timeout" }
  | { t: "cancelled" }
  | { t: "failed"; message: string };

/** A skill's code for one run: its name and prepared JavaScript. */
export interface RunSkill {
  /** Its name. */
  name: string;
  /** Its prepared JavaScript. */
  js: string;
}

/**
 * Every caller's skills, loaded once from the store, kept in memory and
 * written through on each change, so declarations are answered at once.
 */
export class Skills {
  readonly #store: SkillStore;
  readonly #checker: SkillChecker;
  readonly #preload: string | readonly SkillDefinition[];
  readonly #own = new Map<string, Map<string, SavedSkill>>();
  readonly #preloaded = new Map<string, SavedSkill>();
  #loading: Promise<void> | undefined;

  /**
   * @param store Where the callers' skills live.
   * @param options The checker and the pre-loaded skills.
   */
  constructor(
    store: SkillStore,
    options: {
      checker: SkillChecker;
      preload: string | readonly SkillDefinition[];
    },
  ) {
    this.#store = store;
    this.#checker = options.checker;
    this.#preload = options.preload;
  }

  /**
   * Loads the store and checks the pre-loaded skills.
   *
   * @throws {TypeError} When a pre-loaded skill is invalid or does not parse.
   */
  ready(): Promise<void> {
    this.#loading ??= this.#load().catch((error) => {
      this.#loading = undefined;
      throw error;
    });
    return this.#loading;
  }

  async #load(): Promise<void> {
    const stored = await this.#store.load();
    this.#own.clear();
    this.#preloaded.clear();
    for (const [caller, list] of Object.entries(stored)) {
      for (const skill of list) putSkill(this.#own, caller, skill);
    }
    let definitions = this.#preload;
    if (typeof definitions === "string") {
      try {
        definitions = await readSkillFolder(definitions);
      } catch (error) {
        throw new TypeError(
          `Cannot pre-load skills from "${this.#preload}": ${
            (error as Error).message
          }`,
          { cause: error },
        );
      }
    }
    for (const definition of definitions) {
      const problem = skillDefinitionProblem(definition);
      if (problem !== undefined) {
        throw new TypeError(`Cannot pre-load a skill: ${problem}`);
      }
      if (this.#preloaded.has(definition.name)) {
        throw new TypeError(
          `Cannot pre-load a skill: "${definition.name}" is there twice`,
        );
      }
      try {
        const js = await this.#check(definition, 10_000, undefined);
        this.#preloaded.set(definition.name, {
          ...definition,
          js,
          savedAt: new Date().toISOString(),
        });
      } catch (error) {
        throw new TypeError(
          `Cannot pre-load a skill: ${(error as Error).message}`,
        );
      }
    }
  }

  /**
   * The skills a caller's runs see: the pre-loaded ones, then the caller's
   * own (which replace a pre-loaded one of the same name).
   *
   * @param caller The caller.
   * @returns What each skill is, by name order of saving.
   */
  list(caller: string): SkillInfo[] {
    return this.#visible(caller).map(({ skill, preloaded }) => ({
      name: skill.name,
      description: skill.description,
      ...(skill.signature === undefined ? {} : { signature: skill.signature }),
      ...(preloaded ? { preloaded: true as const } : {}),
    }));
  }

  /**
   * The code of a caller's skills for a run.
   *
   * @param caller The caller.
   * @returns Each skill's name and prepared JavaScript.
   */
  sources(caller: string): RunSkill[] {
    return this.#visible(caller).map(({ skill }) => ({
      name: skill.name,
      js: skill.js,
    }));
  }

  /**
   * The `skills` declaration for a caller.
   *
   * @param caller The caller.
   * @returns The declaration text.
   */
  declaration(caller: string): string {
    return skillsDeclaration(this.list(caller));
  }

  /**
   * The `skills.save`, `skills.list` and `skills.delete` methods of one run.
   * A refusal (a cap, a bad name, code that does not parse) is a
   * catchable `tool_error` in the guest.
   *
   * @param caller Whose skills they change.
   * @param timeoutMs How long checking a skill's code may take.
   * @returns The methods.
   */
  methods(caller: string, timeoutMs: number): ProviderMethod[] {
    return [
      {
        path: "save",
        call: (args, context) =>
          this.#save(caller, (args as unknown[])[0], timeoutMs, context.signal),
      },
      {
        path: "list",
        call: () =>
          Promise.resolve(
            this.list(caller).map(({ preloaded: _, ...info }) => info),
          ),
      },
      {
        path: "delete",
        call: (args) => this.remove(caller, (args as unknown[])[0]),
      },
    ];
  }

  /**
   * Removes one of a caller's own skills.
   *
   * @param caller Whose skill it is.
   * @param name Its name.
   * @returns Whether it existed.
   * @throws {Error} When `name` is not a string or names a pre-loaded skill.
   */
  async remove(caller: string, name: unknown): Promise<boolean> {
    if (typeof name !== "string") {
      throw new Error(
        `skills.delete takes a skill name, got ${typeof name}`,
      );
    }
    const own = this.#own.get(caller)?.get(name);
    if (own === undefined) {
      if (this.#preloaded.has(name)) {
        throw new Error(
          `Skill "${name}" is pre-loaded by the operator and cannot be deleted`,
        );
      }
      return false;
    }
    removeSkill(this.#own, caller, name);
    try {
      return await this.#store.delete(caller, name);
    } catch (error) {
      putSkill(this.#own, caller, own);
      throw error;
    }
  }

  /**
   * Reloads a caller's own skills from a store that replicas share
   * (`SkillStore.loadCaller`), so a skill saved through another replica is
   * there. A store that fails keeps the skills this replica has.
   *
   * @param caller Whose skills.
   * @returns Once reloaded (never rejects).
   */
  async refresh(caller: string): Promise<void> {
    if (this.#store.loadCaller === undefined) return;
    let skills: SavedSkill[];
    try {
      skills = await this.#store.loadCaller(caller);
    } catch {
      return; // Saving will report the store; running does not need it.
    }
    this.#own.delete(caller);
    for (const skill of skills) putSkill(this.#own, caller, skill);
  }

  /** Waits for the store's pending writes. */
  async close(): Promise<void> {
    await this.#store.close?.();
  }

  #visible(
    caller: string,
  ): { skill: SavedSkill; preloaded: boolean }[] {
    const own = this.#own.get(caller) ?? new Map<string, SavedSkill>();
    const out: { skill: SavedSkill; preloaded: boolean }[] = [];
    for (const skill of this.#preloaded.values()) {
      if (!own.has(skill.name)) out.push({ skill, preloaded: true });
    }
    for (const skill of own.values()) out.push({ skill, preloaded: false });
    return out;
  }

  async #save(
    caller: string,
    value: unknown,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    const problem = skillDefinitionProblem(value);
    if (problem !== undefined) throw new Error(problem);
    const definition = value as SkillDefinition;
    const { name } = definition;
    if (this.#preloaded.has(name)) {
      throw new Error(`Skill "${name}" is pre-loaded by the operator`);
    }
    const js = await this.#check(definition, timeoutMs, signal);
    // Caps are checked and the skill entered in one synchronous step, so
    // concurrent saves cannot pass a cap together.
    const own = this.#own.get(caller) ?? new Map<string, SavedSkill>();
    const before = own.get(name);
    if (before === undefined && own.size >= SKILL_CAPS.maxSkillsPerCaller) {
      throw new Error(
        `Cannot save skill "${name}": a caller may keep ${SKILL_CAPS.maxSkillsPerCaller} skills (delete one first)`,
      );
    }
    let total = skillBytes(definition);
    for (const skill of own.values()) {
      if (skill.name !== name) total += skillBytes(skill);
    }
    if (total > SKILL_CAPS.maxCallerBytes) {
      throw new Error(
        `Cannot save skill "${name}": the caller's skills would be ${total} bytes, more than the limit of ${SKILL_CAPS.maxCallerBytes}`,
      );
    }
    const saved: SavedSkill = {
      name,
      description: definition.description,
      code: definition.code,
      ...(definition.signature === undefined
        ? {}
        : { signature: definition.signature.trim() }),
      js,
      savedAt: new Date().toISOString(),
    };
    putSkill(this.#own, caller, saved);
    try {
      await this.#store.save(caller, saved);
    } catch (error) {
      if (before === undefined) removeSkill(this.#own, caller, name);
      else putSkill(this.#own, caller, before);
      throw error;
    }
  }

  // The prepared JavaScript of a skill whose code and signature parse.
  async #check(
    definition: SkillDefinition,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const { name } = definition;
    const code = _answer(
      name,
      "code",
      await this.#checker.prepare(definition.code, timeoutMs, signal),
    );
    if (definition.signature !== undefined) {
      _answer(
        name,
        "signature",
        await this.#checker.checkSignature(
          definition.signature,
          timeoutMs,
          signal,
        ),
      );
    }
    return code;
  }
}

function _answer(
  name: string,
  what: "code" | "signature",
  outcome: SkillCheckOutcome,
): string {
  switch (outcome.t) {
    case "prepared":
      if (outcome.result.ok) return outcome.result.js;
      throw new Error(
        `Skill "${name}" has ${
          what === "code" ? "code" : "a signature"
        } that does not parse: ${outcome.result.error.message}`,
      );
    case "timeout":
      throw new Error(`Skill "${name}": checking its ${what} took too long`);
    case "cancelled":
      throw new Error(`Skill "${name}": checking its ${what} was cancelled`);
    case "failed":
      throw new Error(
        `Skill "${name}": checking its ${what} failed: ${outcome.message}`,
      );
  }
}

/**
 * Where saved skills live: the store interface, scoped by caller, and the
 * default store in memory.
 *
 * @module
 */

import type { SavedSkill } from "./skill.ts";

/**
 * Keeps each caller's saved skills. The broker reads every caller's skills
 * once (`load`) when it starts and keeps them in memory; `save` and `delete`
 * write through. Caps are the broker's job, not the store's.
 */
export interface SkillStore {
  /** Every caller's skills, by caller. */
  load(): Promise<Record<string, SavedSkill[]>>;
  /**
   * One caller's skills, read now: a store that replicas share has it, and
   * the broker then reloads a caller's skills when that caller's run starts.
   */
  loadCaller?(caller: string): Promise<SavedSkill[]>;
  /** Stores a skill for a caller, replacing one of the same name. */
  save(caller: string, skill: SavedSkill): Promise<void>;
  /** Removes a caller's skill; `false` when there was none. */
  delete(caller: string, name: string): Promise<boolean>;
  /** Waits for pending writes; the store is not used afterwards. */
  close?(): Promise<void>;
}

/**
 * Skills in memory: the default, lost when the process ends.
 *
 * @example Save and load a skill
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemorySkillStore } from "./skill_store.ts";
 *
 * const store = new MemorySkillStore();
 * await store.save("alice", {
 *   name: "double",
 *   description: "Doubles a number",
 *   code: "return args * 2",
 *   js: '(async function () {"use strict";return args * 2\n})',
 *   savedAt: new Date(0).toISOString(),
 * });
 * assert.deepEqual(Object.keys(await store.load()), ["alice"]);
 * ```
 */
export class MemorySkillStore implements SkillStore {
  readonly #skills = new Map<string, Map<string, SavedSkill>>();

  /**
   * Every caller's skills.
   *
   * @returns Copies, by caller.
   */
  load(): Promise<Record<string, SavedSkill[]>> {
    return Promise.resolve(skillsByCaller(this.#skills));
  }

  /**
   * Stores a copy of a skill.
   *
   * @param caller Whose skill it is.
   * @param skill The skill.
   * @returns Once stored.
   */
  save(caller: string, skill: SavedSkill): Promise<void> {
    putSkill(this.#skills, caller, skill);
    return Promise.resolve();
  }

  /**
   * Removes a skill.
   *
   * @param caller Whose skill it is.
   * @param name Its name.
   * @returns Whether it existed.
   */
  delete(caller: string, name: string): Promise<boolean> {
    return Promise.resolve(removeSkill(this.#skills, caller, name));
  }
}

/**
 * Copies a caller → name → skill map into a plain object of arrays.
 *
 * @param skills The map.
 * @returns Copies of the skills, by caller.
 */
export function skillsByCaller(
  skills: ReadonlyMap<string, ReadonlyMap<string, SavedSkill>>,
): Record<string, SavedSkill[]> {
  const out: Record<string, SavedSkill[]> = {};
  for (const [caller, own] of skills) {
    if (own.size > 0) out[caller] = [...own.values()].map((s) => ({ ...s }));
  }
  return out;
}

/**
 * Puts a copy of a skill into a caller → name → skill map.
 *
 * @param skills The map.
 * @param caller Whose skill it is.
 * @param skill The skill.
 */
export function putSkill(
  skills: Map<string, Map<string, SavedSkill>>,
  caller: string,
  skill: SavedSkill,
): void {
  let own = skills.get(caller);
  if (own === undefined) skills.set(caller, own = new Map());
  own.set(skill.name, { ...skill });
}

/**
 * Removes a skill from a caller → name → skill map.
 *
 * @param skills The map.
 * @param caller Whose skill it is.
 * @param name Its name.
 * @returns Whether it existed.
 */
export function removeSkill(
  skills: Map<string, Map<string, SavedSkill>>,
  caller: string,
  name: string,
): boolean {
  const own = skills.get(caller);
  if (own === undefined || !own.delete(name)) return false;
  if (own.size === 0) skills.delete(caller);
  return true;
}

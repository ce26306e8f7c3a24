/**
 * {@linkcode KvSkillStore}: saved skills on the key-value seam.
 *
 * @module
 */

import type { SavedSkill } from "../skills/skill.ts";
import type { SkillStore } from "../skills/skill_store.ts";
import type { KeyValueStore } from "./key_value_store.ts";

/**
 * A {@linkcode SkillStore} that keeps each skill as one key
 * (`skill:<caller as JSON>:<name>`, the skill as JSON), so replicas sharing
 * the store share each caller's skills: a replica reloads a caller's skills
 * (`loadCaller`) when that caller's run starts. Caps stay the broker's job.
 *
 * @example Skills in a key-value store
 * ```ts
 * import assert from "node:assert/strict";
 * import { KvSkillStore } from "./kv_skill_store.ts";
 * import { MemoryKeyValueStore } from "./memory_key_value_store.ts";
 *
 * const skills = new KvSkillStore(new MemoryKeyValueStore());
 * await skills.save("alice", {
 *   name: "double",
 *   description: "Doubles a number",
 *   code: "return args * 2",
 *   js: '(async function () {"use strict";return args * 2\n})',
 *   savedAt: new Date(0).toISOString(),
 * });
 * assert.deepEqual(Object.keys(await skills.load()), ["alice"]);
 * ```
 */
export class KvSkillStore implements SkillStore {
  readonly #store: KeyValueStore;

  /**
   * Keeps skills in `store`.
   *
   * @param store The key-value store (not closed by this one).
   */
  constructor(store: KeyValueStore) {
    this.#store = store;
  }

  /**
   * Every caller's skills. A store that is down at start reads as empty:
   * each caller's skills then arrive with `loadCaller` at their next run.
   *
   * @returns The skills, by caller, in the order they were saved.
   */
  async load(): Promise<Record<string, SavedSkill[]>> {
    let keys: string[];
    try {
      keys = await this.#store.list("skill:");
    } catch {
      return {};
    }
    const out: Record<string, SavedSkill[]> = {};
    for (const key of keys) {
      const caller = _callerOf(key);
      if (caller === undefined || caller in out) continue;
      out[caller] = await this.loadCaller(caller);
    }
    return out;
  }

  /**
   * One caller's skills, read now.
   *
   * @param caller Whose skills.
   * @returns The skills, in the order they were saved.
   */
  async loadCaller(caller: string): Promise<SavedSkill[]> {
    const skills: SavedSkill[] = [];
    for (const key of await this.#store.list(_prefix(caller))) {
      const skill = _parse(await this.#store.get(key));
      if (skill !== undefined) skills.push(skill);
    }
    return skills.sort((a, b) => a.savedAt.localeCompare(b.savedAt));
  }

  /**
   * Stores a skill, replacing one of the same name.
   *
   * @param caller Whose skill it is.
   * @param skill The skill.
   * @returns Once stored.
   */
  async save(caller: string, skill: SavedSkill): Promise<void> {
    await this.#store.set(_prefix(caller) + skill.name, JSON.stringify(skill));
  }

  /**
   * Removes a skill.
   *
   * @param caller Whose skill it is.
   * @param name Its name.
   * @returns Whether it existed.
   */
  delete(caller: string, name: string): Promise<boolean> {
    return this.#store.delete(_prefix(caller) + name);
  }
}

// JSON quotes the caller, so no caller's prefix is another's.
function _prefix(caller: string): string {
  return `skill:${JSON.stringify(caller)}:`;
}

function _callerOf(key: string): string | undefined {
  const match = /^skill:("(?:[^"\\]|\\.)*"):/.exec(key);
  if (!match) return undefined;
  try {
    return JSON.parse(match[1]!) as string;
  } catch {
    return undefined;
  }
}

function _parse(text: string | undefined): SavedSkill | undefined {
  if (text === undefined) return undefined;
  try {
    const skill = JSON.parse(text) as SavedSkill;
    return typeof skill?.name === "string" && typeof skill.js === "string" &&
        typeof skill.code === "string" &&
        typeof skill.description === "string" &&
        typeof skill.savedAt === "string"
      ? skill
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * {@linkcode KvSkillStore}: saved skills on the key-value seam.
 *
 * @module
 */

import type { SavedSkill } from "../skills/skill.ts";
import type { SkillStore } from "../skills/skill_store.ts";
import { type KeyValueStore, updateKey } from "./key_value_store.ts";

/**
 * A {@linkcode SkillStore} that keeps each caller's skills as one key
 * (`skills:<caller as JSON>`, the skills as a JSON array in save order), so
 * replicas sharing the store share each caller's skills: a replica reloads a
 * caller's skills (`loadCaller`, one read) when that caller's run starts.
 * Saves and deletes are compare-and-set updates of the caller's key, so two
 * replicas saving at once lose neither skill. Caps stay the broker's job.
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
      keys = await this.#store.list("skills:");
    } catch {
      return {};
    }
    const out: Record<string, SavedSkill[]> = {};
    for (const key of keys) {
      const caller = _callerOf(key);
      if (caller === undefined) continue;
      const skills = _parse(await this.#store.get(key));
      if (skills.length > 0) out[caller] = skills;
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
    return _parse(await this.#store.get(_key(caller)));
  }

  /**
   * Stores a skill, replacing one of the same name.
   *
   * @param caller Whose skill it is.
   * @param skill The skill.
   * @returns Once stored.
   */
  async save(caller: string, skill: SavedSkill): Promise<void> {
    await updateKey(this.#store, _key(caller), (current) => {
      const skills = _parse(current).filter((s) => s.name !== skill.name);
      return JSON.stringify([...skills, skill]);
    });
  }

  /**
   * Removes a skill.
   *
   * @param caller Whose skill it is.
   * @param name Its name.
   * @returns Whether it existed.
   */
  async delete(caller: string, name: string): Promise<boolean> {
    let existed = false;
    await updateKey(this.#store, _key(caller), (current) => {
      const skills = _parse(current);
      const kept = skills.filter((s) => s.name !== name);
      existed = kept.length < skills.length;
      if (!existed) return current;
      return kept.length === 0 ? undefined : JSON.stringify(kept);
    });
    return existed;
  }
}

function _key(caller: string): string {
  return `skills:${JSON.stringify(caller)}`;
}

function _callerOf(key: string): string | undefined {
  try {
    const caller: unknown = JSON.parse(key.slice("skills:".length));
    return typeof caller === "string" ? caller : undefined;
  } catch {
    return undefined;
  }
}

// A damaged value or entry reads as no skill.
function _parse(text: string | undefined): SavedSkill[] {
  if (text === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  return value.filter((skill): skill is SavedSkill =>
    typeof skill?.name === "string" && typeof skill.js === "string" &&
    typeof skill.code === "string" && typeof skill.description === "string" &&
    typeof skill.savedAt === "string"
  );
}

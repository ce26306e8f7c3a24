/**
 * A {@linkcode SkillStore} in one JSON file, for the CLI and the service. It
 * uses only `node:` modules, so the npm build runs it on Node unchanged.
 *
 * @module
 */

import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { ExecboxError } from "../errors.ts";
import type { SavedSkill } from "./skill.ts";
import {
  putSkill,
  removeSkill,
  skillsByCaller,
  type SkillStore,
} from "./skill_store.ts";

/** Options for {@linkcode FileSkillStore}. */
export interface FileSkillStoreOptions {
  /**
   * The file, `{ "version": 1, "skills": { caller: [skill, ...] } }`.
   * Created (mode `0o600`, its directory `0o700`) on the first write.
   */
  file: string;
}

/**
 * Skills in one JSON file, read once on first use and rewritten whole on
 * each change (a temporary file, then a rename), one write at a time. A file
 * that cannot be parsed is an error, not an empty store: skills are the
 * callers' work. Sharing a file between running processes is not supported:
 * the last writer wins (stop the service before `execbox skills remove`).
 *
 * @example Skills outlive the store
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileSkillStore } from "./skill_file_store.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   const skill = {
 *     name: "double",
 *     description: "Doubles a number",
 *     code: "return args * 2",
 *     js: '(async function () {"use strict";return args * 2\n})',
 *     savedAt: new Date(0).toISOString(),
 *   };
 *   await new FileSkillStore({ file: `${dir}/skills.json` }).save("alice", skill);
 *   const after = new FileSkillStore({ file: `${dir}/skills.json` });
 *   assert.deepEqual(await after.load(), { alice: [skill] });
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class FileSkillStore implements SkillStore {
  readonly #file: string;
  #skills: Promise<Map<string, Map<string, SavedSkill>>> | undefined;
  #writing: Promise<void> = Promise.resolve();

  /**
   * Creates a store over a file; nothing is touched until the first call.
   *
   * @param options The file.
   */
  constructor(options: FileSkillStoreOptions) {
    this.#file = options.file;
  }

  /**
   * Every caller's skills.
   *
   * @returns Copies, by caller.
   * @throws {ExecboxError} Code `internal_error` when the file cannot be read
   * or parsed.
   */
  async load(): Promise<Record<string, SavedSkill[]>> {
    return skillsByCaller(await this.#load());
  }

  /**
   * Stores a skill and rewrites the file.
   *
   * @param caller Whose skill it is.
   * @param skill The skill.
   * @returns Once the file holds it.
   * @throws {ExecboxError} Code `internal_error` when the file cannot be
   * read or written.
   */
  async save(caller: string, skill: SavedSkill): Promise<void> {
    const skills = await this.#load();
    putSkill(skills, caller, skill);
    await this.#write(skills);
  }

  /**
   * Removes a skill and rewrites the file.
   *
   * @param caller Whose skill it is.
   * @param name Its name.
   * @returns Whether it existed.
   * @throws {ExecboxError} Code `internal_error` when the file cannot be
   * read or written.
   */
  async delete(caller: string, name: string): Promise<boolean> {
    const skills = await this.#load();
    if (!removeSkill(skills, caller, name)) return false;
    await this.#write(skills);
    return true;
  }

  /**
   * Waits for the write in progress.
   *
   * @returns Once nothing is in progress.
   */
  async close(): Promise<void> {
    await this.#writing.catch(() => {});
  }

  #load(): Promise<Map<string, Map<string, SavedSkill>>> {
    this.#skills ??= this.#read().catch((error) => {
      this.#skills = undefined;
      throw error;
    });
    return this.#skills;
  }

  async #read(): Promise<Map<string, Map<string, SavedSkill>>> {
    let text: string;
    try {
      text = await readFile(this.#file, "utf8");
    } catch (error) {
      if (_errorCode(error) === "ENOENT") return new Map();
      throw _ioError("read the skill file", error);
    }
    const skills = new Map<string, Map<string, SavedSkill>>();
    try {
      const data = JSON.parse(text) as { version?: unknown; skills?: unknown };
      if (
        data?.version !== 1 || typeof data.skills !== "object" ||
        data.skills === null || Array.isArray(data.skills)
      ) throw new Error("not a version 1 skill file");
      for (const [caller, list] of Object.entries(data.skills)) {
        if (!Array.isArray(list)) throw new Error("not a version 1 skill file");
        for (const skill of list as SavedSkill[]) {
          if (!_isSavedSkill(skill)) {
            throw new Error("not a version 1 skill file");
          }
          putSkill(skills, caller, skill);
        }
      }
    } catch (error) {
      throw new ExecboxError(
        "internal_error",
        `Cannot read the skill file: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return skills;
  }

  #write(skills: Map<string, Map<string, SavedSkill>>): Promise<void> {
    const text = JSON.stringify({ version: 1, skills: skillsByCaller(skills) });
    const write = async () => {
      const temporary = `${this.#file}.${randomUUID()}.tmp`;
      try {
        await mkdir(dirname(this.#file), { recursive: true, mode: 0o700 });
        await writeFile(temporary, text, { mode: 0o600 });
        await rename(temporary, this.#file);
      } catch (error) {
        await rm(temporary, { force: true }).catch(() => {});
        throw _ioError("write the skill file", error);
      }
    };
    const next = this.#writing.catch(() => {}).then(write);
    this.#writing = next;
    return next;
  }
}

function _isSavedSkill(value: unknown): value is SavedSkill {
  const s = value as Record<string, unknown>;
  return typeof s === "object" && s !== null && typeof s.name === "string" &&
    typeof s.description === "string" && typeof s.code === "string" &&
    typeof s.js === "string" && typeof s.savedAt === "string" &&
    (s.signature === undefined || typeof s.signature === "string");
}

function _errorCode(error: unknown): string {
  return error instanceof Error && "code" in error &&
      typeof error.code === "string"
    ? error.code
    : "unknown error";
}

// No path in the message: the cause keeps the details.
function _ioError(action: string, error: unknown): ExecboxError {
  return new ExecboxError(
    "internal_error",
    `Cannot ${action}: ${_errorCode(error)}`,
    { cause: error },
  );
}

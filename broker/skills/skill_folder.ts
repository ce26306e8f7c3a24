/**
 * Reads the skills an operator pre-loads for every caller from a folder of
 * `.ts` files. It uses only `node:` modules, so the npm build runs it on
 * Node unchanged.
 *
 * @module
 */

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { SkillDefinition } from "./skill.ts";

/**
 * Reads every `.ts` file of a folder (not its subfolders) as one skill: the
 * file name without `.ts` is the skill's name, the file is its code (the
 * body of an async function of `args`), and a leading `/** ... *\/` comment
 * is its description; a line `@signature <function type>` in that comment
 * is its signature. Names and code are checked when the broker starts.
 *
 * @param folder The folder.
 * @returns The skills, in file-name order.
 * @throws {TypeError} When a file has no leading description comment.
 * @throws {Error} When the folder or a file cannot be read.
 *
 * @example Pre-load a folder of skills
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSkillFolder } from "./skill_folder.ts";
 *
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.writeTextFile(
 *     `${dir}/double.ts`,
 *     "/**\n * Doubles a number.\n * @signature (args: number) => Promise<number>\n *\/\nreturn args * 2;\n",
 *   );
 *   const [skill] = await readSkillFolder(dir);
 *   assert.equal(skill?.name, "double");
 *   assert.equal(skill?.description, "Doubles a number.");
 *   assert.equal(skill?.signature, "(args: number) => Promise<number>");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function readSkillFolder(
  folder: string,
): Promise<SkillDefinition[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => e.name).sort();
  const skills: SkillDefinition[] = [];
  for (const file of files) {
    const code = await readFile(join(folder, file), "utf8");
    const name = file.slice(0, -3);
    const comment = /^\s*\/\*\*([\s\S]*?)\*\//.exec(code);
    if (comment === null) {
      throw new TypeError(
        `Skill file "${file}" does not start with a /** description */ comment`,
      );
    }
    const lines = comment[1]!.split(/\r?\n/).map((line) =>
      line.replace(/^\s*\*\s?/, "").trim()
    );
    const signatureLine = lines.find((line) => line.startsWith("@signature "));
    const description = lines.filter((line) =>
      line !== "" && !line.startsWith("@signature ")
    ).join(" ");
    skills.push({
      name,
      description,
      code,
      ...(signatureLine === undefined
        ? {}
        : { signature: signatureLine.slice("@signature ".length).trim() }),
    });
  }
  return skills;
}

/**
 * What a saved skill is, the names it may take, its size caps, and the
 * declaration a model reads for the `skills` global.
 *
 * @module
 */

import { isIdentifier } from "../tools/identifiers.ts";

/** A skill as guest code saves it (`skills.save(...)`) or a folder pre-loads it. */
export interface SkillDefinition {
  /** The identifier later runs call, as `skills.<name>`. */
  name: string;
  /** What it does, shown to the model in declarations and search. */
  description: string;
  /**
   * TypeScript or JavaScript: the body of an async function whose one
   * argument is named `args`; its value is that of a `return` or of the last
   * expression.
   */
  code: string;
  /** A function type such as `(args: { repo: string }) => Promise<number>`. */
  signature?: string;
}

/** A skill as a {@linkcode SkillStore} keeps it. */
export interface SavedSkill extends SkillDefinition {
  /** The prepared JavaScript the runtime compiles (from `code`). */
  js: string;
  /** When it was saved (ISO 8601). */
  savedAt: string;
}

/** What `skills.list()` and `Broker.skills()` say about one skill. */
export interface SkillInfo {
  /** The identifier, as in `skills.<name>`. */
  name: string;
  /** What it does. */
  description: string;
  /** Its function type, when it was saved with one. */
  signature?: string;
  /** `true` for a skill the operator pre-loaded for every caller. */
  preloaded?: true;
}

/**
 * Size and count caps of saved skills. A save over a cap is refused with a
 * catchable `tool_error`; nothing is stored.
 */
export const SKILL_CAPS: {
  /** UTF-8 bytes of one skill's code, description and signature together. */
  readonly maxSkillBytes: number;
  /** Skills one caller may keep (pre-loaded skills not counted). */
  readonly maxSkillsPerCaller: number;
  /** UTF-8 bytes of all of one caller's skills together. */
  readonly maxCallerBytes: number;
  /** Characters of a description. */
  readonly maxDescriptionChars: number;
  /** Characters of a signature. */
  readonly maxSignatureChars: number;
  /** Characters of a name. */
  readonly maxNameChars: number;
} = Object.freeze({
  maxSkillBytes: 16_384,
  maxSkillsPerCaller: 50,
  maxCallerBytes: 262_144,
  maxDescriptionChars: 1_024,
  maxSignatureChars: 1_024,
  maxNameChars: 64,
});

/** The methods of the `skills` global, which no skill may be named. */
export const SKILL_METHODS: readonly string[] = ["save", "list", "delete"];

const _encoder = new TextEncoder();

/**
 * The UTF-8 bytes a skill counts against {@linkcode SKILL_CAPS}.
 *
 * @param skill The skill.
 * @returns Bytes of its code, description and signature.
 */
export function skillBytes(skill: SkillDefinition): number {
  return _encoder.encode(skill.code).byteLength +
    _encoder.encode(skill.description).byteLength +
    _encoder.encode(skill.signature ?? "").byteLength;
}

/**
 * Why a value is not a valid skill definition, or `undefined` when it is.
 * Names are checked like tool names: an ASCII identifier that is not a
 * reserved word, nor one of the `skills` methods, nor `__proto__`.
 *
 * @param value What the guest passed to `skills.save`.
 * @returns A sentence-case problem, or `undefined`.
 */
export function skillDefinitionProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "skills.save takes one object { name, description, code, signature? }";
  }
  const { name, description, code, signature } = value as Record<
    string,
    unknown
  >;
  if (typeof name !== "string") {
    return `Skill name must be a string, got ${typeof name}`;
  }
  const nameProblem = skillNameProblem(name);
  if (nameProblem !== undefined) return nameProblem;
  if (typeof description !== "string" || description.trim() === "") {
    return `Skill "${name}" needs a description (a non-empty string)`;
  }
  if (description.length > SKILL_CAPS.maxDescriptionChars) {
    return `Skill "${name}" has a description of ${description.length} characters, more than the limit of ${SKILL_CAPS.maxDescriptionChars}`;
  }
  if (typeof code !== "string" || code.trim() === "") {
    return `Skill "${name}" needs code (a non-empty string)`;
  }
  if (signature !== undefined && typeof signature !== "string") {
    return `Skill "${name}" has a signature of type ${typeof signature}; it must be a string`;
  }
  if (
    typeof signature === "string" &&
    signature.length > SKILL_CAPS.maxSignatureChars
  ) {
    return `Skill "${name}" has a signature of ${signature.length} characters, more than the limit of ${SKILL_CAPS.maxSignatureChars}`;
  }
  const bytes = skillBytes(value as SkillDefinition);
  if (bytes > SKILL_CAPS.maxSkillBytes) {
    return `Skill "${name}" is ${bytes} bytes, more than the limit of ${SKILL_CAPS.maxSkillBytes}`;
  }
  return undefined;
}

/**
 * Why a string cannot name a skill, or `undefined` when it can.
 *
 * @param name The name.
 * @returns A sentence-case problem, or `undefined`.
 */
export function skillNameProblem(name: string): string | undefined {
  if (SKILL_METHODS.includes(name) || name === "__proto__") {
    return `Skill name "${name}" is reserved`;
  }
  if (
    name.length === 0 || name.length > SKILL_CAPS.maxNameChars ||
    !isIdentifier(name)
  ) {
    return `Skill name ${
      JSON.stringify(name.slice(0, 80))
    } is not an identifier of 1 to ${SKILL_CAPS.maxNameChars} characters (letters, digits, _ and $, not a reserved word)`;
  }
  return undefined;
}

/**
 * The declaration of the `skills` global for one caller: its methods, then
 * each skill as a method with its description as JSDoc and its signature
 * (or `(args?: unknown) => Promise<unknown>`).
 *
 * @param skills The caller's skills.
 * @returns The declaration, ending with a newline.
 *
 * @example Declare one skill
 * ```ts
 * import assert from "node:assert/strict";
 * import { skillsDeclaration } from "./skill.ts";
 *
 * const text = skillsDeclaration([{
 *   name: "stars",
 *   description: "Counts a repo's stars",
 *   signature: "(args: { repo: string }) => Promise<number>",
 * }]);
 * assert.match(text, /stars: \(args: \{ repo: string \}\) => Promise<number>;/);
 * ```
 */
export function skillsDeclaration(skills: readonly SkillInfo[]): string {
  const lines = [
    "/** Saved skills: skills.<name>(args) runs one in this sandbox. save() keeps a program for later runs: code is the body of an async function of `args`. */",
    "declare const skills: {",
    "  save(skill: { name: string; description: string; code: string; signature?: string }): Promise<void>;",
    "  list(): Promise<{ name: string; description: string; signature?: string }[]>;",
    "  delete(name: string): Promise<boolean>;",
  ];
  for (const skill of skills) {
    lines.push(
      ...skillDeclaration(skill).split("\n").map((line) => `  ${line}`),
    );
  }
  lines.push("};");
  return `${lines.join("\n")}\n`;
}

/**
 * One skill's declaration: its description as JSDoc on one line, then
 * `name: signature;` (a member of the `skills` object type), or with
 * `asConst`, `const name: signature;` (inside `declare namespace skills`, as
 * search results group their matches).
 *
 * @param skill The skill.
 * @param asConst Declare a `const` rather than a member.
 * @returns The declaration, without indentation or trailing newline.
 */
export function skillDeclaration(skill: SkillInfo, asConst = false): string {
  const description = skill.description.split(/\r\n?|\n|\u2028|\u2029/)
    .map((line) => line.replace(/\s+/g, " ").trim().replaceAll("*/", "*\\/"))
    .filter((line) => line !== "").join(" ");
  const signature = skill.signature ?? "(args?: unknown) => Promise<unknown>";
  return `${description === "" ? "" : `/** ${description} */\n`}${
    asConst ? "const " : ""
  }${skill.name}: ${signature};`;
}

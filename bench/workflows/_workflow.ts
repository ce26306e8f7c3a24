/**
 * What a workflow of the token report is: a task, the data it starts from,
 * and how it runs both ways (docs/transcripts/README.md lists them).
 *
 * @module
 */

/** Calls an upstream tool directly and returns the text a client shows the model. */
export type DirectCall = (
  server: string,
  tool: string,
  args: Record<string, unknown>,
) => Promise<string>;

/** One workflow. */
export interface Workflow {
  /** Short name, used for file names. */
  id: string;
  /** The user's request, as the model reads it. */
  task(root: string): string;
  /** Writes the data under `root` (files, and the memory graph's file). */
  setup(root: string): Promise<void>;
  /**
   * Direct tool calling: the calls a model makes, one at a time, with what it
   * works out from their results in between. Returns the final answer.
   */
  direct(call: DirectCall, root: string): Promise<string>;
  /** Code mode: the `search_tools` queries made before writing the code. */
  searches: string[];
  /** Code mode: the program passed to `execute`. */
  code(root: string): string;
  /** Code mode: the final answer from the program's result. */
  answer(result: unknown): string;
}

/** The memory server's graph file, inside `root`. */
export function memoryFile(root: string): string {
  return `${root}/memory.jsonl`;
}

/** A seeded PRNG (mulberry32): the same data on every run. */
export function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One element of a list, picked with a PRNG. */
export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** A graph in the memory server's file format (JSON lines). */
export function memoryLines(
  entities: { name: string; entityType: string; observations: string[] }[],
  relations: { from: string; to: string; relationType: string }[],
): string {
  return [
    ...entities.map((e) => JSON.stringify({ type: "entity", ...e })),
    ...relations.map((r) => JSON.stringify({ type: "relation", ...r })),
  ].join("\n") + "\n";
}

/** Parses a tool result's text as JSON (the memory server answers in JSON). */
export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

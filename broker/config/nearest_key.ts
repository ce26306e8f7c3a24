/**
 * "Did you mean" suggestions: the allowed key or value closest to one that a
 * configuration misspelled, by edit distance or containment, ignoring case.
 *
 * @module
 */

/**
 * The candidate closest to `word`, ignoring case: within an edit distance of
 * a third of the longer word, or containing it (or contained in it).
 *
 * @param word The misspelled key or value.
 * @param candidates The keys or values allowed in its place.
 * @returns The candidate to suggest, or `undefined` when none is close.
 *
 * @example Suggest the key a typo meant
 * ```ts
 * import assert from "node:assert/strict";
 * import { nearestKey } from "./nearest_key.ts";
 *
 * const keys = ["mcpServers", "limits", "pool", "http"];
 * assert.equal(nearestKey("mcpServer", keys), "mcpServers");
 * assert.equal(nearestKey("unrelated", keys), undefined);
 * ```
 */
export function nearestKey(
  word: string,
  candidates: readonly string[],
): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = _editDistance(lower, candidate.toLowerCase());
    const limit = Math.max(
      1,
      Math.floor(
        Math.max(word.length, candidate.length) / 3,
      ),
    );
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best ?? (lower.length < 3 ? undefined : candidates.find((c) => {
    const other = c.toLowerCase();
    return other.length >= 3 &&
      (other.includes(lower) || lower.includes(other));
  }));
}

// Optimal string alignment distance: Levenshtein plus adjacent swaps.
function _editDistance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, before[j - 2]! + 1);
      }
      current.push(distance);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

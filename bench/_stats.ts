/**
 * Order statistics and the way the report states a figure: the median over
 * repetitions (each a fresh process), with the spread (lowest and highest).
 *
 * @module
 */

/** The `q` quantile (0..1) of samples, by nearest rank. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

/** The median (for an even count, the mean of the middle two). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A figure over repetitions. */
export interface Spread {
  /** Median of the repetitions' values. */
  median: number;
  /** Lowest repetition value. */
  min: number;
  /** Highest repetition value. */
  max: number;
  /** Number of repetitions. */
  n: number;
}

/** Median and spread of one value per repetition. */
export function spread(values: readonly number[]): Spread {
  const finite = values.filter((v) => Number.isFinite(v));
  return {
    median: median(finite),
    min: Math.min(...finite),
    max: Math.max(...finite),
    n: finite.length,
  };
}

/** Formats a number with sensible precision for its size. */
export function fmt(value: number, unit = ""): string {
  if (!Number.isFinite(value)) return "n/a";
  const abs = Math.abs(value);
  const text = abs >= 100
    ? Math.round(value).toLocaleString("en-US")
    : abs >= 10
    ? value.toFixed(1)
    : abs >= 1
    ? value.toFixed(2)
    : abs >= 0.01
    ? value.toFixed(3)
    : value.toPrecision(2);
  return unit === "" ? text : `${text} ${unit}`;
}

/** `median [min–max]` of a spread, in a unit. */
export function fmtSpread(s: Spread | undefined, unit = ""): string {
  if (s === undefined || s.n === 0) return "n/a";
  const range = s.n > 1 ? ` [${fmt(s.min)}–${fmt(s.max)}]` : "";
  return `${fmt(s.median, unit)}${range}`;
}

/** Bytes as MiB. */
export function mib(bytes: number): number {
  return bytes / (1024 * 1024);
}

/**
 * What counts as personal data: the built-in detectors (`email`, `phone`,
 * `credit_card`, `iban`, `ipv4`), named custom patterns, and the search that
 * finds every match in a string, the longest winning where matches overlap.
 *
 * @module
 */

/** The names of the built-in detectors. */
export type BuiltInDetector =
  | "email"
  | "phone"
  | "credit_card"
  | "iban"
  | "ipv4";

/** A named custom detector: every match of `pattern` is tokenized. */
export interface CustomDetector {
  /**
   * Its name, which also names its tokens (`employee_id` gives
   * `[EMPLOYEE_ID_1]`): a letter, then letters, digits or `_`.
   */
  name: string;
  /** A regular expression (source text, or a `RegExp` whose flags are kept). */
  pattern: string | RegExp;
}

/** A detector named in `privacy.tokenize`. */
export type DetectorSpec = BuiltInDetector | CustomDetector;

/** One match: the detector's token label and where the value is. */
export interface Match {
  /** The token label, upper case (`EMAIL`). */
  label: string;
  /** Index of the first character. */
  start: number;
  /** Index after the last character. */
  end: number;
}

/** A compiled detector. */
export interface Detector {
  /** The token label, upper case. */
  label: string;
  /** A global regular expression. */
  regex: RegExp;
  /** Whether a match is really a value of this kind (a checksum). */
  accept?: (value: string) => boolean;
  /** A quick test that text may hold a match at all (else it is skipped). */
  mayMatch?: (text: string) => boolean;
}

/** The built-in detector names. */
export const BUILT_IN_DETECTORS: readonly BuiltInDetector[] = [
  "email",
  "phone",
  "credit_card",
  "iban",
  "ipv4",
];

function _hasDigit(text: string): boolean {
  return /\d/.test(text);
}

const _OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";

const _BUILT_IN: Record<BuiltInDetector, Omit<Detector, "label">> = {
  email: {
    mayMatch: (text) => text.includes("@"),
    regex:
      /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-])/g,
  },
  phone: {
    mayMatch: _hasDigit,
    regex:
      /(?<![\w+.])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){1,5}(?!\w|\.\d)/g,
    accept: (value) => {
      // An ISO date followed by a time is not a phone number.
      if (/^\d{4}-\d\d-\d\d/.test(value)) return false;
      const digits = value.replace(/\D/g, "").length;
      return value.startsWith("+") || value.includes("(")
        ? digits >= 7 && digits <= 15
        : digits >= 9 && digits <= 15;
    },
  },
  credit_card: {
    mayMatch: _hasDigit,
    regex: /(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)/g,
    accept: (value) => luhnValid(value.replace(/\D/g, "")),
  },
  iban: {
    mayMatch: _hasDigit,
    regex: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])/g,
    accept: (value) => ibanValid(value.replace(/ /g, "")),
  },
  ipv4: {
    mayMatch: _hasDigit,
    // Four octets, not touching another digit or dot (a sentence's full stop
    // after the address is fine).
    regex: new RegExp(
      `(?<![\\d.])(?:${_OCTET}\\.){3}${_OCTET}(?!\\d|\\.\\d)`,
      "g",
    ),
  },
};

/**
 * Whether a string of digits passes the Luhn check of card numbers.
 *
 * @param digits Digits only.
 * @returns Whether the check digit matches.
 *
 * @example A test card number
 * ```ts
 * import { luhnValid } from "./detectors.ts";
 * luhnValid("4111111111111111"); // true
 * ```
 */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/**
 * Whether a compact IBAN (no spaces) passes the ISO 13616 mod-97 check.
 *
 * @param iban Letters and digits, upper case.
 * @returns Whether the remainder is 1.
 *
 * @example A valid IBAN
 * ```ts
 * import { ibanValid } from "./detectors.ts";
 * ibanValid("DE89370400440532013000"); // true
 * ```
 */
export function ibanValid(iban: string): boolean {
  if (iban.length < 15 || iban.length > 34) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const char of moved) {
    const code = char.charCodeAt(0);
    const n = code >= 65 ? code - 55 : code - 48;
    rest = n >= 10 ? (rest * 100 + n) % 97 : (rest * 10 + n) % 97;
  }
  return rest === 1;
}

/**
 * Compiles the detectors named in `privacy.tokenize`.
 *
 * @param specs Built-in names and custom patterns.
 * @returns The detectors, in the order given.
 * @throws {TypeError} On an unknown name, a bad custom name, a repeated
 * label, or a pattern that does not compile or matches the empty string.
 *
 * @example Emails and an employee number
 * ```ts
 * import { compileDetectors } from "./detectors.ts";
 * compileDetectors(["email", { name: "employee_id", pattern: "E-\\d{6}" }]);
 * ```
 */
export function compileDetectors(specs: readonly DetectorSpec[]): Detector[] {
  const detectors: Detector[] = [];
  const labels = new Set<string>();
  for (const spec of specs) {
    let detector: Detector;
    if (typeof spec === "string") {
      const builtIn = _BUILT_IN[spec];
      if (!Object.hasOwn(_BUILT_IN, spec)) {
        throw new TypeError(
          `Unknown privacy detector "${spec}" (built-in: ${
            BUILT_IN_DETECTORS.join(", ")
          })`,
        );
      }
      detector = { label: spec.toUpperCase(), ...builtIn };
    } else {
      detector = _custom(spec);
    }
    if (labels.has(detector.label)) {
      throw new TypeError(
        `Privacy detector "${detector.label.toLowerCase()}" is listed twice`,
      );
    }
    labels.add(detector.label);
    detectors.push(detector);
  }
  return detectors;
}

function _custom(spec: CustomDetector): Detector {
  if (
    typeof spec !== "object" || spec === null ||
    typeof spec.name !== "string" ||
    !/^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(spec.name)
  ) {
    throw new TypeError(
      `Custom privacy detector name must be a letter then up to 31 letters, digits or "_", got ${
        JSON.stringify((spec as { name?: unknown })?.name)
      }`,
    );
  }
  let regex: RegExp;
  try {
    regex = spec.pattern instanceof RegExp
      ? new RegExp(
        spec.pattern.source,
        spec.pattern.flags.replace(/[gy]/g, "") + "g",
      )
      : new RegExp(String(spec.pattern), "gu");
  } catch (error) {
    throw new TypeError(
      `Custom privacy detector "${spec.name}" has a bad pattern: ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  if (new RegExp(regex.source, regex.flags.replace("g", "")).test("")) {
    throw new TypeError(
      `Custom privacy detector "${spec.name}" has a pattern that matches the empty string: ${
        JSON.stringify(regex.source)
      }`,
    );
  }
  return { label: spec.name.toUpperCase(), regex };
}

/**
 * Characters one regular expression search sees at once; windows overlap by
 * {@linkcode MAX_MATCH_CHARS}, so a match up to that long is never cut by a
 * window's edge, and a custom pattern's backtracking is bounded by the window.
 */
export const SCAN_WINDOW_CHARS = 65_536;

/** The longest value a detector is sure to find whole. */
export const MAX_MATCH_CHARS = 1_024;

/**
 * Every match of the detectors in `text`, without overlaps: where matches
 * overlap, the longest wins (the earlier one on a tie).
 *
 * @param text The text to scan.
 * @param detectors The compiled detectors.
 * @returns The matches, in text order.
 *
 * @example Find an email
 * ```ts
 * import { compileDetectors, findMatches } from "./detectors.ts";
 * findMatches("mail ann@example.com", compileDetectors(["email"]));
 * // [{ label: "EMAIL", start: 5, end: 20 }]
 * ```
 */
export function findMatches(
  text: string,
  detectors: readonly Detector[],
): Match[] {
  const found: Match[] = [];
  const step = SCAN_WINDOW_CHARS - MAX_MATCH_CHARS;
  for (const detector of detectors) {
    const { regex, accept, label, mayMatch } = detector;
    if (mayMatch !== undefined && !mayMatch(text)) continue;
    let lastEnd = -1;
    for (let from = 0; from < text.length; from += step) {
      const last = from + SCAN_WINDOW_CHARS >= text.length;
      const window = from === 0 && last
        ? text
        : text.slice(from, from + SCAN_WINDOW_CHARS);
      regex.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = regex.exec(window)) !== null) {
        if (m[0].length === 0) {
          regex.lastIndex++;
          continue;
        }
        const start = from + m.index;
        // The next window starts here: it finds this one again, whole.
        if (!last && m.index >= step) break;
        if (start < lastEnd) continue;
        const length = accept === undefined
          ? m[0].length
          : _acceptedLength(m[0], accept);
        if (length === 0) continue;
        lastEnd = start + length;
        found.push({ label, start, end: lastEnd });
      }
      if (last) break;
    }
  }
  if (found.length <= 1) return found;
  // Longest first; each takes its characters unless one already did.
  const order = [...found].sort((a, b) =>
    (b.end - b.start) - (a.end - a.start) || a.start - b.start
  );
  const taken = new Uint8Array(text.length);
  const kept: Match[] = [];
  for (const match of order) {
    if (taken.subarray(match.start, match.end).includes(1)) continue;
    taken.fill(1, match.start, match.end);
    kept.push(match);
  }
  return kept.sort((a, b) => a.start - b.start);
}

// A greedy match may have taken a group that follows the value ("DE89 ...
// 00 TO"): the longest prefix that ends before a separator and passes wins.
function _acceptedLength(
  value: string,
  accept: (value: string) => boolean,
): number {
  if (accept(value)) return value.length;
  for (let end = value.length - 1; end > 0; end--) {
    if (/[ .-]/.test(value[end]!) && accept(value.slice(0, end))) return end;
  }
  return 0;
}

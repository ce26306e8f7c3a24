import assert from "node:assert/strict";
import {
  compileDetectors,
  findMatches,
  ibanValid,
  luhnValid,
  MAX_MATCH_CHARS,
  SCAN_WINDOW_CHARS,
} from "../../../broker/privacy/detectors.ts";
import { RunPrivacy } from "../../../broker/privacy/run_privacy.ts";
import { TokenMap } from "../../../broker/privacy/token_map.ts";

function tokenize(specs: Parameters<typeof compileDetectors>[0], text: string) {
  return new RunPrivacy(compileDetectors(specs), new TokenMap(1000))
    .tokenizeText(text);
}

Deno.test("luhnValid() and ibanValid() check the check digits", () => {
  assert.equal(luhnValid("4111111111111111"), true);
  assert.equal(luhnValid("4111111111111112"), false);
  assert.equal(ibanValid("DE89370400440532013000"), true);
  assert.equal(ibanValid("DE89370400440532013001"), false);
  assert.equal(ibanValid("GB82WEST12345698765432"), true);
});

Deno.test("findMatches() finds each built-in kind and rejects failed checks", () => {
  const all = ["email", "phone", "credit_card", "iban", "ipv4"] as const;
  assert.equal(
    tokenize(
      [...all],
      "a.b+c@mail.example.co.uk, card 4111-1111-1111-1111 / 4111111111111112, " +
        "GB82 WEST 1234 5698 7654 32 TO, +44 20 7946 0958, (555) 123-4567",
    ),
    "[EMAIL_1], card [CREDIT_CARD_1] / 4111111111111112, [IBAN_1] TO, [PHONE_1], [PHONE_2]",
  );
});

Deno.test("findMatches() takes four octets of at most 255 not touching digits or dots", () => {
  assert.equal(
    tokenize(
      ["ipv4"],
      "10.0.0.1. 256.1.1.1 1.2.3.4.5 01.2.3.4 x192.168.1.1y 255.255.255.255",
    ),
    "[IPV4_1]. 256.1.1.1 1.2.3.4.5 01.2.3.4 x[IPV4_2]y [IPV4_3]",
  );
  // The documented false positive: a four-part version string.
  assert.equal(tokenize(["ipv4"], "deno 1.2.3.4"), "deno [IPV4_1]");
});

Deno.test("findMatches() keeps the longest of overlapping matches, the earlier on a tie", () => {
  const detectors = compileDetectors([
    { name: "short", pattern: "\\d{3}-\\d{4}" },
    "phone",
    { name: "a", pattern: "ab" },
    { name: "b", pattern: "bc" },
  ]);
  assert.deepEqual(findMatches("+1 555 123-4567 abc", detectors), [
    { label: "PHONE", start: 0, end: 15 },
    { label: "A", start: 16, end: 18 },
  ]);
});

Deno.test("findMatches() finds a value across the edge of a scan window", () => {
  const detectors = compileDetectors(["email"]);
  const step = SCAN_WINDOW_CHARS - MAX_MATCH_CHARS;
  for (const at of [step - 5, SCAN_WINDOW_CHARS - 5, 2 * step + 3]) {
    const text = "x ".repeat(at / 2) + (at % 2 ? " " : "") +
      "ann@example.com " + "y ".repeat(70_000);
    const matches = findMatches(text, detectors);
    assert.equal(matches.length, 1, `at ${at}`);
    assert.equal(
      text.slice(matches[0]!.start, matches[0]!.end),
      "ann@example.com",
    );
  }
});

Deno.test("compileDetectors() refuses unknown names, bad names and patterns, and repeats", () => {
  assert.throws(
    () => compileDetectors(["mail" as "email"]),
    { name: "TypeError", message: /Unknown privacy detector "mail"/ },
  );
  assert.throws(
    () => compileDetectors([{ name: "1x", pattern: "a" }]),
    /name must be a letter/,
  );
  assert.throws(
    () => compileDetectors([{ name: "x", pattern: "(" }]),
    /Custom privacy detector "x" has a bad pattern/,
  );
  assert.throws(
    () => compileDetectors([{ name: "x", pattern: "a*" }]),
    /matches the empty string: "a\*"/,
  );
  assert.throws(
    () => compileDetectors(["email", { name: "EMAIL", pattern: "a" }]),
    /"email" is listed twice/,
  );
});

Deno.test("RunPrivacy.detokenizeValue() restores tokens of its scope in strings and keys only", () => {
  const map = new TokenMap(10);
  const privacy = new RunPrivacy(compileDetectors(["email"]), map);
  const tokenized = privacy.tokenizeValue({
    "ann@example.com": ["ann@example.com", 5],
  });
  assert.deepEqual(tokenized, { "[EMAIL_1]": ["[EMAIL_1]", 5] });
  assert.deepEqual(
    privacy.detokenizeValue({ "[EMAIL_1]": "[EMAIL_1][EMAIL_2] [email_1]" }),
    { "ann@example.com": "ann@example.com[EMAIL_2] [email_1]" },
  );
  const other = new RunPrivacy(compileDetectors(["email"]), new TokenMap(10));
  assert.equal(other.detokenizeText("[EMAIL_1]"), "[EMAIL_1]");
});

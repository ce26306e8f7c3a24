/**
 * PII tokenization cost (issue 12, part 2): tokenizing the rows a run returns
 * next to `JSON.stringify` of the same rows, the baseline every result already
 * pays, measured in one process in the same run.
 *
 * Usage: `deno run -A bench/privacy.ts [--reps N]`, or the `privacy` section
 * of `bench/main.ts`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fmtSpread, spread } from "./_stats.ts";
import {
  compileDetectors,
  type DetectorSpec,
} from "../broker/privacy/detectors.ts";
import { RunPrivacy } from "../broker/privacy/run_privacy.ts";
import { TokenMap } from "../broker/privacy/token_map.ts";

/** `count` customer rows, each with an email and a phone number. */
function _rows(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    name: `Customer ${i + 1}`,
    email: `user${i + 1}@example.com`,
    phone: `+1 555 ${String(i).padStart(7, "0")}`,
    note: "Prefers email; renewal due next quarter, no open tickets.",
  }));
}

function _time(reps: number, f: () => unknown): number[] {
  f(); // warm up
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    f();
    samples.push(performance.now() - start);
  }
  return samples;
}

function _privacy(specs: DetectorSpec[]): RunPrivacy {
  return new RunPrivacy(compileDetectors(specs), new TokenMap(1_000_000));
}

/**
 * Measures and returns the report section (Markdown).
 *
 * @param reps Repetitions per figure.
 */
export function privacySection(reps: number): string {
  const lines = [
    "## PII tokenization",
    "",
    "Milliseconds per run output, median [lowest–highest] of " +
    `${reps} repetitions in one process (after one warm-up), with a fresh ` +
    "token map each time. Rows: `{ id, name, email, phone, note }`.",
    "",
    "| rows | JSON.stringify (baseline) | tokenize: email, phone | tokenize: all 5 built-ins | detokenize the tokenized rows |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const count of [200, 10_000]) {
    const rows = _rows(count);
    const baseline = spread(_time(reps, () => JSON.stringify(rows)));
    const two = spread(
      _time(reps, () => _privacy(["email", "phone"]).tokenizeValue(rows)),
    );
    const all = spread(
      _time(
        reps,
        () =>
          _privacy(["email", "phone", "credit_card", "iban", "ipv4"])
            .tokenizeValue(rows),
      ),
    );
    const privacy = _privacy(["email", "phone"]);
    const tokenized = privacy.tokenizeValue(rows);
    const back = spread(_time(reps, () => privacy.detokenizeValue(tokenized)));
    lines.push(
      `| ${count.toLocaleString("en-US")} | ${fmtSpread(baseline, "ms")} | ${
        fmtSpread(two, "ms")
      } | ${fmtSpread(all, "ms")} | ${fmtSpread(back, "ms")} |`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { reps: { type: "string" } },
  });
  Deno.stdout.writeSync(
    new TextEncoder().encode(
      privacySection(Number(values.reps ?? 9)) + "\n",
    ),
  );
}

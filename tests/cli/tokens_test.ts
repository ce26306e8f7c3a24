/**
 * `execbox tokens` as a user runs it: a subprocess against a configuration
 * with the notes fixture server.
 */

import assert from "node:assert/strict";
import { cli, type CliResult, withNotesConfig } from "./_cli.ts";
import { TOKENIZER } from "../../cli/_tokens.ts";

function tokens(args: string[]): Promise<CliResult> {
  return withNotesConfig((config) =>
    cli(["tokens", "--config", config, ...args])
  );
}

Deno.test("execbox tokens names the tokenizer and reports execbox's and each server's tokens", async () => {
  const r = await tokens([]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.ok(
    r.stdout.startsWith(
      `Tokenizer: gpt-tokenizer ${TOKENIZER.version} (o200k_base)\n`,
    ),
  );
  const row = (label: string) => {
    const match = new RegExp(`^${label} +(\\d+) +([\\d,]+) +([\\d,]+)$`, "m")
      .exec(r.stdout);
    assert.ok(match, `no row "${label}" in:\n${r.stdout}`);
    return match.slice(1).map((n) => Number(n.replaceAll(",", "")));
  };
  const [execboxTools, execboxTokens] = row("execbox \\(code mode\\)");
  assert.equal(execboxTools, 2);
  const [notesTools, notesTokens] = row("notes \\(direct\\)");
  assert.equal(notesTools, 2);
  assert.ok(execboxTokens! > 0 && notesTokens! > 0);
  assert.match(r.stdout, /^ {2}execute +\d+ +\d+$/m);
  assert.match(r.stdout, /^ {2}search_tools +\d+ +\d+$/m);
});

Deno.test("execbox tokens --json gives positive whole-number counts per tool, server and in total", async () => {
  const r = await tokens(["--json"]);
  assert.equal(r.code, 0, r.stderr);
  const footprint = JSON.parse(r.stdout);
  assert.deepEqual(footprint.tokenizer, {
    name: "gpt-tokenizer",
    version: TOKENIZER.version,
    encoding: "o200k_base",
  });
  assert.deepEqual(
    footprint.execbox.tools.map((t: { name: string }) => t.name),
    ["execute", "search_tools"],
  );
  assert.deepEqual(
    footprint.upstream.map((g: { name: string }) => g.name),
    ["notes"],
  );
  assert.deepEqual(
    footprint.upstream[0].tools.map((t: { name: string }) => t.name),
    ["get-note", "list-notes"],
  );
  const counts = [
    footprint.execbox,
    ...footprint.execbox.tools,
    ...footprint.upstream,
    ...footprint.upstream[0].tools,
    footprint.direct,
  ].flatMap((c) => [c.tokens, c.listTokens]);
  for (const n of counts) assert.ok(Number.isInteger(n) && n > 0, String(n));
  const sum = (xs: { tokens: number }[]) =>
    xs.reduce((total, x) => total + x.tokens, 0);
  assert.equal(footprint.execbox.tokens, sum(footprint.execbox.tools));
  assert.equal(footprint.direct.tokens, sum(footprint.upstream));
  assert.equal(footprint.direct.tools, 2);
});

/**
 * Workflow 3, `dependency-audit`: read the `package.json` of 60 projects,
 * find those that depend on a vulnerable version of a library, and record
 * them in the memory graph with a relation to the vulnerability.
 *
 * @module
 */

import { memoryFile, pick, seeded, type Workflow } from "./_workflow.ts";

const _PROJECTS = 60;
const _NAMES = [
  "aurora",
  "beacon",
  "cobalt",
  "delta",
  "ember",
  "falcon",
  "garnet",
  "harbor",
  "iris",
  "juniper",
  "kepler",
  "lumen",
  "meridian",
  "nimbus",
  "orchid",
  "pioneer",
  "quartz",
  "raven",
  "sierra",
  "tundra",
]; // deno-fmt-ignore
const _LIBRARIES = [
  "express", "lodash", "zod", "hono", "pino", "dayjs", "uuid", "yargs", "chalk",
  "axios", "ws", "commander", "dotenv", "semver", "undici", "fastify", "ajv",
  "nanoid", "kleur", "mime", "debug", "cookie", "qs", "ms", "eventemitter3",
]; // deno-fmt-ignore
const _VULNERABLE = "left-pad-ng";
const _VULNERABLE_VERSIONS = ["^1.2.0", "~1.9.3", "^2.0.0", "^2.1.4", "0.9.1"];

function _version(random: () => number): string {
  const range = pick(random, ["^", "~", ""]);
  return `${range}${Math.floor(random() * 9)}.${Math.floor(random() * 20)}.${
    Math.floor(random() * 10)
  }`;
}

function _projects(): Map<string, string> {
  const random = seeded(3);
  const files = new Map<string, string>();
  for (let i = 1; i <= _PROJECTS; i++) {
    const name = `p${String(i).padStart(2, "0")}-${pick(random, _NAMES)}`;
    const dependencies: Record<string, string> = {};
    const count = 10 + Math.floor(random() * 11);
    while (Object.keys(dependencies).length < count) {
      dependencies[pick(random, _LIBRARIES)] = _version(random);
    }
    if (random() < 0.3) {
      dependencies[_VULNERABLE] = pick(random, _VULNERABLE_VERSIONS);
    }
    const sorted = Object.fromEntries(Object.entries(dependencies).sort());
    files.set(
      name,
      JSON.stringify(
        {
          name,
          version: `1.${Math.floor(random() * 10)}.0`,
          private: true,
          scripts: { build: "tsc -p .", test: "node --test" },
          dependencies: sorted,
        },
        null,
        2,
      ) + "\n",
    );
  }
  return files;
}

/** Whether a version range's base version is below 2.0.0. */
function _vulnerable(range: string): boolean {
  return Number(range.replace(/^[\^~]/, "").split(".")[0]) < 2;
}

// What the model works out from the files it read: [project, version range].
function _affected(files: string): [string, string][] {
  const affected: [string, string][] = [];
  for (const part of files.split("\n---\n")) {
    const json = JSON.parse(part.slice(part.indexOf(":\n") + 2));
    const range = json.dependencies?.[_VULNERABLE];
    if (range !== undefined && _vulnerable(range)) {
      affected.push([json.name, range]);
    }
  }
  return affected.sort((a, b) => a[0].localeCompare(b[0]));
}

function _answer(affected: [string, string][]): string {
  return `${affected.length} projects depend on ${_VULNERABLE} below 2.0.0: ${
    affected.map(([p, v]) => `${p} (${v})`).join(", ")
  }. Each is now an entity in the memory graph with an affected_by relation to CVE-2026-1234.`;
}

/** The `dependency-audit` workflow. */
export const dependencyAudit: Workflow = {
  id: "dependency-audit",
  task: (root) =>
    `Find every project under ${root}/projects whose package.json depends on ${_VULNERABLE} below version 2.0.0. Record each affected project in the memory graph as an entity (type "project", with the version range as an observation) with an "affected_by" relation to a new entity "CVE-2026-1234" (type "vulnerability"), and list them for me.`,
  async setup(root) {
    for (const [name, text] of _projects()) {
      await Deno.mkdir(`${root}/projects/${name}`, { recursive: true });
      await Deno.writeTextFile(`${root}/projects/${name}/package.json`, text);
    }
    await Deno.writeTextFile(memoryFile(root), "");
  },
  async direct(call, root) {
    const paths = await call("filesystem", "search_files", {
      path: `${root}/projects`,
      pattern: "**/package.json",
    });
    const files = await call("filesystem", "read_multiple_files", {
      paths: paths.trim().split("\n"),
    });
    const affected = _affected(files);
    await call("memory", "create_entities", {
      entities: [
        {
          name: "CVE-2026-1234",
          entityType: "vulnerability",
          observations: [`${_VULNERABLE} below 2.0.0`],
        },
        ...affected.map(([p, v]) => ({
          name: p,
          entityType: "project",
          observations: [`depends on ${_VULNERABLE} ${v}`],
        })),
      ],
    });
    await call("memory", "create_relations", {
      relations: affected.map(([p]) => ({
        from: p,
        to: "CVE-2026-1234",
        relationType: "affected_by",
      })),
    });
    return _answer(affected);
  },
  searches: [
    "search files",
    "read text file",
    "create entities",
    "create relations",
  ],
  code: (root) =>
    `const found = await filesystem.search_files({ path: "${root}/projects", pattern: "**/package.json" });
const paths = found.content.trim().split("\\n");
const affected = [];
for (const path of paths) {
  const { content } = await filesystem.read_text_file({ path });
  const pkg = JSON.parse(content);
  const range = pkg.dependencies?.["${_VULNERABLE}"];
  if (range && Number(range.replace(/^[\\^~]/, "").split(".")[0]) < 2) affected.push([pkg.name, range]);
}
affected.sort((a, b) => a[0].localeCompare(b[0]));
await memory.create_entities({ entities: [
  { name: "CVE-2026-1234", entityType: "vulnerability", observations: ["${_VULNERABLE} below 2.0.0"] },
  ...affected.map(([p, v]) => ({ name: p, entityType: "project", observations: [\`depends on ${_VULNERABLE} \${v}\`] })),
] });
await memory.create_relations({ relations: affected.map(([p]) => ({ from: p, to: "CVE-2026-1234", relationType: "affected_by" })) });
return affected;`,
  answer: (result) => _answer(result as [string, string][]),
};

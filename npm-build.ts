/**
 * Builds the npm package in `npm/`: ESM JavaScript with `.d.ts` declarations
 * for Node.js 20 or later, a `package.json` made from `deno.json`, and the
 * `execbox` command.
 *
 * dnt (`jsr:@deno/dnt`) is the usual tool, but its registry is out of reach
 * here, so this script drives the TypeScript compiler from npm instead. It is
 * laid out like a dnt build script (entry points, mappings from a Deno file
 * to its Node.js twin, package metadata, a post-build step), so moving to dnt
 * means replacing `_build` with dnt's `build` and keeping the options.
 *
 * Usage: `deno task build:npm` (runs `npm install` in `npm/` to type-check
 * against the dependencies and `@types/node`).
 *
 * @module
 */

import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { dirname, join, relative, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ts from "typescript";
import denoJson from "./deno.json" with { type: "json" };
import { MIN_DENO_VERSION } from "./broker/subprocess/runtime_process.ts";

/**
 * A module of the package: an export (`"."`, `"./mcp"`), a command, or a
 * thread module that the code starts by URL rather than imports.
 */
export interface EntryPoint {
  /**
   * `"export"` for a subpath of `exports`, `"bin"` for a command, `"thread"`
   * for a module shipped but not exported.
   */
  kind: "export" | "bin" | "thread";
  /** The subpath (`"."`, `"./mcp"`), the command's name (`"execbox"`), or a label. */
  name: string;
  /** The source file, relative to the repository (`"./mod.ts"`). */
  path: string;
}

/** The package metadata `package.json` gets besides what the build adds. */
export interface PackageMetadata {
  /** The npm name. */
  name: string;
  /** The version. */
  version: string;
  /** One sentence. */
  description: string;
  /** An SPDX identifier. */
  license: string;
  /** Supported runtimes, such as `{ node: ">=20" }`. */
  engines: Record<string, string>;
  /** Dependencies no source file imports (the Deno binary's package). */
  dependencies: Record<string, string>;
  /** Packages only the build needs (declarations to type-check against). */
  devDependencies: Record<string, string>;
}

/** What {@linkcode _build} needs: the shape of dnt's `BuildOptions`. */
export interface BuildOptions {
  /** The modules the package exposes; the rest is what they import. */
  entryPoints: EntryPoint[];
  /** The output directory, emptied first. */
  outDir: string;
  /**
   * Source files replaced by a twin for Node.js, both relative to the
   * repository: importers of the key import the value instead.
   */
  mappings: Record<string, string>;
  /** `package.json` metadata. */
  package: PackageMetadata;
  /**
   * npm packages of the import map that shipped code must not import (build,
   * test and benchmark tools); the build fails if it does.
   */
  devOnly: string[];
  /**
   * Directories of code that runs on Deno even in the npm package (the guest
   * runtime, shipped as text to the Deno subprocess): the only code that may
   * use the `Deno` global. Anywhere else the build fails, since Node.js has
   * no `Deno`.
   */
  denoOnly: string[];
  /** Runs after the compiler, with the output directory. */
  postBuild?: (outDir: string) => Promise<void>;
}

const _ROOT = dirname(fileURLToPath(import.meta.url));

/** The options: the one place to read to know what the package contains. */
export const options: BuildOptions = {
  entryPoints: [
    ...Object.entries(denoJson.exports).map(([name, path]) => ({
      kind: "export" as const,
      name,
      path,
    })),
    { kind: "bin", name: "execbox", path: "./cli/main.ts" },
    // Started with `startThread(new URL(...))`, so no import reaches them.
    {
      kind: "thread",
      name: "watchdog",
      path: "./broker/run/watchdog_thread.ts",
    },
    {
      kind: "thread",
      name: "prepare",
      path: "./broker/code/prepare_thread.ts",
    },
  ],
  outDir: "npm",
  mappings: {
    "broker/host/deno.ts": "broker/host/node.ts",
    "broker/host/thread.ts": "broker/host/thread_node.ts",
  },
  package: {
    // The name JSR has too, so imports read the same from Deno and Node.js.
    name: denoJson.name,
    version: denoJson.version,
    description: denoJson.description,
    license: denoJson.license,
    engines: { node: ">=20" },
    // Guest code runs on Deno: the npm package `deno` brings its binary.
    dependencies: { deno: MIN_DENO_VERSION },
    devDependencies: { "@types/node": "^20.19.0" },
  },
  // Not `typescript`: the broker parses and strips types from guest code with
  // it (`broker/code/transform.ts`), so it is a dependency like any other.
  // gpt-tokenizer ships: `execbox tokens` counts with it.
  devOnly: ["@opentelemetry/sdk-trace-base", "@opentelemetry/sdk-metrics"],
  denoOnly: ["runtime/"],
  async postBuild(outDir) {
    await copyFile(join(_ROOT, "README.md"), join(outDir, "README.md"));
    await copyFile(join(_ROOT, "LICENSE"), join(outDir, "LICENSE"));
    await mkdir(join(outDir, "bin"), { recursive: true });
    // `import.meta.main` is not set on Node.js 20, so the command calls
    // `main`. Node.js 22.1 and later keep compiled code between starts:
    // loading the TypeScript compiler is most of the command's start-up.
    await writeFile(
      join(outDir, "bin", "execbox.js"),
      `#!/usr/bin/env node
import module from "node:module";
import process from "node:process";

module.enableCompileCache?.();
const { main } = await import("../esm/cli/main.js");
process.exit(await main(process.argv.slice(2)));
`,
      { mode: 0o755 },
    );
  },
};

/** Only these fields of a JSON file a module imports are shipped. */
const _JSON_FIELDS = ["name", "version"];

// What the sources use of Deno outside the Node.js build's reach: the runtime
// (`runtime/`) runs inside the Deno subprocess and only its text is shipped;
// `import.meta.main` is false on Node.js (the bin script calls `main`).
const _AMBIENT = `declare namespace Deno {
  const stdout: { write(bytes: Uint8Array): Promise<number> };
  const stdin: { read(buffer: Uint8Array): Promise<number | null> };
  const version: { deno: string };
  function exit(code?: number): never;
}
interface ImportMeta {
  main?: boolean;
}
`;

const _COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  // ES2022 syntax for Node.js 20 (`await using` compiled down), with the
  // library declarations the sources are written against.
  lib: [
    "lib.es2023.d.ts",
    "lib.es2024.promise.d.ts",
    "lib.es2024.sharedmemory.d.ts",
    "lib.esnext.disposable.d.ts",
    "lib.dom.d.ts",
    "lib.dom.iterable.d.ts",
    "lib.dom.asynciterable.d.ts",
  ],
  types: ["node"],
  declaration: true,
  rewriteRelativeImportExtensions: true,
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  useUnknownInCatchVariables: true,
  skipLibCheck: true,
  noEmitOnError: true,
  newLine: ts.NewLineKind.LineFeed,
};

/** `npm:@scope/name@^1.2.3/sub` → name and range. */
function _npmPackage(target: string): { name: string; range: string } {
  const rest = target.slice("npm:".length);
  const at = rest.indexOf("@", rest.startsWith("@") ? 1 : 0);
  if (at === -1) {
    return {
      name: rest.split("/").slice(0, rest.startsWith("@") ? 2 : 1).join("/"),
      range: "*",
    };
  }
  const name = rest.slice(0, at);
  const range = rest.slice(at + 1).split("/")[0]!;
  return { name, range };
}

/** The package name of a bare specifier (`@scope/name/sub` → `@scope/name`). */
function _packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

function _posix(path: string): string {
  return path.split("\\").join("/");
}

function _relativeSpecifier(from: string, to: string): string {
  const spec = _posix(relative(dirname(from), to));
  return spec.startsWith(".") ? spec : `./${spec}`;
}

/**
 * Copies the module graph of the entry points into `srcDir`, rewritten for
 * Node.js: mappings applied, this package's own name turned into relative
 * paths, JSON imports turned into modules, and bare npm specifiers checked
 * against the import map.
 */
async function _stage(
  build: BuildOptions,
  srcDir: string,
): Promise<Record<string, string>> {
  const imports: Record<string, string> = denoJson.imports;
  const selfExports = new Map<string, string>(
    Object.entries(denoJson.exports).map(([subpath, path]) => [
      subpath === "." ? denoJson.name : `${denoJson.name}${subpath.slice(1)}`,
      _posix(join(".", path)),
    ]),
  );
  // npm package name to version range, for every package shipped code imports.
  const dependencies: Record<string, string> = {};
  const seen = new Set<string>();
  const queue: string[] = [];
  const enqueue = (file: string) => {
    const mapped = build.mappings[file] ?? file;
    if (!seen.has(mapped)) {
      seen.add(mapped);
      queue.push(mapped);
    }
    return mapped;
  };
  for (const entry of build.entryPoints) enqueue(_posix(join(".", entry.path)));

  while (queue.length > 0) {
    const file = queue.shift()!;
    let text = await readFile(join(_ROOT, file), "utf8");
    const refs = ts.preProcessFile(text, true, true).importedFiles;
    // Replaced from the end so earlier offsets stay valid.
    for (const ref of [...refs].sort((a, b) => b.pos - a.pos)) {
      const spec = ref.fileName;
      // `pos` is the opening quote; the specifier's text follows it.
      const start = ref.pos + 1;
      const end = start + spec.length;
      if (text.slice(start, end) !== spec) {
        throw new Error(`${file}: cannot locate the import of "${spec}"`);
      }
      let replacement: string;
      if (spec.startsWith("./") || spec.startsWith("../")) {
        const target = _posix(join(dirname(file), spec));
        if (target.endsWith(".json")) {
          replacement = await _stageJson(file, target, srcDir);
          text = _dropImportAttributes(text, end);
        } else {
          replacement = _relativeSpecifier(file, enqueue(target));
        }
      } else if (spec.startsWith("node:")) {
        replacement = spec;
      } else if (selfExports.has(spec)) {
        replacement = _relativeSpecifier(file, enqueue(selfExports.get(spec)!));
      } else if (/^(jsr|https?|npm):/.test(spec)) {
        throw new Error(
          `${file}: import "${spec}" has no Node.js form; add it to the import map`,
        );
      } else {
        const name = _packageName(spec);
        const target = imports[name];
        if (target === undefined || !target.startsWith("npm:")) {
          throw new Error(
            `${file}: import "${spec}" is not an npm: entry of the import map`,
          );
        }
        const pkg = _npmPackage(target);
        if (build.devOnly.includes(pkg.name)) {
          throw new Error(
            `${file}: shipped code imports "${spec}", but "${pkg.name}" is development-only (devOnly in npm-build.ts)`,
          );
        }
        dependencies[pkg.name] = pkg.range;
        replacement = pkg.name + spec.slice(name.length);
      }
      text = text.slice(0, start) + replacement + text.slice(end);
    }
    if (!build.denoOnly.some((dir) => file.startsWith(dir))) {
      _assertNoDeno(file, text);
    }
    const out = join(srcDir, file);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, text);
  }
  return dependencies;
}

/** Fails when code (not a comment or a string) names the `Deno` global. */
function _assertNoDeno(file: string, text: string): void {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.text === "Deno") {
      const { line, character } = source.getLineAndCharacterOfPosition(
        node.getStart(source),
      );
      throw new Error(
        `${file}:${line + 1}:${
          character + 1
        }: uses Deno, which Node.js lacks; ` +
          "use a node: module both runtimes have, or the host seam (mappings in npm-build.ts)",
      );
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

// `import x from "./a.json" with { type: "json" }`: the attributes follow the
// specifier's closing quote.
function _dropImportAttributes(text: string, specifierEnd: number): string {
  const rest = text.slice(specifierEnd + 1);
  const match = /^\s*(with|assert)\s*\{[^}]*\}/.exec(rest);
  if (match === null) return text;
  return text.slice(0, specifierEnd + 1) + rest.slice(match[0].length);
}

/** Writes a JSON file's shipped fields as a module; returns its specifier. */
async function _stageJson(
  importer: string,
  target: string,
  srcDir: string,
): Promise<string> {
  const json = JSON.parse(await readFile(join(_ROOT, target), "utf8"));
  const kept = Object.fromEntries(
    _JSON_FIELDS.filter((k) => k in json).map((k) => [k, json[k]]),
  );
  const module = target.replace(/\.json$/, "_json.ts");
  const out = join(srcDir, module);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(
    out,
    `// Generated by npm-build.ts from ${target}.\nexport default ${
      JSON.stringify(kept, null, 2)
    } as const;\n`,
  );
  return _relativeSpecifier(importer, module);
}

function _npm(args: string[], cwd: string): void {
  const result = spawnSync("npm", args, {
    cwd,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.status !== 0) {
    throw new Error(
      `npm ${args.join(" ")} failed in ${cwd} (exit code ${result.status})`,
    );
  }
}

function _packageJson(
  build: BuildOptions,
  dependencies: Record<string, string>,
): object {
  const exports: Record<string, { types: string; import: string }> = {};
  const bin: Record<string, string> = {};
  for (const entry of build.entryPoints) {
    const js = `./esm/${_posix(join(".", entry.path)).replace(/\.ts$/, ".js")}`;
    if (entry.kind === "bin") {
      bin[entry.name] = `./bin/${entry.name}.js`;
    } else if (entry.kind === "export") {
      exports[entry.name] = { types: js.replace(/\.js$/, ".d.ts"), import: js };
    }
  }
  const sorted = (o: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(o).sort(([a], [b]) => a.localeCompare(b)),
    );
  const { name, version, description, license, engines, devDependencies } =
    build.package;
  return {
    name,
    version,
    description,
    license,
    type: "module",
    exports,
    bin,
    files: ["esm/", "bin/"],
    engines,
    dependencies: sorted({ ...dependencies, ...build.package.dependencies }),
    devDependencies: sorted(devDependencies),
  };
}

function _compile(
  packageDir: string,
  srcDir: string,
  outDir: string,
  roots: string[],
): void {
  const program = ts.createProgram(roots, {
    ..._COMPILER_OPTIONS,
    typeRoots: [join(packageDir, "node_modules", "@types")],
    rootDir: srcDir,
    outDir,
  });
  let diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length === 0) diagnostics = program.emit().diagnostics;
  if (diagnostics.length > 0) {
    const host: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => srcDir,
      getNewLine: () => "\n",
    };
    throw new Error(
      `TypeScript reported ${diagnostics.length} problems:\n${
        ts.formatDiagnostics(diagnostics, host)
      }`,
    );
  }
}

/**
 * Builds the package: stages the sources, writes `package.json`, installs the
 * dependencies to type-check against, compiles, then runs `postBuild`.
 *
 * @param build The options.
 */
async function _build(build: BuildOptions): Promise<void> {
  const outDir = resolve(_ROOT, build.outDir);
  const srcDir = join(outDir, "src");
  await rm(outDir, { recursive: true, force: true });
  await mkdir(srcDir, { recursive: true });

  const dependencies = await _stage(build, srcDir);
  await writeFile(join(srcDir, "_ambient.d.ts"), _AMBIENT);
  await writeFile(
    join(outDir, "package.json"),
    `${JSON.stringify(_packageJson(build, dependencies), null, 2)}\n`,
  );
  // The Deno binary (an optional dependency of `deno`) is not needed to build.
  _npm(
    [
      "install",
      "--ignore-scripts",
      "--omit=optional",
      "--no-audit",
      "--no-fund",
      "--no-package-lock",
    ],
    outDir,
  );
  _compile(outDir, srcDir, join(outDir, "esm"), [
    ...build.entryPoints.map((e) => join(srcDir, e.path)),
    join(srcDir, "_ambient.d.ts"),
  ]);
  await build.postBuild?.(outDir);
}

if (import.meta.main) {
  // `--out-dir DIR` builds elsewhere (the npm package test builds into a
  // temporary directory).
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { "out-dir": { type: "string" } },
  });
  const build = { ...options, outDir: values["out-dir"] ?? options.outDir };
  const started = performance.now();
  await _build(build);
  process.stderr.write(
    `npm-build: wrote ${build.outDir} (${build.package.name}@${build.package.version}) in ${
      Math.round(performance.now() - started)
    } ms\n`,
  );
}

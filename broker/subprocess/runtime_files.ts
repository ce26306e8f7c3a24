/**
 * The files every runtime subprocess of one pool shares: the runtime program
 * and its import map, written once instead of passed as ~100 KB of base64 on
 * each command line, and one `DENO_DIR`, so that Deno's own caches (the V8
 * code cache of the runtime program above all) are built once and read by
 * every later start.
 *
 * Sharing a `DENO_DIR` is safe because nothing a guest does can write to it:
 * the runtime has no permissions, and the guest realm has no
 * `localStorage`, `sessionStorage` or `caches`, the only Web APIs that write
 * under `DENO_DIR` without one (see DENO_SANDBOX_FACTS). Guest code is
 * compiled with the `AsyncFunction` constructor, which Deno does not cache,
 * and a `data:` or `blob:` module a guest imports is cached in memory only.
 *
 * @module
 */

import { chmod, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ExecboxError } from "../errors.ts";
import type { Host } from "../host/host.ts";
import { blockedImportMap, runtimeSource } from "./runtime_script.ts";
import { runtimeDirPrefix, sweepRuntimeDirs } from "./temp_dirs.ts";

/** A directory with the runtime program, its import map and a `DENO_DIR`. */
export class RuntimeFiles {
  /** The directory: the subprocesses' working directory too. */
  readonly dir: string;
  readonly #host: Host;
  readonly #program: string;
  readonly #importMap: string;
  #removed: Promise<void> | undefined;

  private constructor(host: Host, dir: string) {
    this.#host = host;
    this.dir = dir;
    this.#program = join(dir, "runtime.js");
    this.#importMap = join(dir, "import_map.json");
  }

  /**
   * Makes the directory (mode 0700, named after its owner so that a later
   * broker can sweep it if this one is killed) and writes the files,
   * read-only.
   *
   * @param host The operating-system seam that makes the directory.
   * @returns The written files.
   */
  static async create(host: Host): Promise<RuntimeFiles> {
    const dir = await host.makeTempDir(await runtimeDirPrefix());
    // What a broker killed with SIGKILL left next to it (once a minute).
    await sweepRuntimeDirs(dirname(dir));
    const files = new RuntimeFiles(host, dir);
    try {
      await chmod(dir, 0o700);
      await writeFile(files.#program, runtimeSource(), { mode: 0o400 });
      await writeFile(files.#importMap, blockedImportMap(), { mode: 0o400 });
      await mkdir(join(dir, "deno"), { mode: 0o700 });
    } catch (error) {
      await files.remove();
      throw new ExecboxError(
        "runtime_start",
        `Cannot write the runtime's files in "${dir}": ${
          (error as Error).message
        }`,
        { cause: error },
      );
    }
    return files;
  }

  /**
   * The `deno` arguments that start a runtime with a given heap cap.
   *
   * Zero permissions (no `--allow-*` at all), no prompt, no remote, npm,
   * config or lock file, and the import map that blocks `node:` modules.
   *
   * @param memoryMb The V8 old-space cap, in MiB.
   * @returns The arguments, without the executable.
   */
  args(memoryMb: number): string[] {
    return [
      "run",
      "--no-prompt",
      "--no-remote",
      "--no-npm",
      "--no-config",
      "--no-lock",
      "--quiet",
      `--v8-flags=--max-old-space-size=${memoryMb}`,
      `--import-map=${this.#importMap}`,
      this.#program,
    ];
  }

  /**
   * The subprocesses' whole environment: nothing from the host's, and the
   * shared `DENO_DIR`.
   *
   * @returns The environment variables.
   */
  env(): Record<string, string> {
    return {
      DENO_DIR: join(this.dir, "deno"),
      DENO_NO_UPDATE_CHECK: "1",
      NO_COLOR: "1",
    };
  }

  /** Removes the directory. Idempotent. */
  remove(): Promise<void> {
    this.#removed ??= this.#host.removeDir(this.dir);
    return this.#removed;
  }
}

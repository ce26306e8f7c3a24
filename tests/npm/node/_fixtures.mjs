// Shared by the Node.js tests of the npm package. They run inside a temporary
// project where the packed tarball was installed (see ../npm_package_test.ts),
// so `@execbox/core` is the installed package, not the repository.

import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import process from "node:process";
import { z } from "zod";
import { defineTool, denoHost } from "@execbox/core";

/** The native Deno binary the installed npm package `deno` brought. */
export function nativeDeno() {
  const platform = process.platform === "linux"
    ? `linux-${process.arch}-glibc`
    : `${process.platform}-${process.arch}`;
  const exe = process.platform === "win32" ? "deno.exe" : "deno";
  return join(process.cwd(), "node_modules", "@deno", platform, exe);
}

/** Directories of PATH that hold something named `deno`. */
export function denoOnPath() {
  return (process.env.PATH ?? "").split(delimiter).filter((dir) =>
    dir !== "" && existsSync(join(dir, "deno"))
  );
}

/** The package's host, recording the command of every spawn. */
export function recordingHost() {
  const commands = [];
  return {
    commands,
    host: {
      ...denoHost,
      spawn(options) {
        commands.push(options.command);
        return denoHost.spawn(options);
      },
    },
  };
}

/** One host tool, defined with zod. */
export const mathProvider = {
  math: {
    add: defineTool({
      description: "Adds two numbers",
      input: z.object({ a: z.number(), b: z.number() }),
      output: z.number(),
      execute: ({ a, b }) => a + b,
    }),
  },
};

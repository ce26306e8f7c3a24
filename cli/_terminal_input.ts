/**
 * The answer to a VS Code `${input:ID}` asked on the controlling terminal
 * (`/dev/tty`), never on stdin or stdout; a password is not echoed. Under
 * `execbox mcp`, whose stdin carries the protocol, nothing is asked.
 *
 * @module
 */

import { closeSync, openSync, writeSync } from "node:fs";
import { ReadStream } from "node:tty";
import {
  type ConfigInput,
  ExecboxError,
  type PromptInput,
} from "@execbox/core";

/** The most characters of an answer read. */
const _MAX_ANSWER_CHARS = 4096;

/**
 * Asks on `path` for each input, one line each.
 *
 * @param path The terminal device (a test may pass another).
 * @returns The prompt for `loadConfig`.
 */
export function terminalInput(path = "/dev/tty"): PromptInput {
  return async (input) => {
    let fd: number;
    try {
      fd = openSync(path, "r+");
    } catch {
      throw _unanswered(input, `there is no terminal to ask (${path})`);
    }
    try {
      const stream = new ReadStream(fd);
      // Echo goes off before the question, so nothing typed after it shows.
      if (input.password) stream.setRawMode(true);
      writeSync(fd, `execbox: ${input.description} (${input.id}): `);
      const answer = await _readLine(stream, input.password);
      if (input.password) writeSync(fd, "\n");
      if (answer === undefined) throw _unanswered(input, "no answer");
      return answer;
    } finally {
      try {
        closeSync(fd);
      } catch {
        // The stream closed it.
      }
    }
  };
}

/**
 * The prompt of `execbox mcp`: stdin is the MCP protocol, so an input must
 * come from its variable.
 */
export const mcpInput: PromptInput = (input) =>
  Promise.reject(
    _unanswered(
      input,
      "execbox mcp cannot ask, because its stdin carries the MCP protocol",
    ),
  );

function _unanswered(input: ConfigInput, why: string): ExecboxError {
  return new ExecboxError(
    "config_invalid",
    `Cannot read input "${input.id}" of the configuration: ${why}; set ${input.variable}`,
  );
}

function _readLine(
  stream: ReadStream,
  hidden: boolean,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    let line = "";
    const done = (value: string | undefined) => {
      if (hidden) stream.setRawMode(false);
      stream.destroy();
      resolve(value);
    };
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return done(line);
        // Ctrl-C and Ctrl-D give up; backspace edits a hidden answer.
        if (char === "\u0003" || char === "\u0004") return done(undefined);
        if (char === "\u007F" || char === "\b") line = line.slice(0, -1);
        else line += char;
        if (line.length > _MAX_ANSWER_CHARS) return done(undefined);
      }
    });
    stream.on("end", () => done(line === "" ? undefined : line));
    stream.on("error", () => done(undefined));
  });
}

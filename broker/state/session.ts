/**
 * The guest's `state` namespace for a run with a session: `get`, `set`,
 * `delete` and `keys`, all async, each counted as a tool call.
 *
 * @module
 */

import type { ProviderMethod } from "../tools/catalog.ts";
import { ExecboxError } from "../errors.ts";
import type { SessionLimits, SessionStore } from "./session_store.ts";

/** The declaration a model reads for `state` (runs with a session only). */
export const STATE_DECLARATION: string =
  `/** State kept between runs of this session (JSON values); each call counts as a tool call. */
declare const state: {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<boolean>;
  keys(): Promise<string[]>;
};
`;

const _MAX_KEY_CHARS = 1024;

function _key(args: unknown): string {
  const key = (args as unknown[])[0];
  if (
    typeof key !== "string" || key.length === 0 || key.length > _MAX_KEY_CHARS
  ) {
    throw new ExecboxError(
      "validation_error",
      `key must be a string of 1 to ${_MAX_KEY_CHARS} characters, got ${
        typeof key === "string" ? `${key.length} characters` : typeof key
      }`,
    );
  }
  return key;
}

/**
 * The `state` methods bound to one session.
 *
 * @param store Where the session lives.
 * @param session The session's id, already scoped to its caller.
 * @param limits Size cap and expiry.
 * @returns The methods `get`, `set`, `delete` and `keys`.
 */
export function sessionMethods(
  store: SessionStore,
  session: string,
  limits: SessionLimits,
): ProviderMethod[] {
  return [
    { path: "get", call: (args) => store.get(session, _key(args)) },
    {
      path: "set",
      async call(args) {
        const key = _key(args);
        if ((args as unknown[]).length < 2) {
          throw new ExecboxError(
            "validation_error",
            "state.set needs a value (state.delete removes a key)",
          );
        }
        await store.set(session, key, (args as unknown[])[1], limits);
      },
    },
    { path: "delete", call: (args) => store.delete(session, _key(args)) },
    { path: "keys", call: () => store.keys(session) },
  ];
}

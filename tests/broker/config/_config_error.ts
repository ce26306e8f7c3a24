import assert from "node:assert/strict";
import { parseConfig } from "../../../broker/config/config.ts";
import { ExecboxError } from "../../../broker/errors.ts";

/** The `config_invalid` message `parseConfig()` gives for `text`. */
export function configError(text: string): string {
  try {
    parseConfig(text, "x.jsonc", {});
  } catch (error) {
    assert.ok(error instanceof ExecboxError);
    assert.equal(error.code, "config_invalid");
    return error.message;
  }
  assert.fail("parseConfig() did not throw");
}

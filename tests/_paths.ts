/** Path helpers for tests (no @std/path here: JSR is out of reach). */

import { fileURLToPath } from "node:url";

/** A `file:` URL as a path; a trailing slash is kept. */
export function fromFileUrl(url: URL): string {
  const path = fileURLToPath(url);
  return url.pathname.endsWith("/") && !path.endsWith("/") ? `${path}/` : path;
}

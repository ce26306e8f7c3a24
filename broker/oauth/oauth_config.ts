/**
 * The `oauth` settings of one HTTP upstream server.
 *
 * @module
 */

/** OAuth for one HTTP server. */
export interface McpOAuthConfig {
  /**
   * A client id registered with the authorization server beforehand; without
   * it, execbox registers itself (dynamic client registration).
   * @default {undefined}
   */
  clientId?: string;
  /**
   * The secret of `clientId`, for a confidential client (write it as
   * `${VAR}`).
   * @default {undefined}
   */
  clientSecret?: string;
  /**
   * The scopes to ask for, space-separated; by default the ones the server
   * names (in its 401 or its metadata).
   * @default {undefined}
   */
  scope?: string;
  /**
   * `"authorization_code"`: a person logs in once with `execbox auth
   * <server>` (PKCE), then tokens are refreshed. `"client_credentials"`: a
   * machine-to-machine server; execbox gets tokens itself with `clientId`
   * and `clientSecret`.
   * @default {"authorization_code"}
   */
  grant?: "authorization_code" | "client_credentials";
  /**
   * The loopback port `execbox auth` receives the redirect on, for an
   * authorization server that only accepts a registered redirect URI.
   * @default {0 (any free port)}
   */
  redirectPort?: number;
}

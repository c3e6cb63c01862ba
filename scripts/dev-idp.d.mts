/** Type declarations for scripts/dev-idp.mjs, the local Entra-shaped OpenID Provider. */

/** An OAuth client, registered identically in every tenant (confidential, client_secret_post). */
export interface DevIdpClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export interface DevIdpOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** The server always binds to loopback; nothing else is accepted. */
  host?: "127.0.0.1";
  clients: DevIdpClient[];
}

export interface DevIdpTenant {
  /** Tenant id (GUID), the `tid` claim. */
  id: string;
  name: string;
  /** `${origin}/${id}/v2.0`, without a trailing slash. */
  issuer: string;
}

export interface DevIdpUser {
  /** Sign-in name; also the `preferred_username` and `email` claims. */
  username: string;
  /** Always "demo". */
  password: string;
  name: string;
  tenantId: string;
  oid: string;
  roles: string[];
  email: string;
  /** The stable `sub` claim issued for this user. */
  sub: string;
}

export interface DevIdp {
  /** e.g. http://127.0.0.1:PORT */
  origin: string;
  tenants: DevIdpTenant[];
  users: DevIdpUser[];
  /**
   * Disables a demo user, as an Entra administrator would: sign-in is refused and the user's
   * refresh tokens stop working (also `POST /admin/users/{username}/disable`). False if unknown.
   */
  disableUser(username: string): boolean;
  /** Enables a disabled demo user again (also `POST /admin/users/{username}/enable`). */
  enableUser(username: string): boolean;
  /** Stops the server and closes every connection. */
  close(): Promise<void>;
}

/** Starts the IdP on 127.0.0.1 with the two demo tenants and three demo users. */
export function startDevIdp(options: DevIdpOptions): Promise<DevIdp>;

/**
 * Signs in without a browser: follows the IdP's redirects from `authorizeUrl`, submits the login
 * form and resolves with the first redirect URL that leaves the IdP's origin (the client's
 * redirect_uri with `code` or `error`), without requesting it. Rejects with an Error whose
 * `status` is 401 when the credentials are refused.
 */
export function loginHeadless(authorizeUrl: string, credentials: { username: string; password: string }): Promise<string>;

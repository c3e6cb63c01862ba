import { isUuid } from "../domain/ids";

/*
 * The user-key rules of the operator API, in one place: the grants routes take a user key in
 * their path and `GET /admin/audit` takes one as `user`, and both must accept, normalise and
 * explain it the same way.
 */

/**
 * A user key as the sign-in makes it (`src/auth/identity.ts`): `entra.<tenant id>.<object id>`
 * for Entra, `<kind>.<43 base64url characters>` (a SHA-256) for B2C, External ID and OIDC.
 * Entra keys are lowercase; an operator copying ids from the portal may not be.
 */
export const USER_KEY_HELP =
  "A user key is entra.<tenant id>.<object id> for an Entra user (both GUIDs, as in the Entra admin center), or b2c.…, external-id.… or oidc.… followed by 43 characters (Get_Server_Info shows a signed-in user's key)";
const HASHED_KINDS = ["b2c", "external-id", "oidc"];

export function parseUserKey(raw: string): string | undefined {
  const [kind = "", ...rest] = raw.split(".");
  if (kind.toLowerCase() === "entra") return rest.length === 2 && rest.every(isUuid) ? raw.toLowerCase() : undefined;
  const [hash = ""] = rest;
  return HASHED_KINDS.includes(kind) && rest.length === 1 && /^[A-Za-z0-9_-]{43}$/.test(hash) ? raw : undefined;
}

/** The Entra tenant in an `entra.<tenant id>.<object id>` user key; the other kinds name none. */
export function tenantOfUserKey(userKey: string): string | undefined {
  const [kind, tenant] = userKey.split(".");
  return kind === "entra" ? tenant : undefined;
}

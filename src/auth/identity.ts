import { z } from "zod";
import { sha256Base64Url } from "../encoding";

/**
 * Who the caller is, as stored in the grant's encrypted props and handed to the MCP gateway on
 * every request. The key is stable and never derived from email or UPN.
 */
export const IdentitySchema = z.object({
  /** Stable, encoded user key (no ":"): grant user id and the name of the user's agent. */
  userKey: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[^:]+$/, "must not contain ':'"),
  /** Tenant (directory) id, or the issuer for providers without tenants. */
  tenantId: z.string().min(1).max(256),
  displayName: z.string().max(256).optional(),
  /** Informational only; never used for identity or authorization. */
  email: z.string().max(320).optional(),
  roles: z.array(z.string().max(128)).max(64).default([]),
  /** Which kind of identity provider signed the user in. */
  idp: z.enum(["entra", "b2c", "external-id", "oidc", "external-token"]),
  /**
   * Scopes of a delegated external token, which the OAuth provider does not track (its
   * `ctx.auth.scope` is empty for them). Never set for tokens pandgate issued.
   */
  grantedScopes: z.array(z.string()).optional(),
});

export type Identity = z.infer<typeof IdentitySchema>;

/**
 * The identity from a verified id_token. Entra workforce users are keyed by tenant + object id;
 * B2C, External ID and generic OIDC users by issuer + subject (hashed, so the key holds no ":").
 * Email, UPN and preferred_username are never part of the key.
 */
export async function identityFromClaims(
  kind: "entra" | "b2c" | "external-id" | "oidc",
  claims: Record<string, unknown>,
): Promise<Identity> {
  const str = (name: string): string | undefined => {
    const value = claims[name];
    return typeof value === "string" && value.length > 0 ? value : undefined;
  };
  const iss = str("iss") ?? "";
  const tid = str("tid");
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((role): role is string => typeof role === "string") : [];
  const emails = Array.isArray(claims.emails) ? claims.emails.filter((e): e is string => typeof e === "string") : [];
  const email = str("email") ?? emails[0];
  let userKey: string;
  let tenantId: string;
  if (kind === "entra") {
    const oid = str("oid");
    if (!tid || !oid)
      throw new IdentityError(
        "The sign-in token lacks the tenant (tid) or object id (oid) claim; make sure the app asks for the profile scope.",
      );
    userKey = `entra.${tid.toLowerCase()}.${oid.toLowerCase()}`;
    tenantId = tid.toLowerCase();
  } else {
    const sub = str("sub");
    if (!sub) throw new IdentityError("The sign-in token names no subject (sub).");
    userKey = `${kind}.${await sha256Base64Url(`${iss}\n${sub}`)}`;
    tenantId = (tid ?? iss).toLowerCase();
  }
  return IdentitySchema.parse({
    userKey,
    tenantId,
    ...(str("name") !== undefined && { displayName: str("name") }),
    ...(email !== undefined && { email }),
    roles,
    idp: kind,
  });
}

export class IdentityError extends Error {
  override name = "IdentityError";
}

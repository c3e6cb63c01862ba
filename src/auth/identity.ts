import { z } from "zod";

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
});

export type Identity = z.infer<typeof IdentitySchema>;

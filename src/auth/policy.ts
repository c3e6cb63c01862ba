import type { UpstreamConfig } from "../config/sign-in";
import type { Identity } from "./identity";

/**
 * Whether a signed-in identity may use this server. An explicit tenant allow-list is enforced as
 * given; an empty one leaves the decision to the issuer rule, which for every single-tenant
 * configuration already admits only the configured tenant (multi-tenant Entra requires a list).
 */
export function tenantAllowed(upstream: Pick<UpstreamConfig, "allowedTenants">, identity: Identity): boolean {
  const { allowedTenants } = upstream;
  if (allowedTenants === "any" || allowedTenants.length === 0) return true;
  return allowedTenants.includes(identity.tenantId.toLowerCase());
}

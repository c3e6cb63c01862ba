import type { ResolveExternalTokenInput, ResolveExternalTokenResult } from "@cloudflare/workers-oauth-provider";
import type { Config } from "../config";
import { sha256Base64Url } from "../encoding";
import { log } from "../log";
import { type Identity, IdentitySchema } from "./identity";
import { remoteKeySet, verifyJwt } from "./jwt";
import { SCOPE_READ, SCOPE_WRITE } from "./scopes";

const GRANTABLE = [SCOPE_READ, SCOPE_WRITE];

/**
 * Delegated user tokens (Blockbrain's "User Token" mode): a JWT from a configured issuer,
 * verified with `jose` against that issuer's JWKS and audience, mapped to the same identity shape
 * as a signed-in user. Runs only for bearer tokens the provider did not issue. Off unless
 * configured; anything that does not verify is a plain 401.
 */
export function createExternalTokenResolver(
  config: Config,
): ((input: ResolveExternalTokenInput) => Promise<ResolveExternalTokenResult | null>) | undefined {
  const settings = config.externalToken;
  if (!settings) return undefined;
  const keys = remoteKeySet(settings.jwksUrl);
  return async ({ token }) => {
    let claims: Record<string, unknown>;
    try {
      claims = await verifyJwt(token, keys, { issuer: settings.issuer, audience: settings.audience });
    } catch (error) {
      log("warn", "external_token_rejected", { reason: error instanceof Error ? error.name : "unknown" });
      return null;
    }
    const identity = await externalIdentity(claims, settings.defaultScopes);
    return { props: identity, audience: config.mcpResource };
  };
}

async function externalIdentity(claims: Record<string, unknown>, defaultScopes: string[]): Promise<Identity> {
  const str = (name: string) => (typeof claims[name] === "string" && claims[name] !== "" ? (claims[name] as string) : undefined);
  const iss = str("iss") ?? "";
  const tenant = str("urn:zitadel:iam:org:id") ?? str("urn:zitadel:iam:user:resourceowner:id") ?? str("tid") ?? iss;
  const named = `${str("scope") ?? ""} ${str("scp") ?? ""}`.split(/\s+/).filter((s) => GRANTABLE.includes(s));
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === "string") : [];
  return IdentitySchema.parse({
    userKey: `ext.${await sha256Base64Url(`${iss}\n${str("sub")}`)}`,
    tenantId: tenant.toLowerCase(),
    ...(str("name") !== undefined && { displayName: str("name") }),
    ...(str("email") !== undefined && { email: str("email") }),
    roles,
    idp: "external-token",
    grantedScopes: named.length > 0 ? [...new Set(named)] : defaultScopes,
  });
}

import type { UpstreamConfig } from "../config/sign-in";
import { type Identity, IdentityError, identityFromClaims } from "./identity";
import { discover, exchangeCode, SignInError, type UpstreamTokens, verifyIdToken } from "./oidc-client";
import { tenantAllowed } from "./policy";

/**
 * The end of a sign-in at the identity provider, shared by the OAuth callback (src/http/signin.tsx)
 * and the upload form's sign-in (src/http/upload.tsx): the code exchanged, the id_token verified
 * against the leg's nonce, and the identity read from its claims.
 */
export async function upstreamIdentity(
  upstream: UpstreamConfig,
  code: string,
  leg: { verifier: string; nonce: string },
): Promise<{ identity: Identity; tokens: UpstreamTokens }> {
  const doc = await discover(upstream);
  const tokens = await exchangeCode(doc, upstream, code, leg.verifier);
  const claims = await verifyIdToken(doc, upstream, tokens.idToken, leg.nonce);
  return { identity: await identityFromClaims(upstream.kind, claims), tokens };
}

/** Refuses an identity whose tenant the server does not allow (ALLOWED_TENANT_IDS). */
export function refuseForeignTenant(upstream: UpstreamConfig, identity: Identity): void {
  if (!tenantAllowed(upstream, identity)) {
    throw new SignInError("tenant_not_allowed", `Your organisation (tenant ${identity.tenantId}) is not allowed to use this server.`, 403);
  }
}

/** The refusal a sign-in error stands for (a SignInError, or an identity without the claims it needs); undefined for anything else. */
export function signInRefusal(error: unknown): SignInError | undefined {
  if (error instanceof SignInError) return error;
  if (error instanceof IdentityError) return new SignInError("identity_incomplete", error.message);
  return undefined;
}

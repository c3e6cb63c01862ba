import { decodeJwt, errors, type JWTPayload } from "jose";
import { z } from "zod";
import type { UpstreamConfig } from "../config/sign-in";
import { isUuid } from "../domain/ids";
import { remoteKeySet, verifyJwt } from "./jwt";

/**
 * pandgate's own OIDC client towards the identity provider: discovery, the authorize redirect,
 * the code exchange and strict id_token verification. The MCP client's `resource` and scopes
 * never reach the provider; pandgate asks only for sign-in scopes.
 */

const FETCH_TIMEOUT_MS = 5_000;
const DISCOVERY_TTL_MS = 60 * 60 * 1000;

const DiscoverySchema = z.object({
  issuer: z.string().min(1),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
});
export type Discovery = z.infer<typeof DiscoverySchema>;

const TokenResponseSchema = z.object({ id_token: z.string().min(1), refresh_token: z.string().min(1).optional() });
const RefreshResponseSchema = z.object({ refresh_token: z.string().min(1).optional() });
const TokenErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

/**
 * Why a sign-in was refused. `message` is shown to the user; `reason` is a stable slug for logs.
 * Neither ever contains a token, a code or a secret.
 */
export class SignInError extends Error {
  override name = "SignInError";
  constructor(
    readonly reason: string,
    message: string,
    readonly status: 400 | 403 | 502 = 400,
  ) {
    super(message);
  }
}

const discoveryCache = new Map<string, { doc: Discovery; expires: number }>();
const keySets = new Map<string, ReturnType<typeof remoteKeySet>>();

async function fetchJson(url: string, init: RequestInit, what: string): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch {
    throw new SignInError("upstream_unreachable", `The identity provider could not be reached (${what}). Please try again later.`, 502);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new SignInError(
      "upstream_bad_response",
      `The identity provider answered the ${what} request with something that is not JSON.`,
      502,
    );
  }
  return { status: res.status, body };
}

/** The provider's discovery document, cached for an hour per URL. */
export async function discover(upstream: UpstreamConfig): Promise<Discovery> {
  const cached = discoveryCache.get(upstream.discoveryUrl);
  if (cached && cached.expires > Date.now()) return cached.doc;
  const { status, body } = await fetchJson(upstream.discoveryUrl, { headers: { accept: "application/json" } }, "discovery");
  const parsed = DiscoverySchema.safeParse(body);
  if (status !== 200 || !parsed.success) {
    throw new SignInError("discovery_invalid", "The identity provider's OpenID configuration could not be read.", 502);
  }
  discoveryCache.set(upstream.discoveryUrl, { doc: parsed.data, expires: Date.now() + DISCOVERY_TTL_MS });
  return parsed.data;
}

/** The URL that sends the browser to the provider. Carries no `resource` and none of the MCP client's scopes. */
export function authorizeUrl(
  doc: Discovery,
  upstream: UpstreamConfig,
  leg: { state: string; nonce: string; codeChallenge: string },
): string {
  const url = new URL(doc.authorization_endpoint);
  const params: Record<string, string> = {
    client_id: upstream.clientId,
    response_type: "code",
    response_mode: "query",
    redirect_uri: upstream.callbackUrl,
    scope: upstream.scopes.join(" "),
    state: leg.state,
    nonce: leg.nonce,
    code_challenge: leg.codeChallenge,
    code_challenge_method: "S256",
    ...upstream.authorizeParams,
  };
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}

/** What pandgate keeps from the provider's token response: the id_token, and a refresh token when it gave one. */
export interface UpstreamTokens {
  idToken: string;
  refreshToken?: string;
}

/** The token endpoint, with our client credentials (client_secret_post). */
async function tokenRequest(doc: Discovery, upstream: UpstreamConfig, grant: Record<string, string>, what: string) {
  const body = new URLSearchParams({ ...grant, client_id: upstream.clientId, client_secret: upstream.clientSecret });
  // No Origin header: Entra refuses client credentials on requests that carry one.
  return fetchJson(
    doc.token_endpoint,
    { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body },
    what,
  );
}

/** Redeems the provider's code (client_secret_post, our PKCE verifier). */
export async function exchangeCode(doc: Discovery, upstream: UpstreamConfig, code: string, verifier: string): Promise<UpstreamTokens> {
  const { status, body: answer } = await tokenRequest(
    doc,
    upstream,
    { grant_type: "authorization_code", code, redirect_uri: upstream.callbackUrl, code_verifier: verifier },
    "token",
  );
  const ok = TokenResponseSchema.safeParse(answer);
  if (status === 200 && ok.success) {
    return { idToken: ok.data.id_token, ...(ok.data.refresh_token !== undefined && { refreshToken: ok.data.refresh_token }) };
  }
  const error = TokenErrorSchema.safeParse(answer);
  const code_ = error.success ? error.data.error : `http_${status}`;
  throw new SignInError(
    `token_${code_}`,
    `The identity provider refused to complete the sign-in (${code_}). Please start again from your app.`,
    status >= 500 ? 502 : 400,
  );
}

/** The provider said no to a refresh: the account is disabled, its sessions were revoked, consent was withdrawn… */
export class UpstreamRefusedError extends Error {
  override name = "UpstreamRefusedError";
  constructor(readonly code: string) {
    super(`the identity provider refused the refresh (${code})`);
  }
}

/**
 * Asks the provider again whether this sign-in still stands, with the refresh token it gave:
 * resolves with the refresh token to keep (rotated, or the same), throws `UpstreamRefusedError`
 * when the provider refuses, and a `SignInError` (502) when it cannot be reached.
 */
export async function refreshUpstream(doc: Discovery, upstream: UpstreamConfig, refreshToken: string): Promise<string> {
  const { status, body: answer } = await tokenRequest(
    doc,
    upstream,
    { grant_type: "refresh_token", refresh_token: refreshToken, scope: upstream.scopes.join(" ") },
    "refresh",
  );
  const ok = RefreshResponseSchema.safeParse(answer);
  if (status === 200 && ok.success) return ok.data.refresh_token ?? refreshToken;
  const error = TokenErrorSchema.safeParse(answer);
  if (status >= 400 && status < 500 && error.success) throw new UpstreamRefusedError(error.data.error);
  throw new SignInError(`refresh_http_${status}`, "The identity provider could not confirm the sign-in; try again later.", 502);
}

/** For a multi-tenant Entra authority, the issuer and key set are the signing tenant's own. */
function tenantScoped(doc: Discovery, upstream: UpstreamConfig, unverified: JWTPayload): { issuer: string; jwksUri: string } {
  if (upstream.issuer) return { issuer: upstream.issuer, jwksUri: doc.jwks_uri };
  if (!doc.issuer.includes("{tenantid}")) return { issuer: doc.issuer, jwksUri: doc.jwks_uri };
  const tid = unverified.tid;
  if (typeof tid !== "string" || !isUuid(tid)) {
    throw new SignInError("tid_invalid", "The sign-in token does not name a valid tenant (tid).");
  }
  const jwks = new URL(doc.jwks_uri);
  jwks.pathname = jwks.pathname.replace(/^\/(organizations|common)\//, `/${tid}/`);
  return { issuer: doc.issuer.replace("{tenantid}", tid), jwksUri: jwks.toString() };
}

function keySet(uri: string): ReturnType<typeof remoteKeySet> {
  let set = keySets.get(uri);
  if (!set) {
    set = remoteKeySet(uri);
    keySets.set(uri, set);
  }
  return set;
}

/**
 * Verifies the id_token: signature by the provider's keys, issuer by the provider kind's rule,
 * audience = our client id, `exp`/`nbf`/`iat` within a minute of skew, and the nonce we sent.
 * Returns the verified claims; throws `SignInError` on any failure.
 */
export async function verifyIdToken(doc: Discovery, upstream: UpstreamConfig, idToken: string, nonce: string): Promise<JWTPayload> {
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(idToken);
  } catch {
    throw new SignInError("id_token_malformed", "The identity provider returned a malformed sign-in token.");
  }
  const { issuer, jwksUri } = tenantScoped(doc, upstream, unverified);
  let payload: JWTPayload;
  try {
    payload = await verifyJwt(idToken, keySet(jwksUri), { issuer, audience: upstream.clientId, requireIssuedAt: true });
  } catch (error) {
    throw describeJoseError(error);
  }
  if (payload.nonce !== nonce) {
    throw new SignInError("nonce_mismatch", "The sign-in token does not belong to this sign-in (nonce mismatch). Please start again.");
  }
  if (upstream.policy !== undefined) {
    const flow = typeof payload.tfp === "string" ? payload.tfp : typeof payload.acr === "string" ? payload.acr : undefined;
    if (flow?.toLowerCase() !== upstream.policy.toLowerCase()) {
      throw new SignInError("policy_mismatch", "The sign-in token was issued by a different user flow than the one started.");
    }
  }
  return payload;
}

function describeJoseError(error: unknown): SignInError {
  if (error instanceof errors.JWTExpired)
    return new SignInError("id_token_expired", "The sign-in token has expired. Please sign in again.");
  if (error instanceof errors.JWTClaimValidationFailed) {
    const what: Record<string, string> = {
      iss: "was issued by an identity provider or tenant this server does not trust (issuer)",
      aud: "was issued for a different application (audience)",
      nbf: "is not valid yet (nbf)",
      iat: "has an invalid issue time (iat)",
      sub: "names no subject (sub)",
      exp: "has no expiry (exp)",
    };
    return new SignInError(`id_token_${error.claim}`, `The sign-in token ${what[error.claim] ?? `failed the ${error.claim} check`}.`);
  }
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return new SignInError("id_token_signature", "The sign-in token's signature could not be verified with the identity provider's keys.");
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new SignInError("id_token_invalid", "The identity provider returned an invalid sign-in token.");
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return new SignInError("jwks_unavailable", "The identity provider's signing keys could not be loaded. Please try again later.", 502);
  }
  return new SignInError("id_token_invalid", "The sign-in token could not be verified.");
}

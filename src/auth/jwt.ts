import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";

/**
 * The JWT rules every token pandgate verifies itself shares: the sign-in id_token
 * (`oidc-client.ts`) and delegated user tokens (`external-token.ts`). Each caller adds its own
 * issuer and audience and maps failures to its own errors; jose's errors pass through unchanged.
 */

/** Asymmetric algorithms only: never `none`, never an HMAC keyed with something public. */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256"];
/** Clock skew allowed on `exp`/`nbf`/`iat`. */
const CLOCK_TOLERANCE_S = 60;
/** Key sets: kept a day, refetched at once for an unknown `kid`, but at most every 5 minutes. */
const JWKS_OPTIONS = { cacheMaxAge: 24 * 60 * 60 * 1000, cooldownDuration: 5 * 60 * 1000, timeoutDuration: 5_000 };

/** A remote key set (JWKS) with pandgate's caching and refetch rules. */
export function remoteKeySet(url: string): ReturnType<typeof createRemoteJWKSet> {
  return createRemoteJWKSet(new URL(url), JWKS_OPTIONS);
}

export interface JwtExpectations {
  issuer: string;
  audience: string;
  /** Also require `iat` (OpenID Connect id_tokens carry it); `exp` and `sub` are always required. */
  requireIssuedAt?: boolean;
}

/**
 * Verifies signature, algorithm, issuer, audience and time claims with a minute of skew, and
 * returns the payload. Throws jose's own errors.
 */
export async function verifyJwt(token: string, keys: JWTVerifyGetKey, expected: JwtExpectations): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, keys, {
    issuer: expected.issuer,
    audience: expected.audience,
    algorithms: ALGORITHMS,
    clockTolerance: CLOCK_TOLERANCE_S,
    // jose checks this list from its end, so the order decides which missing claim is reported.
    requiredClaims: ["exp", ...(expected.requireIssuedAt ? ["iat"] : []), "sub"],
  });
  return payload;
}

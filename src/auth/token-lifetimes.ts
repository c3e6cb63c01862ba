import {
  GrantType,
  OAuthError,
  type TokenExchangeCallbackOptions,
  type TokenExchangeCallbackResult,
} from "@cloudflare/workers-oauth-provider";
import { SCOPE_OFFLINE } from "./scopes";

/**
 * How long pandgate's tokens live, and why:
 * - an access token for an hour (the library's default): a stolen one is useful briefly, and every
 *   request re-reads the grant's identity and scopes;
 * - a refresh token only with `offline_access`, for at most 7 days without use (idle) and 30 days
 *   from sign-in in all (absolute), after which the person signs in again through their identity
 *   provider, which is when an organisation's "disabled" or "signed out everywhere" takes hold.
 */
export const ACCESS_TOKEN_TTL_S = 60 * 60;
export const REFRESH_IDLE_TTL_S = 7 * 24 * 60 * 60;
export const REFRESH_ABSOLUTE_TTL_S = 30 * 24 * 60 * 60;
/** The KV floor the library enforces on every TTL. */
const MIN_TTL_S = 60;

/** Props key under which the grant remembers when its sign-in happened (epoch seconds). */
const SIGNED_IN_AT = "signedInAt";

/**
 * The token endpoint's lifetime rules, as the library's `tokenExchangeCallback`. On the code
 * exchange: no refresh token without `offline_access`, else one that lasts the absolute lifetime
 * (the grant remembers its sign-in time). On each refresh: the idle timeout, never past the
 * absolute end; at the end the refresh is refused (`invalid_grant`, which revokes the grant).
 */
export function tokenLifetimes(
  options: TokenExchangeCallbackOptions,
  now = Math.floor(Date.now() / 1000),
): TokenExchangeCallbackResult | undefined {
  const props = (options.props ?? {}) as Record<string, unknown>;
  if (options.grantType === GrantType.AUTHORIZATION_CODE) {
    if (!options.scope.includes(SCOPE_OFFLINE)) return { refreshTokenTTL: 0 };
    return { refreshTokenTTL: REFRESH_ABSOLUTE_TTL_S, newProps: { ...props, [SIGNED_IN_AT]: now } };
  }
  if (options.grantType === GrantType.REFRESH_TOKEN) {
    const signedInAt = typeof props[SIGNED_IN_AT] === "number" ? (props[SIGNED_IN_AT] as number) : now;
    const left = signedInAt + REFRESH_ABSOLUTE_TTL_S - now;
    if (left < MIN_TTL_S) {
      throw new OAuthError("invalid_grant", { description: "This sign-in has reached its 30-day limit; sign in again" });
    }
    return { refreshTokenIdleTTL: Math.min(REFRESH_IDLE_TTL_S, left) };
  }
  return undefined;
}

import {
  GrantType,
  OAuthError,
  type TokenExchangeCallbackOptions,
  type TokenExchangeCallbackResult,
} from "@cloudflare/workers-oauth-provider";
import { type AuditInput, reasonSlug } from "../audit/events";
import { recordAudit } from "../audit/record";
import type { UpstreamConfig } from "../config/sign-in";
import { log } from "../log";
import { discover, refreshUpstream, SignInError, UpstreamRefusedError } from "./oidc-client";
import { SCOPE_OFFLINE } from "./scopes";

/**
 * How long pandgate's tokens live, and why:
 * - an access token for an hour (the library's default): a stolen one is useful briefly, and every
 *   request re-reads the grant's identity and scopes;
 * - a refresh token only with `offline_access`, for at most 7 days without use (idle) and 30 days
 *   from sign-in in all (absolute), after which the person signs in again;
 * - and every refresh of ours first refreshes at the identity provider: a user the organisation
 *   disabled, or whose sessions it revoked, loses access at the next refresh (within the hour).
 */
export const ACCESS_TOKEN_TTL_S = 60 * 60;
export const REFRESH_IDLE_TTL_S = 7 * 24 * 60 * 60;
export const REFRESH_ABSOLUTE_TTL_S = 30 * 24 * 60 * 60;
/** The KV floor the library enforces on every TTL. */
const MIN_TTL_S = 60;

/** Props key under which the grant remembers when its sign-in happened (epoch seconds). */
const SIGNED_IN_AT = "signedInAt";
/** Props key of the identity provider's refresh token (encrypted with the grant; never sent to a client). */
export const UPSTREAM_REFRESH_TOKEN = "upstreamRefreshToken";

type Props = Record<string, unknown>;

/** What an access token carries: the grant's props without the provider's refresh token. */
function forAccessToken(props: Props): Props {
  const { [UPSTREAM_REFRESH_TOKEN]: _upstream, ...rest } = props;
  return rest;
}

/**
 * The token endpoint's rules, as the library's `tokenExchangeCallback`. On the code exchange: no
 * refresh token without `offline_access`, else one that lasts the absolute lifetime (the grant
 * remembers its sign-in time). On each refresh: the identity provider is asked first (refused →
 * `invalid_grant`, which revokes the grant; unreachable → `temporarily_unavailable`, which keeps
 * it), then the idle timeout applies, never past the absolute end.
 */
export function createTokenRules(upstream: UpstreamConfig | undefined) {
  return async function tokenRules(
    options: TokenExchangeCallbackOptions,
    now = Math.floor(Date.now() / 1000),
  ): Promise<TokenExchangeCallbackResult | undefined> {
    const props = (options.props ?? {}) as Props;
    const audit = tokenAudit(options);
    if (options.grantType === GrantType.AUTHORIZATION_CODE) {
      const refresh = options.scope.includes(SCOPE_OFFLINE);
      audit({ kind: "token.issued", outcome: "success" }, { refreshToken: refresh });
      if (!refresh) return { refreshTokenTTL: 0, accessTokenProps: forAccessToken(props) };
      return {
        refreshTokenTTL: REFRESH_ABSOLUTE_TTL_S,
        newProps: { ...props, [SIGNED_IN_AT]: now },
        accessTokenProps: forAccessToken(props),
      };
    }
    if (options.grantType !== GrantType.REFRESH_TOKEN) return undefined;
    const signedInAt = typeof props[SIGNED_IN_AT] === "number" ? (props[SIGNED_IN_AT] as number) : now;
    const left = signedInAt + REFRESH_ABSOLUTE_TTL_S - now;
    if (left < MIN_TTL_S) {
      audit({ kind: "token.refresh_failed", outcome: "denied", reason: "absolute_lifetime_reached" });
      throw new OAuthError("invalid_grant", { description: "This sign-in has reached its 30-day limit; sign in again" });
    }
    const next = { ...props };
    const upstreamToken = props[UPSTREAM_REFRESH_TOKEN];
    if (upstream && typeof upstreamToken === "string") {
      next[UPSTREAM_REFRESH_TOKEN] = await askProvider(upstream, upstreamToken, options.clientId, audit);
    }
    audit({ kind: "token.refreshed", outcome: "success" });
    return { refreshTokenIdleTTL: Math.min(REFRESH_IDLE_TTL_S, left), newProps: next, accessTokenProps: forAccessToken(next) };
  };
}

type TokenAudit = (event: Pick<AuditInput, "kind" | "outcome" | "reason">, details?: AuditInput["details"]) => void;

/**
 * Records what the token endpoint did with this grant (`token.issued`, `token.refreshed`,
 * `token.refresh_failed`), and notes on the request that it did, so the endpoint's own record of
 * refusals (src/http/token-endpoint.ts) does not count the same request twice.
 */
function tokenAudit(options: TokenExchangeCallbackOptions): TokenAudit {
  const props = (options.props ?? {}) as Props;
  const tenantId = typeof props.tenantId === "string" ? props.tenantId : undefined;
  return (event, details = {}) => {
    recordAudit(options.env, {
      ...event,
      actor: "client",
      clientId: options.clientId,
      userKey: options.userId,
      ...(tenantId !== undefined && { tenantId }),
      details: { grantId: options.grantId, grantType: options.grantType, scopes: options.scope, ...details },
    });
    markTokenRequestAudited(options.env);
  };
}

/**
 * The token endpoint hands the library an `env` that carries a per-request note (the library
 * passes `env` on to this callback); the callback marks it when it recorded the request.
 */
const AUDITED = Symbol.for("pandgate.token-request-audited");
type NotedEnv = { [AUDITED]?: { audited: boolean } };

/** A copy of `env` for one token request, with a fresh note; `wasAudited` reads it afterwards. */
export function withTokenAuditNote<E extends object>(env: E): { env: E; wasAudited: () => boolean } {
  const note = { audited: false };
  return { env: { ...env, [AUDITED]: note }, wasAudited: () => note.audited };
}

function markTokenRequestAudited(env: unknown): void {
  const note = (env as NotedEnv | undefined)?.[AUDITED];
  if (note) note.audited = true;
}

/** The provider's verdict on the sign-in, as the refresh token to keep, or the OAuth error to answer. */
async function askProvider(upstream: UpstreamConfig, refreshToken: string, clientId: string, audit: TokenAudit): Promise<string> {
  try {
    return await refreshUpstream(await discover(upstream), upstream, refreshToken);
  } catch (error) {
    if (error instanceof UpstreamRefusedError) {
      log("warn", "upstream_refresh_refused", { clientId, reason: error.code });
      audit({ kind: "token.refresh_failed", outcome: "denied", reason: reasonSlug(`upstream_${error.code}`) ?? "upstream_refused" });
      throw new OAuthError("invalid_grant", {
        description: "Your organisation's identity provider ended this sign-in (the account may be disabled or signed out); sign in again",
      });
    }
    if (error instanceof SignInError) {
      log("warn", "upstream_refresh_unavailable", { clientId, reason: error.reason });
      audit({ kind: "token.refresh_failed", outcome: "failure", reason: "upstream_unavailable" });
      throw new OAuthError("temporarily_unavailable", {
        description: "The identity provider could not be reached to confirm the sign-in; try again shortly",
        statusCode: 503,
        headers: { "Retry-After": "30" },
      });
    }
    throw error;
  }
}

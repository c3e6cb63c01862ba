import {
  AuthorizationError,
  type AuthRequest,
  authorizationErrorRedirect,
  CimdFetchError,
  type OAuthHelpers,
} from "@cloudflare/workers-oauth-provider";
import type { Context, Hono } from "hono";
import { type AuditInput, reasonSlug } from "../audit/events";
import { clientAddress, recordAudit } from "../audit/record";
import { authorizeUrl, discover, SignInError } from "../auth/oidc-client";
import { clientTenantAllowed, clientTenants } from "../auth/policy";
import { RESOURCE_SCOPES, SCOPE_OFFLINE, SCOPE_READ, SUPPORTED_SCOPES } from "../auth/scopes";
import { UPSTREAM_REFRESH_TOKEN } from "../auth/token-lifetimes";
import { refuseForeignTenant, signInRefusal, upstreamIdentity } from "../auth/upstream-sign-in";
import type { Config } from "../config";
import type { UpstreamConfig } from "../config/sign-in";
import { base64url, sha256Base64Url } from "../encoding";
import { log } from "../log";
import { readFormBody } from "../request-body";
import { ConsentPage } from "./consent";
import { MessagePage } from "./pages";

type AppContext = Context<{ Bindings: Env }>;
interface UpstreamLeg {
  verifier: string;
  nonce: string;
  /** How consent was given: on the page, or remembered for this browser and app (for the audit trail). */
  consent?: "given" | "remembered";
}

/** Records a sign-in event for the request `c` answers; the client's address goes along. */
function audit(c: AppContext, event: Omit<AuditInput, "actor">): void {
  const ip = clientAddress(c.req.raw);
  recordAudit(c.env, { actor: "user", ...event, details: { ...event.details, ...(ip && { ip }) } });
}

const PROVIDER_NAMES: Record<UpstreamConfig["kind"], string> = {
  entra: "your organisation's Microsoft account (Entra ID)",
  b2c: "your account (Azure AD B2C)",
  "external-id": "your account (Microsoft Entra External ID)",
  oidc: "your organisation's identity provider",
};

/** What `POST /authorize` answers to a body that is not the consent form, by what is wrong with it. */
const CONSENT_BODY_STATUS = { unsupported_type: 415, too_large: 413, malformed: 400 } as const;

function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function withHeaders(response: Response, headers: Headers): Response {
  for (const [name, value] of headers) {
    if (name.toLowerCase() === "set-cookie") response.headers.append(name, value);
    else response.headers.set(name, value);
  }
  return response;
}

/**
 * `/authorize` and `/oauth/callback`: consent per client, then our own OIDC leg to the identity
 * provider, then the grant. The library's helpers hold the request between steps, bind every
 * step to the browser and make each handle and state single-use.
 */
/** An RFC 8252 private-use scheme redirect (`cursor://…`, `com.example.app:/cb`): a desktop or mobile app. */
export function isPrivateUseRedirect(redirectUri: string): boolean {
  const scheme = URL.canParse(redirectUri) ? new URL(redirectUri).protocol : "";
  return scheme !== "" && scheme !== "https:" && scheme !== "http:";
}

/**
 * What the consent page ticks: what the client asked for, or, when it named nothing of ours,
 * everything the resource advertises; and "Stay signed in" (`offline_access`) for a client that
 * registered the refresh-token grant. `mcp:read` is always part of a grant.
 *
 * Why the last rule: clients take the scope of the 401 challenge literally (the MCP scope
 * selection strategy), and that challenge names only the resource's scopes (`mcp:read mcp:write`,
 * never `offline_access`, which is the authorization server's). Ticking only what was asked left
 * such clients (the v1 SDK, Claude) without a refresh token, signing in again every hour, although
 * they registered to use one. The person may still untick it.
 */
export function preselectedScopes(requested: readonly string[], refreshCapable: boolean): string[] {
  const known = requested.filter((scope) => (SUPPORTED_SCOPES as readonly string[]).includes(scope));
  return [...new Set([SCOPE_READ, ...(known.length > 0 ? known : RESOURCE_SCOPES), ...(refreshCapable ? [SCOPE_OFFLINE] : [])])];
}

/** Whether the client registered the refresh-token grant (RFC 7591 `grant_types`). */
async function refreshCapable(oauth: OAuthHelpers, clientId: string): Promise<boolean> {
  const client = await oauth.lookupClient(clientId);
  return client?.grantTypes?.includes("refresh_token") ?? false;
}

export function mountSignIn(app: Hono<{ Bindings: Env }>, config: Config): void {
  const upstream = config.upstream;
  if (!upstream) {
    const notConfigured = async (c: AppContext) =>
      await c.html(
        <MessagePage
          title="Sign-in is not configured"
          message="This pandgate server has no identity provider configured yet, so nobody can sign in."
          detail="An operator sets the Microsoft Entra ID, Azure AD B2C or Entra External ID settings; see “Registering pandgate with Microsoft” in docs/operating.md."
        />,
        503,
      );
    app.on(["GET", "POST"], "/authorize", notConfigured);
    app.get("/oauth/callback", notConfigured);
    return;
  }
  const cookieSecret = config.cookieSecret ?? "";
  const offered = [...SUPPORTED_SCOPES];

  const page = async (
    c: AppContext,
    status: 400 | 403 | 413 | 415 | 502 | 503,
    title: string,
    message: string,
    action?: { href: string; label: string },
  ) =>
    await c.html(<MessagePage title={title} message={message} action={action} />, status, {
      "cache-control": "no-store",
    });

  /** Starts the identity provider leg for an approved request. */
  async function startUpstream(
    oauth: OAuthHelpers,
    request: AuthRequest,
    consent: UpstreamLeg["consent"],
    headers?: Headers,
  ): Promise<Response> {
    const doc = await discover(upstream as UpstreamConfig);
    const leg: UpstreamLeg = { verifier: randomToken(48), nonce: randomToken(24), consent };
    const begun = await oauth.beginUpstream(request, { data: leg, ...(headers && { headers }) });
    const location = authorizeUrl(doc, upstream as UpstreamConfig, {
      state: begun.state,
      nonce: leg.nonce,
      codeChallenge: await sha256Base64Url(leg.verifier),
    });
    begun.headers.set("location", location);
    return new Response(null, { status: 302, headers: begun.headers });
  }

  /**
   * The identity provider could not be reached or answered with nonsense: the client and its
   * redirect URI were already validated, so it gets the standard `temporarily_unavailable` error
   * (RFC 6749 §4.1.2.1) with its `state` and `iss`, and can offer to try again. Nothing is kept.
   */
  function upstreamUnavailable(c: AppContext, request: AuthRequest, error: SignInError, headers?: Headers): Response {
    log("warn", "signin_upstream_unavailable", { reason: error.reason, clientId: request.clientId });
    audit(c, {
      kind: "signin.failed",
      outcome: "failure",
      reason: "idp_unavailable",
      clientId: request.clientId,
      details: { scopes: request.scope.slice(0, 16) },
    });
    const location = authorizationErrorRedirect(
      request,
      "temporarily_unavailable",
      "The identity provider could not be reached; please try again in a moment",
    );
    const answer = new Headers({ location, "cache-control": "no-store" });
    // Only the transaction cookies the library clears (Max-Age=0) go along; no "remember" cookie.
    for (const cookie of headers?.getSetCookie() ?? []) if (/;\s*max-age=0/i.test(cookie)) answer.append("set-cookie", cookie);
    return new Response(null, { status: 302, headers: answer });
  }

  /** Starts the identity provider leg, or sends the client `temporarily_unavailable` when the provider is down. */
  async function startOrUnavailable(
    c: AppContext,
    request: AuthRequest,
    consent: UpstreamLeg["consent"],
    headers?: Headers,
  ): Promise<Response> {
    try {
      return await startUpstream(c.env.OAUTH_PROVIDER, request, consent, headers);
    } catch (error) {
      if (error instanceof SignInError && error.status === 502) return upstreamUnavailable(c, request, error, headers);
      throw error;
    }
  }

  /** Errors before the client and its redirect URI are trusted are shown here, never redirected. */
  async function authorizeFailure(c: AppContext, error: unknown): Promise<Response> {
    if (error instanceof AuthorizationError || error instanceof CimdFetchError) {
      const clientId = new URL(c.req.url).searchParams.get("client_id")?.slice(0, 512);
      audit(c, {
        kind: "authorization.rejected",
        outcome: "error",
        reason: error instanceof CimdFetchError ? "client_metadata_unavailable" : (reasonSlug(error.code) ?? "invalid_request"),
        ...(clientId && { clientId }),
      });
    }
    if (error instanceof AuthorizationError && error.redirectTo) return c.redirect(error.redirectTo, 302);
    if (error instanceof AuthorizationError) {
      return page(c, 400, "This sign-in request cannot be used", `${error.description}. Start the sign-in again from your app.`);
    }
    if (error instanceof CimdFetchError) {
      return page(c, 400, "This app could not be verified", "The app's client metadata document could not be fetched or is invalid.");
    }
    if (error instanceof SignInError) return page(c, error.status, "Sign-in is unavailable", error.message);
    throw error;
  }

  app.get("/authorize", async (c) => {
    const oauth = c.env.OAUTH_PROVIDER;
    try {
      const request = await oauth.parseAuthRequest(c.req.raw);
      if (isPrivateUseRedirect(request.redirectUri) && !request.codeChallenge) {
        // A private-use scheme can be claimed by any app on the device; only PKCE binds the code to
        // the app that asked for it (RFC 8252 §8.1).
        audit(c, { kind: "authorization.rejected", outcome: "error", reason: "pkce_required", clientId: request.clientId });
        return c.redirect(
          authorizationErrorRedirect(request, "invalid_request", "PKCE (code_challenge with S256) is required for an app redirect URI"),
          302,
        );
      }
      const details = await oauth.describeConsent(request);
      const wantsRefresh = await refreshCapable(oauth, request.clientId);
      // `prompt=consent` (OpenID Connect, also sent by MCP SDKs asking for offline_access) always shows the page.
      const prompt = new URL(c.req.url).searchParams.get("prompt")?.split(" ") ?? [];
      if (!prompt.includes("consent")) {
        const remember = { secret: cookieSecret };
        // A remembered approval that kept "Stay signed in" keeps it for a refresh-capable client
        // asking only for the challenge's scopes, as the page would have ticked it.
        const withOffline = { ...request, scope: [...new Set([...request.scope, SCOPE_OFFLINE])] };
        if (wantsRefresh && !request.scope.includes(SCOPE_OFFLINE) && (await oauth.isConsentRemembered(c.req.raw, withOffline, remember))) {
          return await startOrUnavailable(c, withOffline, "remembered");
        }
        if (await oauth.isConsentRemembered(c.req.raw, request, remember)) return await startOrUnavailable(c, request, "remembered");
      }
      const consent = await oauth.beginConsent(request);
      const response = await c.html(
        <ConsentPage
          details={details}
          handle={consent.handle}
          offered={offered}
          preselected={preselectedScopes(request.scope, wantsRefresh)}
          desktopApp={isPrivateUseRedirect(request.redirectUri)}
          identityProvider={PROVIDER_NAMES[upstream.kind]}
        />,
      );
      return withHeaders(response, consent.headers);
    } catch (error) {
      return authorizeFailure(c, error);
    }
  });

  app.post("/authorize", async (c) => {
    const oauth = c.env.OAUTH_PROVIDER;
    try {
      // Only the consent page's own form is read, within its bound; anything else gets a page saying so.
      const body = await readFormBody(c.req.raw);
      if (!body.ok) {
        log("warn", "consent_body_unreadable", { problem: body.problem });
        return page(
          c,
          CONSENT_BODY_STATUS[body.problem],
          "This answer cannot be read",
          `The answer to the consent page could not be read: ${body.message}. Nothing was approved or changed; start the sign-in again from your app.`,
        );
      }
      const form = body.form;
      const handle = String(form.get("handle") ?? "");
      if (form.get("decision") !== "approve") {
        const denied = await oauth.denyConsent(c.req.raw, handle, { description: "The user declined" });
        audit(c, {
          kind: "authorization.denied",
          outcome: "denied",
          reason: "user_declined",
          clientId: denied.request.clientId,
          details: { scopes: denied.request.scope.slice(0, 16) },
        });
        return new Response(null, { status: 302, headers: denied.headers });
      }
      const chosen = new Set(form.getAll("scope").map(String));
      chosen.add(SCOPE_READ);
      const scope = SUPPORTED_SCOPES.filter((s) => chosen.has(s));
      const remember = form.get("remember") === "yes" ? { secret: cookieSecret } : undefined;
      const approved = await oauth.approveConsent(c.req.raw, handle, { scope, ...(remember && { remember }) });
      return await startOrUnavailable(c, approved.request, "given", approved.headers);
    } catch (error) {
      return authorizeFailure(c, error);
    }
  });

  app.get("/oauth/callback", async (c) => {
    const oauth = c.env.OAUTH_PROVIDER;
    let resumed: Awaited<ReturnType<OAuthHelpers["finishUpstream"]>>;
    try {
      resumed = await oauth.finishUpstream<UpstreamLeg>(c.req.raw);
    } catch (error) {
      if (error instanceof AuthorizationError) {
        // Expired, replayed, or from another browser: the state did not match a started sign-in.
        audit(c, { kind: "signin.failed", outcome: "error", reason: "callback_state_invalid" });
        return page(
          c,
          400,
          "This sign-in link cannot be used",
          "It has expired, was already used, or was opened in a different browser than the one that started the sign-in. Start again from your app.",
        );
      }
      throw error;
    }
    const { request, headers } = resumed;
    const leg = resumed.data as UpstreamLeg;
    const url = new URL(c.req.url);
    const deny = (description: string) => authorizationErrorRedirect(request, "access_denied", description);
    const upstreamError = url.searchParams.get("error");
    const code = url.searchParams.get("code");
    if (upstreamError || !code) {
      log("warn", "signin_upstream_error", { error: upstreamError ?? "missing_code", clientId: request.clientId });
      audit(c, {
        kind: "signin.failed",
        outcome: upstreamError === "access_denied" ? "denied" : "failure",
        reason: reasonSlug(`idp_${upstreamError ?? "missing_code"}`) ?? "idp_error",
        clientId: request.clientId,
      });
      const location =
        upstreamError === "temporarily_unavailable" || upstreamError === "server_error"
          ? authorizationErrorRedirect(
              request,
              "temporarily_unavailable",
              "The identity provider is unavailable; please try again in a moment",
            )
          : deny(
              upstreamError === "access_denied" ? "The user declined at the identity provider" : "Sign-in at the identity provider failed",
            );
      headers.set("location", location);
      return new Response(null, { status: 302, headers });
    }
    /** The signed-in user's tenant and key, once the id_token was verified (for the refusal's log and audit). */
    let tenantId: string | undefined;
    let userKey: string | undefined;
    try {
      const { identity, tokens } = await upstreamIdentity(upstream, code, leg);
      tenantId = identity.tenantId;
      userKey = identity.userKey;
      refuseForeignTenant(upstream, identity);
      // A client the operator bound to tenants (`npm run clients -- create --tenant …`) serves only those.
      if (!clientTenantAllowed(await clientTenants(c.env.OAUTH_KV, request.clientId), identity)) {
        throw new SignInError(
          "client_tenant_not_allowed",
          `This app is set up for another organisation: users of your organisation (tenant ${identity.tenantId}) cannot sign in through it. Ask your administrator which app your organisation should use.`,
          403,
        );
      }
      const { redirectTo } = await oauth.completeAuthorization({
        request,
        userId: identity.userKey,
        metadata: { idp: identity.idp, tenantId: identity.tenantId },
        scope: request.scope,
        // The provider's refresh token rides in the grant's encrypted props, so each refresh of
        // ours asks the provider again (src/auth/token-lifetimes.ts); it never reaches a client.
        props: { ...identity, ...(tokens.refreshToken !== undefined && { [UPSTREAM_REFRESH_TOKEN]: tokens.refreshToken }) },
      });
      log("info", "signin_completed", { clientId: request.clientId, idp: identity.idp, tenantId: identity.tenantId });
      audit(c, {
        kind: "authorization.allowed",
        outcome: "success",
        clientId: request.clientId,
        userKey: identity.userKey,
        tenantId: identity.tenantId,
        details: { scopes: request.scope.slice(0, 16), consent: leg.consent ?? "given" },
      });
      headers.set("location", redirectTo);
      return new Response(null, { status: 302, headers });
    } catch (error) {
      const refusal = signInRefusal(error);
      if (!refusal) throw error;
      if (refusal.status === 502) return upstreamUnavailable(c, request, refusal, headers);
      log("warn", "signin_refused", { reason: refusal.reason, clientId: request.clientId, tenantId });
      audit(c, {
        kind: "signin.failed",
        outcome: refusal.status === 403 ? "denied" : "failure",
        reason: reasonSlug(refusal.reason) ?? "signin_refused",
        clientId: request.clientId,
        ...(tenantId !== undefined && { tenantId }),
        ...(userKey !== undefined && { userKey }),
      });
      const response = await page(c, refusal.status, "Sign-in refused", refusal.message, {
        href: deny(refusal.message),
        label: "Return to the app",
      });
      return withHeaders(response, headers);
    }
  });
}

import type { OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { type AuditInput, reasonSlug } from "../audit/events";
import { clientAddress, recordAudit } from "../audit/record";
import { guardRefresh, oauthErrorCode, presentingClient } from "../auth/refresh-reuse";
import { withTokenAuditNote } from "../auth/token-lifetimes";
import { mediaType, readFormBody } from "../request-body";
import { oauthError } from "./oauth-error";

/**
 * The token endpoint (`/oauth/token`, also the RFC 7009 revocation endpoint) around the library:
 * the form is read once (within `MAX_FORM_BYTES`, else 413), refreshes go through reuse detection (../auth/refresh-reuse.ts), and each
 * request leaves one audit event:
 * - issue, refresh and refresh failures are recorded by the token rules (../auth/token-lifetimes.ts),
 *   which see the grant's identity;
 * - a detected reuse here (`token.reuse_detected`), a revocation (`token.revoked`), and every other
 *   refusal (`token.rejected`, with the OAuth error code as the reason).
 */

export interface TokenEndpointDeps {
  kv: KVNamespace;
  helpers: () => OAuthHelpers;
  /** The library, with the `env` it should pass on (it carries the per-request audit note). */
  next: (request: Request, env: Env) => Promise<Response>;
}

/** Errors that say the request itself was malformed rather than refused. */
const MALFORMED = new Set(["invalid_request", "unsupported_grant_type"]);

/** Where a token request came from, for its audit event. */
function origin(request: Request, form: URLSearchParams): Pick<AuditInput, "clientId"> & { ip?: string } {
  const clientId = presentingClient(request, form)?.slice(0, 512);
  const ip = clientAddress(request);
  return { ...(clientId && { clientId }), ...(ip && { ip }) };
}

/** The user and grant a pandgate token names (`user:grant:secret`), without its secret. */
function tokenOwner(token: string | null): { userId: string; grantId: string } | undefined {
  const parts = token?.split(":") ?? [];
  if (parts.length !== 3 || !parts[0] || !parts[1]) return undefined;
  return { userId: parts[0], grantId: parts[1] };
}

/** An RFC 7009 revocation: a revoked token of a grant that existed is recorded, with its tenant. */
async function revoke(request: Request, form: URLSearchParams, env: Env, deps: TokenEndpointDeps): Promise<Response> {
  const owner = tokenOwner(form.get("token"));
  const grant = owner ? await deps.kv.get<{ metadata?: { tenantId?: unknown } }>(`grant:${owner.userId}:${owner.grantId}`, "json") : null;
  const response = await deps.next(request, env);
  if (owner && grant && response.ok) {
    const { ip, ...from } = origin(request, form);
    const tenantId = typeof grant.metadata?.tenantId === "string" ? grant.metadata.tenantId : undefined;
    recordAudit(env, {
      kind: "token.revoked",
      outcome: "success",
      actor: "client",
      ...from,
      userKey: owner.userId,
      ...(tenantId !== undefined && { tenantId }),
      details: { grantId: owner.grantId, ...(ip && { ip }) },
    });
  }
  return response;
}

export async function serveTokenEndpoint(request: Request, env: Env, deps: TokenEndpointDeps): Promise<Response> {
  // Anything but a form POST is the library's to refuse (400 invalid_request, read nothing).
  if (request.method !== "POST" || mediaType(request.headers.get("content-type")) !== "application/x-www-form-urlencoded") {
    return deps.next(request, env);
  }
  const read = await readFormBody(request);
  if (!read.ok) {
    const ip = clientAddress(request);
    recordAudit(env, {
      kind: "token.rejected",
      outcome: "error",
      reason: "invalid_request",
      actor: "client",
      details: { ...(ip && { ip }) },
    });
    return oauthError(
      request,
      read.problem === "too_large" ? 413 : 400,
      "invalid_request",
      `The token request cannot be read: ${read.message}`,
    );
  }
  const { text: body, form } = read;
  const replay = new Request(request, { body });
  const grantType = form.get("grant_type");
  if (grantType === null && form.has("token")) return revoke(replay, form, env, deps);

  const noted = withTokenAuditNote(env);
  let reused = false;
  const response = await guardRefresh(
    replay,
    form,
    {
      kv: deps.kv,
      helpers: deps.helpers,
      onReuse: ({ userId, grantId, clientId, tenantId }) => {
        reused = true;
        const ip = clientAddress(request);
        recordAudit(env, {
          kind: "token.reuse_detected",
          outcome: "denied",
          reason: "refresh_token_reuse",
          actor: "client",
          clientId,
          userKey: userId,
          ...(tenantId !== undefined && { tenantId }),
          details: { grantId, grantType: "refresh_token", ...(ip && { ip }) },
        });
      },
    },
    (forwarded) => deps.next(forwarded, noted.env),
  );
  if (!response.ok && !reused && !noted.wasAudited()) {
    const code = reasonSlug(await oauthErrorCode(response)) ?? `http_${response.status}`;
    const { ip, ...from } = origin(request, form);
    recordAudit(env, {
      kind: "token.rejected",
      outcome: MALFORMED.has(code) ? "error" : response.status >= 500 ? "failure" : "denied",
      reason: code,
      actor: "client",
      ...from,
      details: { ...(grantType && { grantType: grantType.slice(0, 64) }), ...(ip && { ip }) },
    });
  }
  return response;
}

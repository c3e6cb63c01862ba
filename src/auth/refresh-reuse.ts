import type { OAuthHelpers } from "@cloudflare/workers-oauth-provider";
import { basicAuthUser } from "../encoding";
import { log } from "../log";

/**
 * Refresh-token reuse detection (RFC 9700 §4.14.2, OAuth 2.1 §4.3.1). The library rotates refresh
 * tokens and keeps the immediate predecessor usable until its successor is used (a grace for a
 * client whose answer was lost). What it does not do is notice a token that was rotated out being
 * presented again, which means two parties hold the grant's tokens: then the whole grant is revoked,
 * so every token of it stops at once and the person signs in again.
 *
 * How: around each refresh at the token endpoint, the grant's current and previous token hashes
 * are read before the library runs; after a successful rotation, the ones it let go are remembered
 * as retired for the grant. A refresh the library refuses whose token is one of those, presented
 * by the grant's own client, revokes the grant. A token that was never issued, or that another
 * client presents, is refused by the library and revokes nothing: guessing cannot lock anyone out.
 */

/** What the library keeps of a grant in KV (`grant:{userId}:{grantId}`), as far as this needs. */
interface StoredGrant {
  clientId: string;
  refreshTokenId?: string;
  previousRefreshTokenId?: string;
  expiresAt?: number;
  /** What the sign-in put there (src/http/signin.tsx): the tenant, for the audit trail. */
  metadata?: { tenantId?: unknown };
}

const RETIRED_PREFIX = "pandgate:retired-refresh:";
/** Retired hashes kept per grant; a grant rotates at most this often within its lifetime in practice. */
const MAX_RETIRED = 200;
/** How long retired hashes are kept when the grant has no expiry of its own. */
const DEFAULT_KEEP_S = 30 * 24 * 60 * 60;

/** The library's token id: SHA-256 of the token, hex. */
async function tokenId(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The client a token request authenticates as: HTTP Basic, else the form's client_id. */
export function presentingClient(request: Request, form: URLSearchParams): string | null {
  return basicAuthUser(request.headers.get("authorization")) ?? form.get("client_id");
}

/** The `error` of an OAuth error answer, read from a copy. */
export async function oauthErrorCode(response: Response): Promise<string | undefined> {
  const body = (await response
    .clone()
    .json()
    .catch(() => null)) as { error?: unknown } | null;
  return typeof body?.error === "string" ? body.error : undefined;
}

export interface RefreshGuardDeps {
  kv: KVNamespace;
  helpers: () => OAuthHelpers;
  /** Told when a reused token revoked a grant (for the audit trail). */
  onReuse?: (reuse: { userId: string; grantId: string; clientId: string; tenantId?: string }) => void;
}

/**
 * Runs one refresh request (`form` is its body, already read; `request` can still be read) through
 * `next` (the library), adding reuse detection. A form that is not a refresh passes through.
 */
export async function guardRefresh(
  request: Request,
  form: URLSearchParams,
  deps: RefreshGuardDeps,
  next: (request: Request) => Promise<Response>,
): Promise<Response> {
  const token = form.get("refresh_token");
  if (form.get("grant_type") !== "refresh_token" || !token) return next(request);
  const parts = token.split(":");
  if (parts.length !== 3) return next(request);
  const [userId = "", grantId = ""] = parts;
  const grantKey = `grant:${userId}:${grantId}`;
  const retiredKey = `${RETIRED_PREFIX}${userId}:${grantId}`;
  const [before, presented] = await Promise.all([deps.kv.get<StoredGrant>(grantKey, "json"), tokenId(token)]);
  if (!before) return next(request);

  const response = await next(request);
  const retired = (await deps.kv.get<string[]>(retiredKey, "json")) ?? [];
  if (response.ok) {
    // Rotated: whichever of the old current and previous tokens was not presented is now gone.
    const letGo = [before.refreshTokenId, before.previousRefreshTokenId].filter((id): id is string => !!id && id !== presented);
    const keep = [...new Set([...retired, ...letGo])].slice(-MAX_RETIRED);
    const now = Math.floor(Date.now() / 1000);
    const after = await deps.kv.get<StoredGrant>(grantKey, "json");
    const ttl = Math.max(60, (after?.expiresAt ?? now + DEFAULT_KEEP_S) - now);
    await deps.kv.put(retiredKey, JSON.stringify(keep), { expirationTtl: ttl });
    return response;
  }
  // Only a refusal of the grant itself counts: the client authenticated (no invalid_client) and
  // the token was not accepted.
  const refusedGrant = response.status === 400 && (await oauthErrorCode(response)) === "invalid_grant";
  if (refusedGrant && retired.includes(presented) && presentingClient(request, form) === before.clientId) {
    await deps.helpers().revokeGrant(grantId, userId);
    await deps.kv.delete(retiredKey);
    log("warn", "refresh_token_reuse", { clientId: before.clientId, grantId });
    const tenantId = typeof before.metadata?.tenantId === "string" ? before.metadata.tenantId : undefined;
    deps.onReuse?.({ userId, grantId, clientId: before.clientId, ...(tenantId !== undefined && { tenantId }) });
    return Response.json(
      {
        error: "invalid_grant",
        error_description: "This refresh token was already used; the sign-in was revoked for safety. Sign in again.",
      },
      { status: 400, headers: { "cache-control": "no-store" } },
    );
  }
  return response;
}

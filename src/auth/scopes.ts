/** The scopes pandgate grants. `mcp:write` does not imply `mcp:read`: tools name both. */
export const SCOPE_READ = "mcp:read";
export const SCOPE_WRITE = "mcp:write";
export const SCOPE_OFFLINE = "offline_access";

/** Everything the authorization server can grant (RFC 8414 `scopes_supported`). */
export const SUPPORTED_SCOPES = [SCOPE_READ, SCOPE_WRITE, SCOPE_OFFLINE] as const;
/** The baseline any MCP request needs. */
export const BASELINE_SCOPES = [SCOPE_READ] as const;
/**
 * What the resource advertises (RFC 9728 `scopes_supported`, the 401 challenge's `scope`): every
 * scope a tool can need, so a client that requests exactly what the challenge names can be
 * allowed every tool on its first sign-in. The person narrows it on the consent page.
 * `offline_access` is an authorization-server capability and is listed in RFC 8414 metadata only.
 */
export const RESOURCE_SCOPES = [SCOPE_READ, SCOPE_WRITE] as const;

/** Scopes in `required` that `granted` does not hold, in the order `required` lists them. */
export function missingScopes(granted: readonly string[], required: readonly string[]): string[] {
  const have = new Set(granted);
  return required.filter((scope) => !have.has(scope));
}

/**
 * The scopes to name in a step-up challenge: what the connection already holds plus what the
 * operation needs (baseline included). A client that re-authorizes with exactly this set keeps
 * everything it had, `offline_access` included, and gains what was missing.
 */
export function scopesForChallenge(granted: readonly string[], required: readonly string[]): string[] {
  const known = new Set<string>(SUPPORTED_SCOPES);
  return [...new Set([...BASELINE_SCOPES, ...granted.filter((scope) => known.has(scope)), ...required])];
}

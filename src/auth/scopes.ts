/** The scopes pandgate grants. `mcp:write` does not imply `mcp:read`: tools name both. */
export const SCOPE_READ = "mcp:read";
export const SCOPE_WRITE = "mcp:write";
export const SCOPE_OFFLINE = "offline_access";

/** Everything the authorization server can grant (RFC 8414 `scopes_supported`). */
export const SUPPORTED_SCOPES = [SCOPE_READ, SCOPE_WRITE, SCOPE_OFFLINE] as const;
/** The baseline any MCP request needs (RFC 9728 `scopes_supported`, 401 challenge). */
export const BASELINE_SCOPES = [SCOPE_READ] as const;

/** Scopes in `required` that `granted` does not hold, in the order `required` lists them. */
export function missingScopes(granted: readonly string[], required: readonly string[]): string[] {
  const have = new Set(granted);
  return required.filter((scope) => !have.has(scope));
}

/** The full set to name in a step-up challenge: the baseline plus what the operation needs. */
export function scopesForChallenge(required: readonly string[]): string[] {
  return [...new Set([...BASELINE_SCOPES, ...required])];
}

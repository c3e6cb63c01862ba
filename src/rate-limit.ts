import type { AuditInput } from "./audit/events";
import { recordAudit } from "./audit/record";
import type { RateLimitConfig } from "./config";
import { sha256Base64Url } from "./encoding";
import { describeError, type LogFields, log } from "./log";

/**
 * Asking a Rate Limiting binding about one request. The binding counts per key in windows of its
 * period (`[[ratelimits]]` in wrangler.toml); the surfaces build the key and their own refusal
 * (src/http/rate-limit.ts for the OAuth endpoints, the MCP gateway for `/mcp`). Limiting never
 * stops a request by failing: a binding that throws lets the request through, and says so in
 * the log.
 */

/** Keys remembered per isolate for logging once per window; beyond this the memory starts over. */
const MAX_REMEMBERED = 1000;

export interface RateLimiter {
  /** The binding's name, as logged. */
  readonly binding: string;
  /** The binding's window in seconds: how long a refused client should wait. */
  readonly period: number;
  /**
   * Counts one request for `key`. `undefined`: go on. A number: refused, retry after that many
   * seconds. `fields` (never tokens or the key itself) go into the one log line per window, and
   * `who` into the one audit event (`rate_limit.exceeded`) per key and window.
   */
  check(env: Env, key: string, fields?: LogFields, who?: RateLimitedParty): Promise<number | undefined>;
}

/** Who went over a limit, as the audit event names them. */
export type RateLimitedParty = Pick<AuditInput, "actor" | "tenantId" | "userKey" | "clientId"> & { route?: string; ip?: string };

export function createRateLimiter(limit: RateLimitConfig): RateLimiter {
  const { binding, period } = limit;
  /** The window each key was last logged in. */
  const logged = new Map<string, number>();

  /** Whether `key` has not been logged yet in the current window (and remembers that it now is). */
  function firstInWindow(key: string): boolean {
    const window = Math.floor(Date.now() / (period * 1000));
    if (logged.get(key) === window) return false;
    if (logged.size >= MAX_REMEMBERED) logged.clear();
    logged.set(key, window);
    return true;
  }

  return {
    binding,
    period,
    async check(env, key, fields = {}, who = { actor: "client" }) {
      let success: boolean;
      try {
        ({ success } = await env[binding].limit({ key }));
      } catch (error) {
        // Fail open: a broken limiter must not lock everyone out.
        if (firstInWindow(`\0failed`)) log("error", "rate_limit_unavailable", { limiter: binding, error: describeError(error) });
        return undefined;
      }
      if (success) return undefined;
      if (firstInWindow(key)) {
        // The key holds addresses, client ids and user keys: only a short hash of it is logged.
        const keyHash = (await sha256Base64Url(key)).slice(0, 12);
        log("warn", "rate_limited", { limiter: binding, key: keyHash, period, ...fields });
        const { route, ip, ...party } = who;
        recordAudit(env, {
          kind: "rate_limit.exceeded",
          outcome: "denied",
          reason: "rate_limited",
          ...party,
          details: { limiter: binding, ...(route && { route }), ...(ip && { ip }) },
        });
      }
      return period;
    },
  };
}

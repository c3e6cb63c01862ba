import { z } from "zod";
import { parseUpstream, type RawUpstreamSettings, type SettingProblem, type UpstreamConfig } from "./auth/upstream-config";
import { isLoopbackHostname } from "./encoding";

/**
 * The Worker's settings, parsed once from its bindings. Every setting that is wrong is named in
 * one message together with where to fix it, so a misconfigured Worker fails at start-up rather
 * than at its first request.
 */

const publicUrl = z
  .string({ error: "is missing" })
  .trim()
  .pipe(z.url({ error: "must be an absolute URL such as https://pandgate.example.workers.dev" }))
  .transform((value, ctx) => {
    const url = new URL(value);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHostname(url.hostname))) {
      ctx.addIssue({ code: "custom", message: "must use https (plain http is allowed only for localhost)" });
      return z.NEVER;
    }
    if (url.pathname !== "/" || url.search || url.hash || url.username || url.password) {
      ctx.addIssue({ code: "custom", message: "must be an origin only, with no path, query or credentials" });
      return z.NEVER;
    }
    return url.origin;
  });

const positiveInt = (fallback: number, max: number) =>
  z
    .union([z.string(), z.number()])
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === "") return fallback;
      const n = typeof value === "number" ? value : Number(value);
      if (!Number.isInteger(n) || n < 1 || n > max) {
        ctx.addIssue({ code: "custom", message: `must be a whole number from 1 to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const ConfigSchema = z.object({
  PUBLIC_URL: publicUrl,
  MAX_REQUEST_BYTES: positiveInt(256 * 1024, 4 * 1024 * 1024),
  DATA_SOURCE: z.enum(["synthetic", "live"], { error: "must be synthetic or live" }).default("synthetic"),
  MAX_CONCURRENT_JOBS: positiveInt(2, 20),
});

/**
 * Browser origins hosted MCP clients are known to call from. Bearer tokens are not ambient
 * credentials, so letting these pages send requests grants nothing a token does not.
 */
export const HOSTED_CLIENT_ORIGINS = [
  "https://claude.ai",
  "https://claude.com",
  "https://chatgpt.com",
  "https://vscode.dev",
  "https://insiders.vscode.dev",
] as const;

/** `ALLOWED_ORIGINS`: unset → the hosted clients' origins; `none` → only our own; else the list given. */
function allowedOrigins(env: Record<string, unknown>, problems: SettingProblem[]): string[] {
  const raw = text(env, "ALLOWED_ORIGINS");
  if (raw === undefined) return [...HOSTED_CLIENT_ORIGINS];
  if (raw.toLowerCase() === "none") return [];
  const origins: string[] = [];
  for (const entry of raw.split(/[\s,]+/).filter(Boolean)) {
    const url = URL.canParse(entry) ? new URL(entry) : undefined;
    const secure = url?.protocol === "https:" || (url?.protocol === "http:" && isLoopbackHostname(url.hostname));
    if (!url || !secure || url.origin !== entry.replace(/\/$/, "")) {
      problems.push({
        key: "ALLOWED_ORIGINS",
        message: `has "${entry}", which is not an origin: write scheme://host[:port] with https (http only for localhost), no path`,
      });
      continue;
    }
    origins.push(url.origin);
  }
  return origins;
}

export interface ExternalTokenConfig {
  issuer: string;
  jwksUrl: string;
  audience: string;
  /** Scopes granted when the token names none of ours. */
  defaultScopes: string[];
}

export interface Config {
  /** Origin clients use, e.g. `https://pandgate.example.workers.dev`. */
  publicOrigin: string;
  /** The canonical MCP resource: token audience and protected resource identifier. */
  mcpResource: string;
  /** Largest MCP request body accepted, in bytes. */
  maxRequestBytes: number;
  /** Upstream sign-in; absent when no identity provider is configured. */
  upstream?: UpstreamConfig;
  /** Signs the "remember this app" cookie. Required with sign-in. */
  cookieSecret?: string;
  /** Protects the operator API (`/admin/clients`); absent = that API is off. */
  operatorSecret?: string;
  /** Delegated user tokens from another issuer (Blockbrain "User Token" mode); off unless set. */
  externalToken?: ExternalTokenConfig;
  /** Where property data comes from: the synthetic dataset in D1, or the live registers (cached in D1). */
  dataSource: "synthetic" | "live";
  /** EP-Online API key (live energy labels); a Worker secret. */
  epOnlineApiKey?: string;
  /** Portfolio jobs one user may have running at once. */
  maxConcurrentJobs: number;
  /** Browser origins besides our own that may call `/mcp` (CORS and the Origin check). */
  allowedOrigins: string[];
  /** Whether loopback origins may call `/mcp`: only when the server itself runs on loopback. */
  allowLoopbackOrigins: boolean;
}

const WHERE_TO_FIX: Record<string, string> = {
  IDP_KIND: "set IDP_KIND (and the other IDP_* settings) under [vars] in wrangler.toml; see the README's sign-in section",
  IDP_CLIENT_SECRET: "set it with `wrangler secret put IDP_CLIENT_SECRET` (locally: in .dev.vars)",
  COOKIE_SECRET: "set it with `wrangler secret put COOKIE_SECRET` to 32 or more random characters (locally: in .dev.vars)",
  OPERATOR_SECRET:
    "set it with `wrangler secret put OPERATOR_SECRET` to 32 or more random characters, or leave it unset to turn the operator API off",
  ALLOWED_TENANT_IDS: "set ALLOWED_TENANT_IDS under [vars] in wrangler.toml to a comma-separated list of tenant ids",
  MAX_CONCURRENT_JOBS: "set MAX_CONCURRENT_JOBS under [vars] in wrangler.toml, or leave it out for the default 2",
  DATA_SOURCE: 'set DATA_SOURCE under [vars] in wrangler.toml to "synthetic" (default) or "live"',
  EXTERNAL_TOKEN_ISSUER: "set EXTERNAL_TOKEN_ISSUER, EXTERNAL_TOKEN_JWKS_URL and EXTERNAL_TOKEN_AUDIENCE together, or none of them",
  PUBLIC_URL: 'set PUBLIC_URL under [vars] in wrangler.toml (or in .dev.vars), e.g. "https://pandgate.<account>.workers.dev"',
  ALLOWED_ORIGINS:
    'set ALLOWED_ORIGINS under [vars] in wrangler.toml to comma-separated origins such as "https://claude.ai,https://app.example.com", or "none"',
  MAX_REQUEST_BYTES: "set MAX_REQUEST_BYTES under [vars] in wrangler.toml, or leave it out for the default 262144",
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

function text(env: Record<string, unknown>, key: string): string | undefined {
  const value = env[key];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

function secret(env: Record<string, unknown>, key: string, problems: SettingProblem[]): string | undefined {
  const value = text(env, key);
  if (value !== undefined && value.length < 32) problems.push({ key, message: "must be at least 32 characters" });
  return value;
}

function externalToken(env: Record<string, unknown>, problems: SettingProblem[]): ExternalTokenConfig | undefined {
  const issuer = text(env, "EXTERNAL_TOKEN_ISSUER");
  const jwksUrl = text(env, "EXTERNAL_TOKEN_JWKS_URL");
  const audience = text(env, "EXTERNAL_TOKEN_AUDIENCE");
  if (issuer === undefined && jwksUrl === undefined && audience === undefined) return undefined;
  if (issuer === undefined || jwksUrl === undefined || audience === undefined) {
    problems.push({ key: "EXTERNAL_TOKEN_ISSUER", message: "and EXTERNAL_TOKEN_JWKS_URL and EXTERNAL_TOKEN_AUDIENCE must all be set" });
    return undefined;
  }
  if (!URL.canParse(jwksUrl) || new URL(jwksUrl).protocol !== "https:") {
    problems.push({ key: "EXTERNAL_TOKEN_JWKS_URL", message: "must be an https URL" });
  }
  const scopes = (text(env, "EXTERNAL_TOKEN_SCOPES") ?? "mcp:read").split(/[\s,]+/).filter(Boolean);
  return { issuer, jwksUrl, audience, defaultScopes: scopes };
}

export function parseConfig(env: Record<string, unknown>): Config {
  const parsed = ConfigSchema.safeParse(env);
  const problems: SettingProblem[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ key: String(issue.path[0] ?? "configuration"), message: issue.message }));
  const origin = parsed.success ? parsed.data.PUBLIC_URL : "https://invalid.example";
  const upstream = parseUpstream(env as RawUpstreamSettings, origin);
  if (Array.isArray(upstream)) problems.push(...upstream);
  const cookieSecret = secret(env, "COOKIE_SECRET", problems);
  if (upstream && !Array.isArray(upstream) && cookieSecret === undefined) {
    problems.push({ key: "COOKIE_SECRET", message: "is required when sign-in is configured" });
  }
  const operatorSecret = secret(env, "OPERATOR_SECRET", problems);
  const external = externalToken(env, problems);
  const origins = allowedOrigins(env, problems);

  if (!parsed.success || problems.length > 0) {
    const lines = problems.map(({ key, message }) => {
      const fix = WHERE_TO_FIX[key];
      return `- ${key} ${message}${fix ? `: ${fix}` : ""}`;
    });
    throw new ConfigError(`pandgate cannot start, its configuration is invalid:\n${lines.join("\n")}`);
  }
  const { PUBLIC_URL, MAX_REQUEST_BYTES, DATA_SOURCE, MAX_CONCURRENT_JOBS } = parsed.data;
  const epOnlineApiKey = text(env, "EP_ONLINE_API_KEY");
  return {
    dataSource: DATA_SOURCE,
    maxConcurrentJobs: MAX_CONCURRENT_JOBS,
    allowedOrigins: origins,
    allowLoopbackOrigins: isLoopbackHostname(new URL(PUBLIC_URL).hostname),
    ...(epOnlineApiKey !== undefined && { epOnlineApiKey }),
    publicOrigin: PUBLIC_URL,
    mcpResource: `${PUBLIC_URL}/mcp`,
    maxRequestBytes: MAX_REQUEST_BYTES,
    ...(upstream !== undefined && !Array.isArray(upstream) && { upstream }),
    ...(cookieSecret !== undefined && { cookieSecret }),
    ...(operatorSecret !== undefined && { operatorSecret }),
    ...(external !== undefined && { externalToken: external }),
  };
}

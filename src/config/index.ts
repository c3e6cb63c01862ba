import { z } from "zod";
import { isLoopbackHostname } from "../encoding";
import { type BudgetSettings, budgetSettings, budgetSettingsFrom } from "./register-budgets";
import { isSecureUrl, list, optionalText, problem, registerUrl, report, wholeNumber } from "./settings";
import { signInRules, signInSettings, signInSettingsSound, type UpstreamConfig, upstreamFrom } from "./sign-in";

/**
 * The Worker's settings, parsed once from its bindings by one schema (`ConfigSchema`): each
 * setting checked on its own, then the rules across settings, then the `Config` built from them.
 * Every setting that is wrong is named in one message together with how to fix it, so a
 * misconfigured Worker fails at start-up rather than at its first request.
 */

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

export interface ExternalTokenConfig {
  issuer: string;
  jwksUrl: string;
  audience: string;
  /** Scopes granted when the token names none of ours. */
  defaultScopes: string[];
}

/** The surfaces a rate limit can cover, each counted by its own Rate Limiting binding. */
export const RATE_LIMIT_SURFACES = ["oauth", "mcp"] as const;
export type RateLimitSurface = (typeof RATE_LIMIT_SURFACES)[number];

/** The binding that counts each surface's requests (`[[ratelimits]]` in wrangler.toml). */
export const RATE_LIMIT_BINDINGS = { oauth: "OAUTH_LIMITER", mcp: "MCP_LIMITER" } as const satisfies Record<RateLimitSurface, string>;

/** The window of a rate limiting binding, in seconds: the binding allows only these. */
export const RATE_LIMIT_PERIODS = [10, 60] as const;

/** One limited surface: its binding's window, which is also the Retry-After a refused client gets. */
export interface RateLimitConfig {
  binding: (typeof RATE_LIMIT_BINDINGS)[RateLimitSurface];
  period: (typeof RATE_LIMIT_PERIODS)[number];
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
  /**
   * The secret download links are signed with (an HMAC key is derived from it with HKDF under its
   * own label): DOWNLOAD_LINK_SECRET, else COOKIE_SECRET; absent = no download links.
   */
  downloadLinkSecret?: string;
  /** How long a download link works, in seconds (DOWNLOAD_LINK_TTL_MINUTES, default 60). */
  downloadLinkTtlS: number;
  /** Protects the operator API (`/admin/clients`); absent = that API is off. */
  operatorSecret?: string;
  /** Delegated user tokens from another issuer (Blockbrain "User Token" mode); off unless set. */
  externalToken?: ExternalTokenConfig;
  /** Where property data comes from: the synthetic dataset in D1, or the live registers (cached in D1). */
  dataSource: "synthetic" | "live";
  /** EP-Online API key (live energy labels); a Worker secret. */
  epOnlineApiKey?: string;
  /** CBS Kerncijfers wijken en buurten table the live source reads (CBS_KWB_TABLE); default 85984NED (2024). */
  cbsKwbTable?: "86165NED" | "85984NED" | "85618NED" | "85318NED" | "85039NED";
  /**
   * Base URLs of the registers the live source asks, where they differ from the public endpoints
   * (a caching proxy or a mirror in front of a register), keyed by register id.
   */
  registerUrls: RegisterUrlSettings;
  /** Per-request timeout of a live register, in ms (REGISTER_TIMEOUT_MS, default 6000); a register that takes longer is a data gap. */
  registerTimeoutMs: number;
  /** Per-register budgets of the live source (REGISTER_CONCURRENCY, REGISTER_REQUESTS_PER_SECOND, REGISTER_BUDGETS, REGISTER_MAX_PAUSE_SECONDS). */
  registerBudgets: BudgetSettings;
  /** Portfolio jobs one user may have running at once. */
  maxConcurrentJobs: number;
  /** Spreadsheet uploads (src/uploads/): how long an upload link lasts, and the file limits. */
  uploads: UploadSettings;
  /** Portfolio jobs one tenant (all its users together) may have running at once (MAX_RUNNING_JOBS_PER_TENANT). */
  maxRunningJobsPerTenant: number;
  /** Addresses one portfolio job may hold (MAX_ADDRESSES_PER_JOB, default 50 000). */
  maxAddressesPerJob: number;
  /** Browser origins besides our own that may call `/mcp` (CORS and the Origin check). */
  allowedOrigins: string[];
  /** Whether loopback origins may call `/mcp`: only when the server itself runs on loopback. */
  allowLoopbackOrigins: boolean;
  /** The limited surfaces (absent: nothing is rate limited). */
  rateLimits?: Partial<Record<RateLimitSurface, RateLimitConfig>>;
  /** Days an audit event is kept before the daily sweep deletes it. */
  auditRetentionDays: number;
  /** The organisation named in the header of every page (ORG_NAME); absent = none. */
  orgName?: string;
  /** An https image shown in the header of every page (ORG_LOGO_URL); its origin is allowed by the pages' CSP `img-src`. */
  orgLogoUrl?: string;
}

/**
 * The register base URL settings, by register id (the ids of src/data/live/registers.ts), with
 * each register's public endpoint, the default. Only settings that are set reach `Config`.
 */
export const REGISTER_URL_SETTINGS = {
  "pdok-locatieserver": { setting: "PDOK_LOCATIESERVER_URL", publicEndpoint: "https://api.pdok.nl/bzk/locatieserver/search/v3_1" },
  "pdok-bag": { setting: "PDOK_BAG_URL", publicEndpoint: "https://api.pdok.nl/kadaster/bag/ogc/v2" },
  "ep-online": { setting: "EP_ONLINE_URL", publicEndpoint: "https://public.ep-online.nl/api/v5" },
  "cbs-kwb": { setting: "CBS_ODATA_URL", publicEndpoint: "https://opendata.cbs.nl/ODataApi/odata" },
  "pdok-brk": { setting: "PDOK_BRK_URL", publicEndpoint: "https://api.pdok.nl/kadaster/brk-kadastrale-kaart/ogc/v1" },
  "rce-monuments": { setting: "RCE_SPARQL_URL", publicEndpoint: "https://api.linkeddata.cultureelerfgoed.nl/datasets/rce/cho" },
} as const;
export type RegisterUrlSettings = Partial<Record<keyof typeof REGISTER_URL_SETTINGS, string>>;

/** `UPLOAD_TTL_MINUTES`, `UPLOAD_MAX_BYTES`, `UPLOAD_MAX_ROWS`, `UPLOAD_MAX_UNPACKED_BYTES`. */
export interface UploadSettings {
  ttlMinutes: number;
  maxBytes: number;
  maxRows: number;
  maxUnpackedBytes: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

const PUBLIC_URL_FIX = 'set PUBLIC_URL under [vars] in wrangler.toml (or in .dev.vars), e.g. "https://pandgate.<account>.workers.dev"';

/** `PUBLIC_URL`: an https origin (http only on localhost), kept as its origin. */
const publicUrl = z
  .string({ error: problem("PUBLIC_URL", "is missing", PUBLIC_URL_FIX) })
  .trim()
  .pipe(z.url({ error: problem("PUBLIC_URL", "must be an absolute URL such as https://pandgate.example.workers.dev", PUBLIC_URL_FIX) }))
  .transform((value, ctx) => {
    const url = new URL(value);
    if (!isSecureUrl(url)) {
      ctx.addIssue({
        code: "custom",
        message: problem("PUBLIC_URL", "must use https (plain http is allowed only for localhost)", PUBLIC_URL_FIX),
      });
      return z.NEVER;
    }
    if (url.pathname !== "/" || url.search || url.hash || url.username || url.password) {
      ctx.addIssue({
        code: "custom",
        message: problem("PUBLIC_URL", "must be an origin only, with no path, query or credentials", PUBLIC_URL_FIX),
      });
      return z.NEVER;
    }
    return url.origin;
  });

/** `ALLOWED_ORIGINS`: unset → the hosted clients' origins; `none` → only our own; else the list given. */
const allowedOrigins = optionalText.transform((raw, ctx) => {
  if (raw === undefined) return [...HOSTED_CLIENT_ORIGINS];
  if (raw.toLowerCase() === "none") return [];
  const origins: string[] = [];
  for (const entry of list(raw)) {
    const url = URL.canParse(entry) ? new URL(entry) : undefined;
    if (!url || !isSecureUrl(url) || url.origin !== entry.replace(/\/$/, "")) {
      ctx.addIssue({
        code: "custom",
        message: problem(
          "ALLOWED_ORIGINS",
          `has "${entry}", which is not an origin: write scheme://host[:port] with https (http only for localhost), no path`,
          'set ALLOWED_ORIGINS under [vars] in wrangler.toml to comma-separated origins such as "https://claude.ai,https://app.example.com", or "none"',
        ),
      });
      continue;
    }
    origins.push(url.origin);
  }
  return origins;
});

const RATE_LIMITS_FIX =
  'set RATE_LIMITS under [vars] in wrangler.toml to "off", or to the surfaces to limit ("oauth", "mcp" or "oauth,mcp"), or leave it out to limit every surface whose binding wrangler.toml declares';

/**
 * `RATE_LIMITS`: unset → every surface whose binding is declared; `off` (or `none`) → nothing;
 * `on` (or `all`) → every surface; else the surfaces listed.
 */
const rateLimitSurfaces = optionalText.transform((raw, ctx): RateLimitSurface[] | undefined => {
  if (raw === undefined) return undefined;
  const value = raw.toLowerCase();
  if (value === "off" || value === "none") return [];
  if (value === "on" || value === "all") return [...RATE_LIMIT_SURFACES];
  const surfaces: RateLimitSurface[] = [];
  for (const entry of list(value)) {
    if (!(RATE_LIMIT_SURFACES as readonly string[]).includes(entry)) {
      ctx.addIssue({
        code: "custom",
        message: problem("RATE_LIMITS", `has "${entry}", which is not oauth, mcp, on or off`, RATE_LIMITS_FIX),
      });
      continue;
    }
    surfaces.push(entry as RateLimitSurface);
  }
  return [...new Set(surfaces)];
});

/** `*_RATE_LIMIT_PERIOD`: the window of that surface's binding, 10 or 60 seconds (default 60, as in wrangler.toml). */
function rateLimitPeriod(setting: string, surface: RateLimitSurface) {
  const binding = RATE_LIMIT_BINDINGS[surface];
  const wrong = problem(
    setting,
    "must be 10 or 60 (seconds)",
    `set ${setting} under [vars] in wrangler.toml to the period of the ${binding} binding there (its simple = { limit, period }), or leave it out for 60`,
  );
  return z
    .union([z.string(), z.number()], { error: wrong })
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === "") return 60;
      const n = Number(value);
      const period = RATE_LIMIT_PERIODS.find((allowed) => allowed === n);
      if (period === undefined) {
        ctx.addIssue({ code: "custom", message: wrong });
        return z.NEVER;
      }
      return period;
    });
}

/** A rate limiting binding: whether wrangler.toml declares it (an object with `limit`). */
const rateLimitBinding = z
  .unknown()
  .optional()
  .transform((value) => typeof value === "object" && value !== null && typeof (value as { limit?: unknown }).limit === "function");

/** A secret of 32 or more characters, or unset. */
function secret(setting: string, fix: string) {
  return optionalText.pipe(
    z
      .string()
      .min(32, { error: problem(setting, "must be at least 32 characters", fix) })
      .optional(),
  );
}

const ORG_NAME_FIX = 'set ORG_NAME under [vars] in wrangler.toml to your organisation\'s name, e.g. "Contoso Vastgoed", or leave it out';

/** `ORG_NAME`: the organisation shown in the pages' header, one line of at most 80 characters. */
const orgName = optionalText.pipe(
  z
    .string()
    .max(80, { error: problem("ORG_NAME", "must be at most 80 characters", ORG_NAME_FIX) })
    .regex(/^[^\p{Cc}]*$/u, { error: problem("ORG_NAME", "must be one line without control characters", ORG_NAME_FIX) })
    .optional(),
);

const ORG_LOGO_URL_FIX =
  'set ORG_LOGO_URL under [vars] in wrangler.toml to an https image URL such as "https://www.contoso.example/logo.svg", or leave it out';

/** `ORG_LOGO_URL`: an https image URL without credentials; the pages' CSP allows its origin for images. */
const orgLogoUrl = optionalText.transform((raw, ctx) => {
  if (raw === undefined) return undefined;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (url?.protocol !== "https:") {
    ctx.addIssue({ code: "custom", message: problem("ORG_LOGO_URL", "must be an absolute https URL", ORG_LOGO_URL_FIX) });
    return z.NEVER;
  }
  if (url.username || url.password || url.hash) {
    ctx.addIssue({ code: "custom", message: problem("ORG_LOGO_URL", "must have no credentials or fragment", ORG_LOGO_URL_FIX) });
    return z.NEVER;
  }
  return url.href;
});

const COOKIE_SECRET_FIX = "set it with `wrangler secret put COOKIE_SECRET` to 32 or more random characters (locally: in .dev.vars)";

/** Every setting, each checked on its own. The order here is the order problems are listed in. */
const Settings = z.object({
  PUBLIC_URL: publicUrl,
  MAX_REQUEST_BYTES: wholeNumber(
    "MAX_REQUEST_BYTES",
    256 * 1024,
    4 * 1024 * 1024,
    "set MAX_REQUEST_BYTES under [vars] in wrangler.toml, or leave it out for the default 262144",
  ),
  DATA_SOURCE: z
    .enum(["synthetic", "live"], {
      error: problem(
        "DATA_SOURCE",
        "must be synthetic or live",
        'set DATA_SOURCE under [vars] in wrangler.toml to "synthetic" (default) or "live"',
      ),
    })
    .default("synthetic"),
  MAX_CONCURRENT_JOBS: wholeNumber(
    "MAX_CONCURRENT_JOBS",
    2,
    20,
    "set MAX_CONCURRENT_JOBS under [vars] in wrangler.toml, or leave it out for the default 2",
  ),
  UPLOAD_TTL_MINUTES: wholeNumber(
    "UPLOAD_TTL_MINUTES",
    15,
    24 * 60,
    "set UPLOAD_TTL_MINUTES under [vars] in wrangler.toml (minutes an upload link lasts), or leave it out for 15",
  ),
  UPLOAD_MAX_BYTES: wholeNumber(
    "UPLOAD_MAX_BYTES",
    10 * 1024 * 1024,
    50 * 1024 * 1024,
    "set UPLOAD_MAX_BYTES under [vars] in wrangler.toml (largest spreadsheet accepted, in bytes), or leave it out for 10485760 (10 MiB)",
  ),
  UPLOAD_MAX_ROWS: wholeNumber(
    "UPLOAD_MAX_ROWS",
    50_000,
    100_000,
    "set UPLOAD_MAX_ROWS under [vars] in wrangler.toml, or leave it out for 50000",
  ),
  UPLOAD_MAX_UNPACKED_BYTES: wholeNumber(
    "UPLOAD_MAX_UNPACKED_BYTES",
    64 * 1024 * 1024,
    256 * 1024 * 1024,
    "set UPLOAD_MAX_UNPACKED_BYTES under [vars] in wrangler.toml (bytes an .xlsx's sheet and shared strings may unpack to), or leave it out for 67108864 (64 MiB)",
  ),
  MAX_RUNNING_JOBS_PER_TENANT: wholeNumber(
    "MAX_RUNNING_JOBS_PER_TENANT",
    10,
    1000,
    "set MAX_RUNNING_JOBS_PER_TENANT under [vars] in wrangler.toml, or leave it out for the default 10",
  ),
  MAX_ADDRESSES_PER_JOB: wholeNumber(
    "MAX_ADDRESSES_PER_JOB",
    50_000,
    50_000,
    "set MAX_ADDRESSES_PER_JOB under [vars] in wrangler.toml (at most 50000), or leave it out for the default 50000",
  ),
  REGISTER_TIMEOUT_MS: wholeNumber(
    "REGISTER_TIMEOUT_MS",
    6_000,
    30_000,
    "set REGISTER_TIMEOUT_MS under [vars] in wrangler.toml (milliseconds per register request), or leave it out for the default 6000",
  ),
  ...budgetSettings,
  ...signInSettings,
  COOKIE_SECRET: secret("COOKIE_SECRET", COOKIE_SECRET_FIX),
  DOWNLOAD_LINK_SECRET: secret(
    "DOWNLOAD_LINK_SECRET",
    "set it with `wrangler secret put DOWNLOAD_LINK_SECRET` to 32 or more random characters, or leave it unset to sign download links with a key derived from COOKIE_SECRET",
  ),
  DOWNLOAD_LINK_TTL_MINUTES: wholeNumber(
    "DOWNLOAD_LINK_TTL_MINUTES",
    60,
    1440,
    "set DOWNLOAD_LINK_TTL_MINUTES under [vars] in wrangler.toml (minutes a portfolio download link works), or leave it out for the default 60",
  ),
  OPERATOR_SECRET: secret(
    "OPERATOR_SECRET",
    "set it with `wrangler secret put OPERATOR_SECRET` to 32 or more random characters, or leave it unset to turn the operator API off",
  ),
  EXTERNAL_TOKEN_ISSUER: optionalText,
  EXTERNAL_TOKEN_JWKS_URL: optionalText,
  EXTERNAL_TOKEN_AUDIENCE: optionalText,
  EXTERNAL_TOKEN_SCOPES: optionalText.transform((scopes) => list(scopes ?? "mcp:read")),
  ALLOWED_ORIGINS: allowedOrigins,
  EP_ONLINE_API_KEY: optionalText,
  PDOK_LOCATIESERVER_URL: registerUrl("PDOK_LOCATIESERVER_URL", REGISTER_URL_SETTINGS["pdok-locatieserver"].publicEndpoint),
  PDOK_BAG_URL: registerUrl("PDOK_BAG_URL", REGISTER_URL_SETTINGS["pdok-bag"].publicEndpoint),
  EP_ONLINE_URL: registerUrl("EP_ONLINE_URL", REGISTER_URL_SETTINGS["ep-online"].publicEndpoint),
  CBS_ODATA_URL: registerUrl("CBS_ODATA_URL", REGISTER_URL_SETTINGS["cbs-kwb"].publicEndpoint),
  PDOK_BRK_URL: registerUrl("PDOK_BRK_URL", REGISTER_URL_SETTINGS["pdok-brk"].publicEndpoint),
  RCE_SPARQL_URL: registerUrl("RCE_SPARQL_URL", REGISTER_URL_SETTINGS["rce-monuments"].publicEndpoint),
  CBS_KWB_TABLE: z
    .enum(["86165NED", "85984NED", "85618NED", "85318NED", "85039NED"], {
      error: problem(
        "CBS_KWB_TABLE",
        "must be a CBS Kerncijfers wijken en buurten table id: 86165NED (2025), 85984NED (2024), 85618NED (2023), 85318NED (2022) or 85039NED (2021)",
        "set CBS_KWB_TABLE under [vars] in wrangler.toml, or leave it out for the default 85984NED",
      ),
    })
    .optional(),
  AUDIT_RETENTION_DAYS: wholeNumber(
    "AUDIT_RETENTION_DAYS",
    365,
    3650,
    "set AUDIT_RETENTION_DAYS under [vars] in wrangler.toml to the days audit events are kept, or leave it out for the default 365",
  ),
  ORG_NAME: orgName,
  ORG_LOGO_URL: orgLogoUrl,
  RATE_LIMITS: rateLimitSurfaces,
  OAUTH_RATE_LIMIT_PERIOD: rateLimitPeriod("OAUTH_RATE_LIMIT_PERIOD", "oauth"),
  MCP_RATE_LIMIT_PERIOD: rateLimitPeriod("MCP_RATE_LIMIT_PERIOD", "mcp"),
  OAUTH_LIMITER: rateLimitBinding,
  MCP_LIMITER: rateLimitBinding,
});

type Settings = z.output<typeof Settings>;

/** The rules across settings run even when another setting is wrong, so that every problem is listed at once. */
const always = () => true;

/** `EXTERNAL_TOKEN_*`: all of issuer, key set and audience, or none of them. */
function externalTokenRules(s: Settings, ctx: z.RefinementCtx<Settings>): void {
  const given = [s.EXTERNAL_TOKEN_ISSUER, s.EXTERNAL_TOKEN_JWKS_URL, s.EXTERNAL_TOKEN_AUDIENCE].filter((value) => value !== undefined);
  if (given.length === 0) return;
  if (given.length < 3) {
    report(
      ctx,
      "EXTERNAL_TOKEN_ISSUER",
      "and EXTERNAL_TOKEN_JWKS_URL and EXTERNAL_TOKEN_AUDIENCE must all be set",
      "set EXTERNAL_TOKEN_ISSUER, EXTERNAL_TOKEN_JWKS_URL and EXTERNAL_TOKEN_AUDIENCE together, or none of them",
    );
    return;
  }
  const jwksUrl = s.EXTERNAL_TOKEN_JWKS_URL ?? "";
  if (!URL.canParse(jwksUrl) || new URL(jwksUrl).protocol !== "https:") {
    report(
      ctx,
      "EXTERNAL_TOKEN_JWKS_URL",
      "must be an https URL",
      "set EXTERNAL_TOKEN_JWKS_URL under [vars] in wrangler.toml to the issuer's https key set URL (its jwks_uri)",
    );
  }
}

/** `RATE_LIMITS` may name only surfaces whose binding wrangler.toml declares. */
function rateLimitRules(s: Settings, ctx: z.RefinementCtx<Settings>): void {
  for (const surface of s.RATE_LIMITS ?? []) {
    const binding = RATE_LIMIT_BINDINGS[surface];
    if (s[binding]) continue;
    report(
      ctx,
      "RATE_LIMITS",
      `names ${surface}, but there is no ${binding} rate limiting binding`,
      `add [[ratelimits]] with name = "${binding}" to wrangler.toml (see "Rate limits" in docs/operating.md), or leave ${surface} out of RATE_LIMITS`,
    );
  }
}

/** The limited surfaces: those `RATE_LIMITS` names, or when it is unset, those whose binding is declared. */
function rateLimitsFrom(s: Settings): Config["rateLimits"] {
  const periods = { oauth: s.OAUTH_RATE_LIMIT_PERIOD, mcp: s.MCP_RATE_LIMIT_PERIOD };
  const surfaces = s.RATE_LIMITS ?? RATE_LIMIT_SURFACES.filter((surface) => s[RATE_LIMIT_BINDINGS[surface]]);
  if (surfaces.length === 0) return undefined;
  return Object.fromEntries(surfaces.map((surface) => [surface, { binding: RATE_LIMIT_BINDINGS[surface], period: periods[surface] }]));
}

/** The `Config` from settings that passed every rule. */
function toConfig(s: Settings): Config {
  const upstream = upstreamFrom(s, s.PUBLIC_URL);
  const { EXTERNAL_TOKEN_ISSUER: issuer, EXTERNAL_TOKEN_JWKS_URL: jwksUrl, EXTERNAL_TOKEN_AUDIENCE: audience } = s;
  const externalToken =
    issuer !== undefined && jwksUrl !== undefined && audience !== undefined
      ? { issuer, jwksUrl, audience, defaultScopes: s.EXTERNAL_TOKEN_SCOPES }
      : undefined;
  const rateLimits = rateLimitsFrom(s);
  const registerUrls: RegisterUrlSettings = {
    ...(s.PDOK_LOCATIESERVER_URL !== undefined && { "pdok-locatieserver": s.PDOK_LOCATIESERVER_URL }),
    ...(s.PDOK_BAG_URL !== undefined && { "pdok-bag": s.PDOK_BAG_URL }),
    ...(s.EP_ONLINE_URL !== undefined && { "ep-online": s.EP_ONLINE_URL }),
    ...(s.CBS_ODATA_URL !== undefined && { "cbs-kwb": s.CBS_ODATA_URL }),
    ...(s.PDOK_BRK_URL !== undefined && { "pdok-brk": s.PDOK_BRK_URL }),
    ...(s.RCE_SPARQL_URL !== undefined && { "rce-monuments": s.RCE_SPARQL_URL }),
  };
  return {
    registerUrls,
    registerTimeoutMs: s.REGISTER_TIMEOUT_MS,
    registerBudgets: budgetSettingsFrom(s),
    dataSource: s.DATA_SOURCE,
    ...(s.CBS_KWB_TABLE !== undefined && { cbsKwbTable: s.CBS_KWB_TABLE }),
    maxConcurrentJobs: s.MAX_CONCURRENT_JOBS,
    uploads: {
      ttlMinutes: s.UPLOAD_TTL_MINUTES,
      maxBytes: s.UPLOAD_MAX_BYTES,
      // A file never holds more rows than one job takes.
      maxRows: Math.min(s.UPLOAD_MAX_ROWS, s.MAX_ADDRESSES_PER_JOB),
      maxUnpackedBytes: s.UPLOAD_MAX_UNPACKED_BYTES,
    },
    maxRunningJobsPerTenant: s.MAX_RUNNING_JOBS_PER_TENANT,
    maxAddressesPerJob: s.MAX_ADDRESSES_PER_JOB,
    allowedOrigins: s.ALLOWED_ORIGINS,
    allowLoopbackOrigins: isLoopbackHostname(new URL(s.PUBLIC_URL).hostname),
    ...(s.EP_ONLINE_API_KEY !== undefined && { epOnlineApiKey: s.EP_ONLINE_API_KEY }),
    publicOrigin: s.PUBLIC_URL,
    mcpResource: `${s.PUBLIC_URL}/mcp`,
    maxRequestBytes: s.MAX_REQUEST_BYTES,
    auditRetentionDays: s.AUDIT_RETENTION_DAYS,
    ...(upstream !== undefined && { upstream }),
    ...(s.COOKIE_SECRET !== undefined && { cookieSecret: s.COOKIE_SECRET }),
    ...(s.OPERATOR_SECRET !== undefined && { operatorSecret: s.OPERATOR_SECRET }),
    ...((s.DOWNLOAD_LINK_SECRET ?? s.COOKIE_SECRET) !== undefined && { downloadLinkSecret: s.DOWNLOAD_LINK_SECRET ?? s.COOKIE_SECRET }),
    downloadLinkTtlS: s.DOWNLOAD_LINK_TTL_MINUTES * 60,
    ...(externalToken !== undefined && { externalToken }),
    ...(rateLimits !== undefined && { rateLimits }),
    ...(s.ORG_NAME !== undefined && { orgName: s.ORG_NAME }),
    ...(s.ORG_LOGO_URL !== undefined && { orgLogoUrl: s.ORG_LOGO_URL }),
  };
}

/** The configuration: every setting, the rules across them, and the `Config` they make. */
export const ConfigSchema = Settings.superRefine(signInRules, { when: signInSettingsSound })
  .superRefine(
    (s, ctx) => {
      if (s.IDP_KIND !== undefined && s.COOKIE_SECRET === undefined) {
        report(ctx, "COOKIE_SECRET", "is required when sign-in is configured", COOKIE_SECRET_FIX);
      }
    },
    { when: signInSettingsSound },
  )
  .superRefine(externalTokenRules, { when: always })
  .superRefine(rateLimitRules, { when: always })
  .transform(toConfig);

const SETTING_ORDER = Object.keys(Settings.shape);

/**
 * Where a problem is listed: in the order of the settings above, except that the sign-in
 * settings, which are checked together, keep the order their rules found them in.
 */
function rank(setting: string): number {
  return SETTING_ORDER.indexOf(Object.hasOwn(signInSettings, setting) ? "IDP_KIND" : setting);
}

export function parseConfig(env: Record<string, unknown>): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues
    .map((issue) => {
      const setting = String(issue.path[0] ?? "configuration");
      // Every rule above writes its own line; a message from zod itself still gets the setting's name.
      return { setting, line: issue.message.startsWith(`${setting} `) ? issue.message : `${setting} ${issue.message}` };
    })
    .sort((a, b) => rank(a.setting) - rank(b.setting))
    .map(({ line }) => `- ${line}`);
  throw new ConfigError(`pandgate cannot start, its configuration is invalid:\n${lines.join("\n")}`);
}

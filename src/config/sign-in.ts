import { z } from "zod";
import { isUuid } from "../domain/ids";
import { hasProblemWith, isHostOnly, isSecureUrl, list, problem, report, strictText } from "./settings";

/**
 * Which identity provider users sign in with, derived from the Worker's settings. The four kinds
 * share one OIDC client; they differ in where discovery lives and how the id_token's issuer is
 * checked.
 *
 * The sign-in settings are part of the one configuration schema (`src/config.ts`): each is
 * checked on its own by `signInSettings`, together by `signInRules`, and turned into an
 * `UpstreamConfig` by `upstreamFrom` once every setting is good.
 */

const IDP_KINDS = ["entra", "b2c", "external-id", "oidc"] as const;
export type IdpKind = (typeof IDP_KINDS)[number];

export interface UpstreamConfig {
  kind: IdpKind;
  /** OpenID discovery document URL. */
  discoveryUrl: string;
  /**
   * The issuer the id_token must carry, when it is known from configuration. Otherwise it is
   * taken from the discovery document (which, for multi-tenant Entra, is a `{tenantid}` template).
   */
  issuer?: string;
  /** B2C user flow / policy, checked against the `tfp`/`acr` claim. */
  policy?: string;
  clientId: string;
  clientSecret: string;
  /** Scopes asked of the identity provider (sign-in only: never the MCP client's scopes). */
  scopes: string[];
  /** Extra authorize parameters, e.g. `prompt=select_account` for the Microsoft kinds. */
  authorizeParams: Record<string, string>;
  /** Tenants whose users may sign in; `"any"` only when the operator says `*`. */
  allowedTenants: string[] | "any";
  /** Where the provider sends the browser back: PUBLIC_URL + `/oauth/callback`. */
  callbackUrl: string;
}

const MULTI_TENANT = new Set(["organizations", "common"]);
/** `offline_access` asks for a refresh token, which pandgate uses to re-check the sign-in on every refresh of its own. */
const DEFAULT_SCOPES = ["openid", "profile", "email", "offline_access"];

const ALLOWED_TENANT_IDS_FIX = "set ALLOWED_TENANT_IDS under [vars] in wrangler.toml to a comma-separated list of tenant ids";

/** The sign-in settings, each on its own. Nothing here depends on another setting. */
const SignInSettings = z.object({
  IDP_KIND: strictText("IDP_KIND").pipe(
    z
      .enum(IDP_KINDS, {
        error: problem(
          "IDP_KIND",
          "must be one of entra, b2c, external-id, oidc",
          'set IDP_KIND (and the other IDP_* settings) under [vars] in wrangler.toml; see "Registering pandgate with Microsoft" in docs/operating.md',
        ),
      })
      .optional(),
  ),
  IDP_TENANT: strictText("IDP_TENANT"),
  IDP_POLICY: strictText("IDP_POLICY"),
  IDP_DOMAIN: strictText("IDP_DOMAIN"),
  IDP_ISSUER: strictText("IDP_ISSUER"),
  IDP_AUTHORITY_HOST: strictText("IDP_AUTHORITY_HOST").transform((host) => host ?? "login.microsoftonline.com"),
  IDP_CLIENT_ID: strictText("IDP_CLIENT_ID"),
  IDP_CLIENT_SECRET: strictText("IDP_CLIENT_SECRET"),
  IDP_SCOPES: strictText("IDP_SCOPES").transform((scopes) => (scopes === undefined ? [...DEFAULT_SCOPES] : list(scopes))),
  ALLOWED_TENANT_IDS: strictText("ALLOWED_TENANT_IDS").transform((ids) => list(ids ?? "")),
});

export const signInSettings = SignInSettings.shape;
type Settings = z.output<typeof SignInSettings>;
type Setting = keyof Settings;
/** The settings a kind can require: the plain text ones. */
type TextSetting = "IDP_TENANT" | "IDP_POLICY" | "IDP_DOMAIN" | "IDP_ISSUER" | "IDP_CLIENT_ID" | "IDP_CLIENT_SECRET";
type Flag = (setting: Setting, wrong: string, fix: string) => void;

/** What one kind of identity provider needs, and where its discovery document lives. */
interface KindRules {
  /** Settings the kind cannot do without: each with what it holds, and how to set it. */
  needs: [setting: TextSetting, holds: string, fix: string][];
  /** Rules on the values given, run after the needs. */
  check(settings: Settings, flag: Flag): void;
  discoveryUrl(settings: Settings): string;
  authorizeParams: Record<string, string>;
  /** Tenants allowed to sign in when ALLOWED_TENANT_IDS is empty. */
  defaultTenants?(settings: Settings): string[];
}

const SELECT_ACCOUNT = { prompt: "select_account" };

function b2cHost(s: Settings): string {
  return s.IDP_DOMAIN ?? `${s.IDP_TENANT ?? ""}.b2clogin.com`;
}

const KINDS: Record<IdpKind, KindRules> = {
  entra: {
    needs: [
      [
        "IDP_TENANT",
        "a tenant id (GUID), a verified domain, organizations or common",
        "set IDP_TENANT under [vars] in wrangler.toml to your directory (tenant) id, or organizations for several tenants",
      ],
    ],
    check(s, flag) {
      if (!isHostOnly(s.IDP_AUTHORITY_HOST)) {
        flag(
          "IDP_AUTHORITY_HOST",
          "must be a host name such as login.microsoftonline.us",
          "set IDP_AUTHORITY_HOST under [vars] in wrangler.toml to the host alone (no https://, no path), or leave it out for login.microsoftonline.com",
        );
      }
      if (s.IDP_TENANT === "consumers") {
        flag(
          "IDP_TENANT",
          "cannot be consumers: pandgate signs in organisation accounts",
          "set IDP_TENANT under [vars] in wrangler.toml to your directory (tenant) id, a verified domain, organizations or common",
        );
      }
      if (s.IDP_TENANT !== undefined && MULTI_TENANT.has(s.IDP_TENANT) && s.ALLOWED_TENANT_IDS.length === 0) {
        flag(
          "ALLOWED_TENANT_IDS",
          `is required with IDP_TENANT=${s.IDP_TENANT}: list the tenant ids allowed to sign in, or * for any`,
          ALLOWED_TENANT_IDS_FIX,
        );
      }
    },
    discoveryUrl: (s) => `https://${s.IDP_AUTHORITY_HOST}/${s.IDP_TENANT ?? ""}/v2.0/.well-known/openid-configuration`,
    authorizeParams: SELECT_ACCOUNT,
    // A single tenant named by its id admits only that tenant.
    defaultTenants: (s) => (s.IDP_TENANT !== undefined && isUuid(s.IDP_TENANT) ? [s.IDP_TENANT] : []),
  },
  b2c: {
    needs: [
      [
        "IDP_TENANT",
        "the B2C tenant name, e.g. contoso for contoso.onmicrosoft.com",
        'set IDP_TENANT under [vars] in wrangler.toml, e.g. IDP_TENANT = "contoso"',
      ],
      [
        "IDP_POLICY",
        "the user flow or custom policy, e.g. B2C_1_signupsignin",
        "set IDP_POLICY under [vars] in wrangler.toml to the user flow's name",
      ],
    ],
    check(s, flag) {
      // Without IDP_DOMAIN the host comes from IDP_TENANT, so a tenant that is not a plain name shows here.
      if (!isHostOnly(b2cHost(s))) {
        flag(
          "IDP_DOMAIN",
          "must be a host name such as login.contoso.com",
          "set IDP_DOMAIN under [vars] in wrangler.toml to your custom domain's host alone (no https://, no path); without IDP_DOMAIN, IDP_TENANT must be a plain tenant name such as contoso",
        );
      }
    },
    discoveryUrl: (s) =>
      `https://${b2cHost(s)}/${s.IDP_TENANT ?? ""}.onmicrosoft.com/${s.IDP_POLICY ?? ""}/v2.0/.well-known/openid-configuration`,
    authorizeParams: SELECT_ACCOUNT,
  },
  "external-id": {
    needs: [
      ["IDP_TENANT", "the external tenant id (GUID)", "set IDP_TENANT under [vars] in wrangler.toml to the external tenant's id (a GUID)"],
      [
        "IDP_DOMAIN",
        "the tenant's host, e.g. contoso.ciamlogin.com or a custom domain",
        'set IDP_DOMAIN under [vars] in wrangler.toml, e.g. IDP_DOMAIN = "contoso.ciamlogin.com"',
      ],
    ],
    check(s, flag) {
      if (s.IDP_TENANT !== undefined && !isUuid(s.IDP_TENANT)) {
        flag(
          "IDP_TENANT",
          "must be the external tenant id (a GUID)",
          "set IDP_TENANT under [vars] in wrangler.toml to the external tenant's id (a GUID), not its name",
        );
      }
      if (s.IDP_DOMAIN !== undefined && !isHostOnly(s.IDP_DOMAIN)) {
        flag(
          "IDP_DOMAIN",
          "must be a host name such as contoso.ciamlogin.com",
          "set IDP_DOMAIN under [vars] in wrangler.toml to the host alone (no https://, no path)",
        );
      }
    },
    discoveryUrl: (s) => `https://${s.IDP_DOMAIN ?? ""}/${s.IDP_TENANT ?? ""}/v2.0/.well-known/openid-configuration`,
    authorizeParams: SELECT_ACCOUNT,
  },
  oidc: {
    needs: [["IDP_ISSUER", "the provider's issuer URL", "set IDP_ISSUER under [vars] in wrangler.toml to the provider's issuer URL"]],
    check(s, flag) {
      const fix = "set IDP_ISSUER under [vars] in wrangler.toml to the issuer URL exactly as the provider's discovery document gives it";
      if (s.IDP_ISSUER === undefined) return;
      if (!URL.canParse(s.IDP_ISSUER)) flag("IDP_ISSUER", "must be an absolute URL", fix);
      else if (!isSecureUrl(new URL(s.IDP_ISSUER))) flag("IDP_ISSUER", "must use https (plain http only for localhost)", fix);
    },
    discoveryUrl: (s) => `${(s.IDP_ISSUER ?? "").replace(/\/$/, "")}/.well-known/openid-configuration`,
    authorizeParams: {},
  },
};

/**
 * Whether no sign-in setting has a problem so far. The rules that read the sign-in settings
 * together run only then, so a wrong IDP_KIND is reported alone, and COOKIE_SECRET is asked
 * for only once sign-in is otherwise complete.
 */
export function signInSettingsSound(payload: { issues: readonly { path?: readonly PropertyKey[] }[] }): boolean {
  return !hasProblemWith(payload, signInSettings);
}

/** The rules across the sign-in settings: what IDP_KIND needs, and how the settings fit together. */
export function signInRules(s: Settings, ctx: z.RefinementCtx<Settings>): void {
  const kind = s.IDP_KIND;
  if (kind === undefined) return;
  const flag: Flag = (setting, wrong, fix) => report(ctx, setting, wrong, fix);
  const need = (setting: TextSetting, holds: string, fix: string) => {
    if (s[setting] === undefined) flag(setting, `is required when IDP_KIND is ${kind} (${holds})`, fix);
  };
  need(
    "IDP_CLIENT_ID",
    "the application (client) id registered with the identity provider",
    "set IDP_CLIENT_ID under [vars] in wrangler.toml to the application (client) id of pandgate's app registration",
  );
  need(
    "IDP_CLIENT_SECRET",
    "the client secret, set with `wrangler secret put IDP_CLIENT_SECRET`",
    "set it with `wrangler secret put IDP_CLIENT_SECRET` (locally: in .dev.vars)",
  );
  if (!s.IDP_SCOPES.includes("openid")) {
    flag(
      "IDP_SCOPES",
      "must include openid",
      'set IDP_SCOPES under [vars] in wrangler.toml to scopes that include openid, or leave it out for "openid profile email offline_access"',
    );
  }
  if (s.ALLOWED_TENANT_IDS.includes("*") && s.ALLOWED_TENANT_IDS.length > 1) {
    flag("ALLOWED_TENANT_IDS", "takes either * alone or a list of tenant ids", ALLOWED_TENANT_IDS_FIX);
  }
  const rules = KINDS[kind];
  for (const [setting, holds, fix] of rules.needs) need(setting, holds, fix);
  rules.check(s, flag);
}

/** The upstream configuration from sign-in settings that passed every rule; `undefined` without IDP_KIND. */
export function upstreamFrom(s: Settings, publicOrigin: string): UpstreamConfig | undefined {
  const kind = s.IDP_KIND;
  if (kind === undefined) return undefined;
  const rules = KINDS[kind];
  const ids = s.ALLOWED_TENANT_IDS;
  const tenants = ids.length > 0 ? ids : (rules.defaultTenants?.(s) ?? []);
  return {
    kind,
    discoveryUrl: rules.discoveryUrl(s),
    ...(s.IDP_ISSUER !== undefined && { issuer: s.IDP_ISSUER }),
    ...(kind === "b2c" && { policy: s.IDP_POLICY ?? "" }),
    clientId: s.IDP_CLIENT_ID ?? "",
    clientSecret: s.IDP_CLIENT_SECRET ?? "",
    scopes: s.IDP_SCOPES,
    authorizeParams: { ...rules.authorizeParams },
    allowedTenants: ids.length === 1 && ids[0] === "*" ? "any" : tenants.map((id) => id.toLowerCase()),
    callbackUrl: `${publicOrigin}/oauth/callback`,
  };
}

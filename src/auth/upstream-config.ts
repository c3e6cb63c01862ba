import { isLoopbackHostname } from "../encoding";

/**
 * Which identity provider users sign in with, derived from the Worker's settings. The four kinds
 * share one OIDC client; they differ in where discovery lives and how the id_token's issuer is
 * checked.
 */

export type IdpKind = "entra" | "b2c" | "external-id" | "oidc";

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

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MULTI_TENANT = new Set(["organizations", "common"]);
const DEFAULT_SCOPES = ["openid", "profile", "email"];

export interface RawUpstreamSettings {
  IDP_KIND?: string;
  IDP_TENANT?: string;
  IDP_POLICY?: string;
  IDP_DOMAIN?: string;
  IDP_ISSUER?: string;
  IDP_AUTHORITY_HOST?: string;
  IDP_CLIENT_ID?: string;
  IDP_CLIENT_SECRET?: string;
  IDP_SCOPES?: string;
  ALLOWED_TENANT_IDS?: string;
}

/** A problem with one setting: its name and what is wrong. */
export type SettingProblem = { key: string; message: string };

function hostOnly(value: string): boolean {
  return /^[a-z0-9.-]+(:\d+)?$/i.test(value);
}

function isLoopbackHttp(url: URL): boolean {
  return url.protocol === "http:" && isLoopbackHostname(url.hostname);
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean);
}

/**
 * Reads the sign-in settings. Returns `undefined` when `IDP_KIND` is not set (sign-in is then
 * not configured), the upstream configuration when everything needed is there, or the list of
 * problems.
 */
export function parseUpstream(raw: RawUpstreamSettings, publicOrigin: string): UpstreamConfig | SettingProblem[] | undefined {
  const kind = raw.IDP_KIND?.trim();
  if (!kind) return undefined;
  const problems: SettingProblem[] = [];
  const need = (key: keyof RawUpstreamSettings, why: string): string => {
    const value = raw[key]?.trim();
    if (!value) problems.push({ key, message: `is required when IDP_KIND is ${kind} (${why})` });
    return value ?? "";
  };
  if (!["entra", "b2c", "external-id", "oidc"].includes(kind)) {
    return [{ key: "IDP_KIND", message: "must be one of entra, b2c, external-id, oidc" }];
  }
  const clientId = need("IDP_CLIENT_ID", "the application (client) id registered with the identity provider");
  const clientSecret = need("IDP_CLIENT_SECRET", "the client secret, set with `wrangler secret put IDP_CLIENT_SECRET`");
  const scopes = raw.IDP_SCOPES?.trim() ? list(raw.IDP_SCOPES) : DEFAULT_SCOPES;
  if (!scopes.includes("openid")) problems.push({ key: "IDP_SCOPES", message: "must include openid" });
  const allowList = list(raw.ALLOWED_TENANT_IDS);
  const allowAny = allowList.length === 1 && allowList[0] === "*";
  if (!allowAny && allowList.some((id) => id === "*")) {
    problems.push({ key: "ALLOWED_TENANT_IDS", message: "takes either * alone or a list of tenant ids" });
  }

  let discoveryUrl = "";
  let issuer: string | undefined = raw.IDP_ISSUER?.trim() || undefined;
  let policy: string | undefined;
  let allowedTenants: string[] | "any" = allowAny ? "any" : allowList;
  const microsoftParams = { prompt: "select_account" };
  let authorizeParams: Record<string, string> = microsoftParams;

  switch (kind) {
    case "entra": {
      const tenant = need("IDP_TENANT", "a tenant id (GUID), a verified domain, organizations or common");
      const host = raw.IDP_AUTHORITY_HOST?.trim() || "login.microsoftonline.com";
      if (!hostOnly(host)) problems.push({ key: "IDP_AUTHORITY_HOST", message: "must be a host name such as login.microsoftonline.us" });
      if (tenant === "consumers")
        problems.push({ key: "IDP_TENANT", message: "cannot be consumers: pandgate signs in organisation accounts" });
      discoveryUrl = `https://${host}/${tenant}/v2.0/.well-known/openid-configuration`;
      if (MULTI_TENANT.has(tenant)) {
        if (!allowAny && allowList.length === 0) {
          problems.push({
            key: "ALLOWED_TENANT_IDS",
            message: `is required with IDP_TENANT=${tenant}: list the tenant ids allowed to sign in, or * for any`,
          });
        }
      } else if (GUID.test(tenant) && !allowAny && allowList.length === 0) {
        allowedTenants = [tenant.toLowerCase()];
      }
      break;
    }
    case "b2c": {
      const tenant = need("IDP_TENANT", "the B2C tenant name, e.g. contoso for contoso.onmicrosoft.com");
      policy = need("IDP_POLICY", "the user flow or custom policy, e.g. B2C_1_signupsignin");
      const host = raw.IDP_DOMAIN?.trim() || `${tenant}.b2clogin.com`;
      if (!hostOnly(host)) problems.push({ key: "IDP_DOMAIN", message: "must be a host name such as login.contoso.com" });
      discoveryUrl = `https://${host}/${tenant}.onmicrosoft.com/${policy}/v2.0/.well-known/openid-configuration`;
      break;
    }
    case "external-id": {
      const tenant = need("IDP_TENANT", "the external tenant id (GUID)");
      const host = need("IDP_DOMAIN", "the tenant's host, e.g. contoso.ciamlogin.com or a custom domain");
      if (tenant && !GUID.test(tenant)) problems.push({ key: "IDP_TENANT", message: "must be the external tenant id (a GUID)" });
      if (host && !hostOnly(host)) problems.push({ key: "IDP_DOMAIN", message: "must be a host name such as contoso.ciamlogin.com" });
      discoveryUrl = `https://${host}/${tenant}/v2.0/.well-known/openid-configuration`;
      break;
    }
    case "oidc": {
      const value = need("IDP_ISSUER", "the provider's issuer URL");
      authorizeParams = {};
      if (value) {
        try {
          const url = new URL(value);
          if (url.protocol !== "https:" && !isLoopbackHttp(url)) {
            problems.push({ key: "IDP_ISSUER", message: "must use https (plain http only for localhost)" });
          }
          discoveryUrl = `${value.replace(/\/$/, "")}/.well-known/openid-configuration`;
        } catch {
          problems.push({ key: "IDP_ISSUER", message: "must be an absolute URL" });
        }
      }
      issuer = value;
      break;
    }
  }
  if (problems.length > 0) return problems;
  return {
    kind: kind as IdpKind,
    discoveryUrl,
    ...(issuer !== undefined && { issuer }),
    ...(policy !== undefined && { policy }),
    clientId,
    clientSecret,
    scopes,
    authorizeParams,
    allowedTenants: allowedTenants === "any" ? "any" : allowedTenants.map((id) => id.toLowerCase()),
    callbackUrl: `${publicOrigin}/oauth/callback`,
  };
}

import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { identityFromClaims } from "../src/auth/identity";
import { type Discovery, SignInError, verifyIdToken } from "../src/auth/oidc-client";
import { ConfigError, parseConfig } from "../src/config";
import type { UpstreamConfig } from "../src/config/sign-in";
import { mockServer } from "./helpers/msw";

const ORIGIN = "https://pandgate.example.workers.dev";
const GUID = "9b1f0c3e-2a4d-4b6e-8f10-3c5d7e9a1b2c";
const COOKIE_SECRET = "test-cookie-secret-0123456789abcdef";

/** The upstream configuration the Worker's configuration makes of these sign-in settings. */
function upstreamFrom(settings: Record<string, string>): UpstreamConfig | undefined {
  return parseConfig({ PUBLIC_URL: ORIGIN, COOKIE_SECRET, ...settings }).upstream;
}

describe("identity provider settings", () => {
  it("derives Entra, B2C, External ID and OIDC discovery from the settings", () => {
    const base = { IDP_CLIENT_ID: "app", IDP_CLIENT_SECRET: "secret" };
    expect(upstreamFrom({ ...base, IDP_KIND: "entra", IDP_TENANT: GUID })).toMatchObject({
      discoveryUrl: `https://login.microsoftonline.com/${GUID}/v2.0/.well-known/openid-configuration`,
      allowedTenants: [GUID],
      authorizeParams: { prompt: "select_account" },
      callbackUrl: `${ORIGIN}/oauth/callback`,
      scopes: ["openid", "profile", "email", "offline_access"],
    });
    expect(upstreamFrom({ ...base, IDP_KIND: "entra", IDP_TENANT: "organizations", ALLOWED_TENANT_IDS: "*" })).toMatchObject({
      allowedTenants: "any",
    });
    expect(upstreamFrom({ ...base, IDP_KIND: "entra", IDP_TENANT: GUID, IDP_AUTHORITY_HOST: "login.microsoftonline.us" })).toMatchObject({
      discoveryUrl: `https://login.microsoftonline.us/${GUID}/v2.0/.well-known/openid-configuration`,
    });
    expect(upstreamFrom({ ...base, IDP_KIND: "b2c", IDP_TENANT: "contoso", IDP_POLICY: "B2C_1_signin" })).toMatchObject({
      discoveryUrl: "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin/v2.0/.well-known/openid-configuration",
      policy: "B2C_1_signin",
    });
    expect(
      upstreamFrom({ ...base, IDP_KIND: "b2c", IDP_TENANT: "contoso", IDP_POLICY: "B2C_1_signin", IDP_DOMAIN: "login.contoso.com" }),
    ).toMatchObject({
      discoveryUrl: "https://login.contoso.com/contoso.onmicrosoft.com/B2C_1_signin/v2.0/.well-known/openid-configuration",
    });
    expect(upstreamFrom({ ...base, IDP_KIND: "external-id", IDP_TENANT: GUID, IDP_DOMAIN: "contoso.ciamlogin.com" })).toMatchObject({
      discoveryUrl: `https://contoso.ciamlogin.com/${GUID}/v2.0/.well-known/openid-configuration`,
    });
    expect(upstreamFrom({ ...base, IDP_KIND: "oidc", IDP_ISSUER: "http://127.0.0.1:9090/t/v2.0" })).toMatchObject({
      discoveryUrl: "http://127.0.0.1:9090/t/v2.0/.well-known/openid-configuration",
      issuer: "http://127.0.0.1:9090/t/v2.0",
      authorizeParams: {},
    });
    expect(upstreamFrom({})).toBeUndefined();
  });

  it.each([
    [{ IDP_KIND: "okta" }, "IDP_KIND must be one of"],
    [{ IDP_KIND: "entra", IDP_TENANT: GUID, IDP_CLIENT_ID: "app" }, "IDP_CLIENT_SECRET is required"],
    [
      { IDP_KIND: "entra", IDP_TENANT: "organizations", IDP_CLIENT_ID: "a", IDP_CLIENT_SECRET: "s" },
      "ALLOWED_TENANT_IDS is required with IDP_TENANT=organizations",
    ],
    [{ IDP_KIND: "b2c", IDP_TENANT: "contoso", IDP_CLIENT_ID: "a", IDP_CLIENT_SECRET: "s" }, "IDP_POLICY is required"],
    [
      { IDP_KIND: "external-id", IDP_TENANT: "contoso", IDP_DOMAIN: "x.ciamlogin.com", IDP_CLIENT_ID: "a", IDP_CLIENT_SECRET: "s" },
      "IDP_TENANT must be the external tenant id",
    ],
    [{ IDP_KIND: "oidc", IDP_ISSUER: "http://idp.example.com", IDP_CLIENT_ID: "a", IDP_CLIENT_SECRET: "s" }, "IDP_ISSUER must use https"],
    [{ IDP_KIND: "entra", IDP_TENANT: GUID, IDP_CLIENT_ID: "a", IDP_CLIENT_SECRET: "s" }, "COOKIE_SECRET is required"],
    [{ OPERATOR_SECRET: "short" }, "OPERATOR_SECRET must be at least 32 characters"],
    [{ EXTERNAL_TOKEN_ISSUER: "https://auth.example" }, "EXTERNAL_TOKEN_ISSUER and EXTERNAL_TOKEN_JWKS_URL"],
  ])("stops the Worker for %j, naming the setting", (settings, expected) => {
    expect(() => parseConfig({ PUBLIC_URL: ORIGIN, ...settings })).toThrow(expected);
  });
});

describe("sign-in settings: every rule names its setting and its fix", () => {
  const app = { IDP_CLIENT_ID: "a", IDP_CLIENT_SECRET: "s", COOKIE_SECRET };
  const problems = (settings: Record<string, unknown>): string[] => {
    try {
      parseConfig({ PUBLIC_URL: ORIGIN, ...settings });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message.split("\n").slice(1);
    }
    throw new Error(`accepted ${JSON.stringify(settings)}`);
  };

  it.each<[Record<string, unknown>, string[]]>([
    [
      { IDP_KIND: "okta" },
      [
        '- IDP_KIND must be one of entra, b2c, external-id, oidc: set IDP_KIND (and the other IDP_* settings) under [vars] in wrangler.toml; see "Registering pandgate with Microsoft" in docs/operating.md',
      ],
    ],
    [
      { IDP_KIND: "entra", IDP_TENANT: GUID, COOKIE_SECRET },
      [
        "- IDP_CLIENT_ID is required when IDP_KIND is entra (the application (client) id registered with the identity provider): set IDP_CLIENT_ID under [vars] in wrangler.toml to the application (client) id of pandgate's app registration",
        "- IDP_CLIENT_SECRET is required when IDP_KIND is entra (the client secret, set with `wrangler secret put IDP_CLIENT_SECRET`): set it with `wrangler secret put IDP_CLIENT_SECRET` (locally: in .dev.vars)",
      ],
    ],
    [
      {
        ...app,
        IDP_KIND: "entra",
        IDP_TENANT: GUID,
        IDP_SCOPES: "profile email",
        ALLOWED_TENANT_IDS: "*, 11111111-1111-1111-1111-111111111111",
      },
      [
        '- IDP_SCOPES must include openid: set IDP_SCOPES under [vars] in wrangler.toml to scopes that include openid, or leave it out for "openid profile email offline_access"',
        "- ALLOWED_TENANT_IDS takes either * alone or a list of tenant ids: set ALLOWED_TENANT_IDS under [vars] in wrangler.toml to a comma-separated list of tenant ids",
      ],
    ],
    [
      { ...app, IDP_KIND: "entra" },
      [
        "- IDP_TENANT is required when IDP_KIND is entra (a tenant id (GUID), a verified domain, organizations or common): set IDP_TENANT under [vars] in wrangler.toml to your directory (tenant) id, or organizations for several tenants",
      ],
    ],
    [
      { ...app, IDP_KIND: "entra", IDP_TENANT: "consumers", IDP_AUTHORITY_HOST: "https://login.microsoftonline.us/" },
      [
        "- IDP_AUTHORITY_HOST must be a host name such as login.microsoftonline.us: set IDP_AUTHORITY_HOST under [vars] in wrangler.toml to the host alone (no https://, no path), or leave it out for login.microsoftonline.com",
        "- IDP_TENANT cannot be consumers: pandgate signs in organisation accounts: set IDP_TENANT under [vars] in wrangler.toml to your directory (tenant) id, a verified domain, organizations or common",
      ],
    ],
    [
      { ...app, IDP_KIND: "entra", IDP_TENANT: "common" },
      [
        "- ALLOWED_TENANT_IDS is required with IDP_TENANT=common: list the tenant ids allowed to sign in, or * for any: set ALLOWED_TENANT_IDS under [vars] in wrangler.toml to a comma-separated list of tenant ids",
      ],
    ],
    [
      { ...app, IDP_KIND: "b2c" },
      [
        '- IDP_TENANT is required when IDP_KIND is b2c (the B2C tenant name, e.g. contoso for contoso.onmicrosoft.com): set IDP_TENANT under [vars] in wrangler.toml, e.g. IDP_TENANT = "contoso"',
        "- IDP_POLICY is required when IDP_KIND is b2c (the user flow or custom policy, e.g. B2C_1_signupsignin): set IDP_POLICY under [vars] in wrangler.toml to the user flow's name",
      ],
    ],
    [
      { ...app, IDP_KIND: "b2c", IDP_TENANT: "contoso", IDP_POLICY: "B2C_1_signin", IDP_DOMAIN: "https://login.contoso.com" },
      [
        "- IDP_DOMAIN must be a host name such as login.contoso.com: set IDP_DOMAIN under [vars] in wrangler.toml to your custom domain's host alone (no https://, no path); without IDP_DOMAIN, IDP_TENANT must be a plain tenant name such as contoso",
      ],
    ],
    [
      // Without IDP_DOMAIN the B2C host is made from the tenant name, so a tenant that is no plain name shows as that host.
      { ...app, IDP_KIND: "b2c", IDP_TENANT: "contoso.onmicrosoft.com/x", IDP_POLICY: "B2C_1_signin" },
      [
        "- IDP_DOMAIN must be a host name such as login.contoso.com: set IDP_DOMAIN under [vars] in wrangler.toml to your custom domain's host alone (no https://, no path); without IDP_DOMAIN, IDP_TENANT must be a plain tenant name such as contoso",
      ],
    ],
    [
      { ...app, IDP_KIND: "external-id" },
      [
        "- IDP_TENANT is required when IDP_KIND is external-id (the external tenant id (GUID)): set IDP_TENANT under [vars] in wrangler.toml to the external tenant's id (a GUID)",
        '- IDP_DOMAIN is required when IDP_KIND is external-id (the tenant\'s host, e.g. contoso.ciamlogin.com or a custom domain): set IDP_DOMAIN under [vars] in wrangler.toml, e.g. IDP_DOMAIN = "contoso.ciamlogin.com"',
      ],
    ],
    [
      { ...app, IDP_KIND: "external-id", IDP_TENANT: "contoso", IDP_DOMAIN: "https://contoso.ciamlogin.com" },
      [
        "- IDP_TENANT must be the external tenant id (a GUID): set IDP_TENANT under [vars] in wrangler.toml to the external tenant's id (a GUID), not its name",
        "- IDP_DOMAIN must be a host name such as contoso.ciamlogin.com: set IDP_DOMAIN under [vars] in wrangler.toml to the host alone (no https://, no path)",
      ],
    ],
    [
      { ...app, IDP_KIND: "oidc" },
      [
        "- IDP_ISSUER is required when IDP_KIND is oidc (the provider's issuer URL): set IDP_ISSUER under [vars] in wrangler.toml to the provider's issuer URL",
      ],
    ],
    [
      { ...app, IDP_KIND: "oidc", IDP_ISSUER: "idp.example.com" },
      [
        "- IDP_ISSUER must be an absolute URL: set IDP_ISSUER under [vars] in wrangler.toml to the issuer URL exactly as the provider's discovery document gives it",
      ],
    ],
    [
      { ...app, IDP_KIND: "oidc", IDP_ISSUER: "http://idp.example.com" },
      [
        "- IDP_ISSUER must use https (plain http only for localhost): set IDP_ISSUER under [vars] in wrangler.toml to the issuer URL exactly as the provider's discovery document gives it",
      ],
    ],
    [
      { ...app, IDP_KIND: "oidc", IDP_ISSUER: "https://idp.example.com", COOKIE_SECRET: undefined },
      [
        "- COOKIE_SECRET is required when sign-in is configured: set it with `wrangler secret put COOKIE_SECRET` to 32 or more random characters (locally: in .dev.vars)",
      ],
    ],
    [
      { ...app, IDP_KIND: "entra", IDP_TENANT: 42 },
      ["- IDP_TENANT must be text: quote the value of IDP_TENANT under [vars] in wrangler.toml"],
    ],
  ])("%j is refused with exactly these lines", (settings, lines) => {
    expect(problems(settings)).toEqual(lines);
  });

  it("reports an unknown IDP_KIND alone, and asks for COOKIE_SECRET only once sign-in is otherwise complete", () => {
    // An unknown kind: nothing else about sign-in is checked, COOKIE_SECRET included.
    expect(problems({ IDP_KIND: "okta" })).toHaveLength(1);
    // Sign-in settings with problems of their own: those are listed, COOKIE_SECRET is not asked for yet.
    expect(problems({ IDP_KIND: "b2c", IDP_TENANT: "contoso" }).map((line) => line.split(" ")[1])).toEqual([
      "IDP_CLIENT_ID",
      "IDP_CLIENT_SECRET",
      "IDP_POLICY",
    ]);
    expect(problems({ IDP_KIND: "b2c", IDP_TENANT: "contoso", IDP_POLICY: "p", IDP_CLIENT_ID: "a", IDP_CLIENT_SECRET: "s" })).toEqual([
      expect.stringMatching(/^- COOKIE_SECRET is required when sign-in is configured: /),
    ]);
  });

  it("ignores the sign-in settings without IDP_KIND, and lists their problems with every other bad setting", () => {
    expect(parseConfig({ PUBLIC_URL: ORIGIN, IDP_KIND: " ", IDP_TENANT: "consumers", IDP_SCOPES: "profile" }).upstream).toBeUndefined();
    expect(
      problems({ PUBLIC_URL: "not a url", IDP_KIND: "entra", IDP_TENANT: "common", MAX_CONCURRENT_JOBS: "99", ALLOWED_ORIGINS: "*" }).map(
        (line) => line.split(" ")[1],
      ),
    ).toEqual(["PUBLIC_URL", "MAX_CONCURRENT_JOBS", "IDP_CLIENT_ID", "IDP_CLIENT_SECRET", "ALLOWED_TENANT_IDS", "ALLOWED_ORIGINS"]);
  });
});

/** An identity provider stand-in for one kind: discovery, keys, and id_tokens it signs. */
async function provider(doc: Discovery) {
  const pair = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: `k-${crypto.randomUUID()}`, use: "sig" };
  mockServer.use(http.get(doc.jwks_uri, () => HttpResponse.json({ keys: [jwk] })));
  const sign = (claims: Record<string, unknown>) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iat: now, nbf: now, exp: now + 3600, ...claims })
      .setProtectedHeader({ alg: "RS256", kid: jwk.kid })
      .sign(pair.privateKey);
  };
  return { sign };
}

function upstream(kind: UpstreamConfig["kind"], extra: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return {
    kind,
    discoveryUrl: "unused",
    clientId: "client-123",
    clientSecret: "s",
    scopes: ["openid"],
    authorizeParams: {},
    allowedTenants: [],
    callbackUrl: `${ORIGIN}/oauth/callback`,
    ...extra,
  };
}

describe("issuer rules per provider kind", () => {
  it("B2C: the discovery issuer (GUID, trailing slash) and the user flow must match", async () => {
    const host = `https://contoso-${crypto.randomUUID().slice(0, 6)}.b2clogin.com`;
    const doc: Discovery = {
      issuer: `${host}/${GUID}/v2.0/`,
      authorization_endpoint: `${host}/contoso.onmicrosoft.com/b2c_1_signin/oauth2/v2.0/authorize`,
      token_endpoint: `${host}/contoso.onmicrosoft.com/b2c_1_signin/oauth2/v2.0/token`,
      jwks_uri: `${host}/contoso.onmicrosoft.com/b2c_1_signin/discovery/v2.0/keys`,
    };
    const idp = await provider(doc);
    const config = upstream("b2c", { policy: "B2C_1_SignIn" });
    const good = { iss: doc.issuer, aud: "client-123", sub: "b2c-object-id", nonce: "n1", tfp: "b2c_1_signin", emails: ["x@example.com"] };
    const claims = await verifyIdToken(doc, config, await idp.sign(good), "n1");
    const identity = await identityFromClaims("b2c", claims);
    expect(identity).toMatchObject({ idp: "b2c", email: "x@example.com", tenantId: doc.issuer.toLowerCase() });
    expect(identity.userKey).toMatch(/^b2c\.[A-Za-z0-9_-]{43}$/);

    await expect(verifyIdToken(doc, config, await idp.sign({ ...good, iss: doc.issuer.slice(0, -1) }), "n1")).rejects.toThrow(/issuer/);
    await expect(verifyIdToken(doc, config, await idp.sign({ ...good, tfp: "B2C_1_other" }), "n1")).rejects.toThrow(/different user flow/);
  });

  it("External ID: the tenant's ciamlogin issuer must match exactly", async () => {
    const host = `https://contoso${crypto.randomUUID().slice(0, 6)}.ciamlogin.com`;
    const doc: Discovery = {
      issuer: `https://${GUID}.ciamlogin.com/${GUID}/v2.0`,
      authorization_endpoint: `${host}/${GUID}/oauth2/v2.0/authorize`,
      token_endpoint: `${host}/${GUID}/oauth2/v2.0/token`,
      jwks_uri: `${host}/${GUID}/discovery/v2.0/keys`,
    };
    const idp = await provider(doc);
    const config = upstream("external-id");
    const good = { iss: doc.issuer, aud: "client-123", sub: "pairwise-sub", oid: "o1", tid: GUID, nonce: "n" };
    const identity = await identityFromClaims("external-id", await verifyIdToken(doc, config, await idp.sign(good), "n"));
    expect(identity).toMatchObject({ idp: "external-id", tenantId: GUID });
    await expect(
      verifyIdToken(doc, config, await idp.sign({ ...good, iss: `https://login.microsoftonline.com/${GUID}/v2.0` }), "n"),
    ).rejects.toBeInstanceOf(SignInError);
  });

  it("Entra single tenant: only the tenant's own issuer, and an identity keyed by tid and oid, never email", async () => {
    const tenantHost = `https://login-${crypto.randomUUID().slice(0, 6)}.microsoftonline.com`;
    const doc: Discovery = {
      issuer: `${tenantHost}/${GUID}/v2.0`,
      authorization_endpoint: `${tenantHost}/${GUID}/oauth2/v2.0/authorize`,
      token_endpoint: `${tenantHost}/${GUID}/oauth2/v2.0/token`,
      jwks_uri: `${tenantHost}/${GUID}/discovery/v2.0/keys`,
    };
    const idp = await provider(doc);
    const good = {
      iss: doc.issuer,
      aud: "client-123",
      sub: "s",
      oid: "OID-1",
      tid: GUID,
      nonce: "n",
      email: "ceo@contoso.example",
      preferred_username: "ceo@contoso.example",
    };
    const a = await identityFromClaims("entra", await verifyIdToken(doc, upstream("entra"), await idp.sign(good), "n"));
    const b = await identityFromClaims(
      "entra",
      await verifyIdToken(doc, upstream("entra"), await idp.sign({ ...good, oid: "OID-2" }), "n"),
    );
    expect(a.userKey).toBe(`entra.${GUID}.oid-1`);
    expect(b.userKey).not.toBe(a.userKey);
    const other = "11111111-1111-1111-1111-111111111111";
    await expect(
      verifyIdToken(doc, upstream("entra"), await idp.sign({ ...good, iss: `${tenantHost}/${other}/v2.0`, tid: other }), "n"),
    ).rejects.toThrow(/issuer/);
  });
});

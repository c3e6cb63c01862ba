import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { identityFromClaims } from "../src/auth/identity";
import { type Discovery, SignInError, verifyIdToken } from "../src/auth/oidc-client";
import type { UpstreamConfig } from "../src/auth/upstream-config";
import { parseConfig } from "../src/config";
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
      scopes: ["openid", "profile", "email"],
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

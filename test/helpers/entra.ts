import { env } from "cloudflare:workers";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { HttpResponse, http } from "msw";
import { sha256Base64Url } from "../../src/encoding";
import { mockServer } from "./msw";

/**
 * A stand-in for Microsoft Entra ID (workforce, multi-tenant `organizations` authority) at
 * login.microsoftonline.com, answering in Entra's wire format: a discovery document with the
 * `{tenantid}` issuer template and no PKCE advertisement, per-tenant key sets whose keys carry
 * an `issuer`, and a v2.0 token endpoint that checks client_secret_post and the PKCE verifier.
 * "Signing in" is done by the test with `login()`, which mints the code the callback receives.
 */
export const ENTRA = "https://login.microsoftonline.com";
export const TENANT_A = "3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11";
export const TENANT_B = "7a9e4b20-5c3f-4d8a-b1e6-2f0d9c7a3e55";
/** A real-looking tenant that is not on the allow-list. */
export const TENANT_OTHER = "0d2c5e8a-1f3b-4c7d-9e6a-5b4c3d2e1f00";

export interface EntraUser {
  tid: string;
  oid: string;
  name: string;
  email?: string;
  roles?: string[];
}

export interface LoginTweaks {
  /** Claims to override (or, with `undefined`, to remove) in the id_token. */
  claims?: Record<string, unknown>;
  /** Sign with a key Entra never published, under a published `kid`. */
  forgeSignature?: boolean;
}

interface PendingCode {
  user: EntraUser;
  nonce: string;
  challenge: string;
  redirectUri: string;
  tweaks: LoginTweaks;
  /** The scopes pandgate asked for at the authorize endpoint. */
  scope: string[];
}

type Key = { privateKey: CryptoKey; jwk: JWK };

/**
 * Signing keys live as long as the test isolate, like Entra's: pandgate caches key sets by URL,
 * so a new mock must not silently swap the key behind a `kid` it has already seen.
 */
const tenantKeys = new Map<string, Key>();

export class EntraMock {
  readonly clientId = env.IDP_CLIENT_ID as string;
  readonly clientSecret = env.IDP_CLIENT_SECRET as string;
  readonly tokenRequests: URLSearchParams[] = [];
  readonly #keys = tenantKeys;
  readonly #codes = new Map<string, PendingCode>();
  readonly #refreshTokens = new Map<string, EntraUser>();
  readonly #disabled = new Set<string>();
  #forger?: CryptoKey;

  async #key(tid: string): Promise<Key> {
    const key = this.#keys.get(tid);
    return key ?? this.rotate(tid);
  }

  /** Entra rolls a tenant's signing key: a new key under a new `kid` replaces the old one. */
  async rotate(tid: string): Promise<Key> {
    const pair = await generateKeyPair("RS256", { extractable: true });
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: `kid-${crypto.randomUUID()}`, use: "sig", alg: "RS256" };
    const key = { privateKey: pair.privateKey, jwk };
    this.#keys.set(tid, key);
    return key;
  }

  install(): this {
    const discovery = {
      token_endpoint: `${ENTRA}/organizations/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${ENTRA}/organizations/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: `${ENTRA}/{tenantid}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
      authorization_endpoint: `${ENTRA}/organizations/oauth2/v2.0/authorize`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${ENTRA}/organizations/oauth2/v2.0/logout`,
      claims_supported: [
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "acr",
        "nonce",
        "preferred_username",
        "name",
        "tid",
        "ver",
        "at_hash",
        "c_hash",
        "email",
      ],
      tenant_region_scope: null,
      cloud_instance_name: "microsoftonline.com",
    };
    mockServer.use(
      http.get(`${ENTRA}/organizations/v2.0/.well-known/openid-configuration`, () => HttpResponse.json(discovery)),
      http.get(`${ENTRA}/:tenant/discovery/v2.0/keys`, async ({ params }) => {
        const tenant = String(params.tenant);
        const tenants = tenant === "organizations" ? [...this.#keys.keys()] : [tenant];
        const keys = [];
        for (const tid of tenants) {
          const { jwk } = await this.#key(tid);
          keys.push({ ...jwk, issuer: tenant === "organizations" ? `${ENTRA}/{tenantid}/v2.0` : `${ENTRA}/${tid}/v2.0` });
        }
        return HttpResponse.json({ keys });
      }),
      http.post(`${ENTRA}/organizations/oauth2/v2.0/token`, async ({ request }) => this.#token(new URLSearchParams(await request.text()))),
    );
    return this;
  }

  /** The user signs in at the authorize URL pandgate redirected to; returns the callback URL. */
  async login(authorizeUrl: string, user: EntraUser, tweaks: LoginTweaks = {}): Promise<string> {
    const url = new URL(authorizeUrl);
    const p = url.searchParams;
    if (p.get("client_id") !== this.clientId) throw new Error("AADSTS700016: application not found");
    if (p.has("resource")) throw new Error("AADSTS901002: The 'resource' request parameter is not supported.");
    const code = `0.AQ${crypto.randomUUID().replaceAll("-", "")}`;
    this.#codes.set(code, {
      user,
      nonce: p.get("nonce") ?? "",
      challenge: p.get("code_challenge") ?? "",
      redirectUri: p.get("redirect_uri") ?? "",
      tweaks,
      scope: (p.get("scope") ?? "").split(" ").filter(Boolean),
    });
    const back = new URL(p.get("redirect_uri") ?? "");
    back.searchParams.set("code", code);
    back.searchParams.set("state", p.get("state") ?? "");
    back.searchParams.set("session_state", crypto.randomUUID());
    return back.toString();
  }

  async #token(form: URLSearchParams): Promise<Response> {
    this.tokenRequests.push(form);
    const fail = (error: string, description: string) =>
      HttpResponse.json(
        { error, error_description: description, error_codes: [50000], timestamp: new Date().toISOString() },
        { status: 400 },
      );
    if (form.get("client_id") !== this.clientId || form.get("client_secret") !== this.clientSecret) {
      return HttpResponse.json(
        { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." },
        { status: 401 },
      );
    }
    if (form.get("grant_type") === "refresh_token") return this.#refresh(form, fail);
    const pending = this.#codes.get(form.get("code") ?? "");
    if (form.get("grant_type") !== "authorization_code" || !pending)
      return fail("invalid_grant", "AADSTS70008: The provided authorization code or refresh token has expired.");
    this.#codes.delete(form.get("code") ?? "");
    if (form.get("redirect_uri") !== pending.redirectUri) return fail("invalid_grant", "AADSTS50148: The redirect_uri does not match.");
    const challenge = await sha256Base64Url(form.get("code_verifier") ?? "");
    if (challenge !== pending.challenge) return fail("invalid_grant", "AADSTS501481: The Code_Verifier does not match the code_challenge.");
    return HttpResponse.json({
      token_type: "Bearer",
      scope: "openid profile email",
      expires_in: 4486,
      ext_expires_in: 4486,
      access_token: "eyJ0eXAiOiJKV1QiLCJub25jZSI6Imdyb3VwIn0.graph-token-not-for-us.sig",
      id_token: await this.idToken(pending),
      // Entra returns a refresh token when offline_access was asked for.
      ...(pending.scope.includes("offline_access") && { refresh_token: this.#issueRefresh(pending.user) }),
    });
  }

  #issueRefresh(user: EntraUser): string {
    const token = `0.AR${crypto.randomUUID().replaceAll("-", "")}`;
    this.#refreshTokens.set(token, user);
    return token;
  }

  /** The refresh grant, as Entra answers it: a new refresh token, or AADSTS errors for a disabled or signed-out user. */
  async #refresh(form: URLSearchParams, fail: (error: string, description: string) => Response): Promise<Response> {
    const user = this.#refreshTokens.get(form.get("refresh_token") ?? "");
    if (!user) return fail("invalid_grant", "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.");
    if (this.#disabled.has(user.oid)) return fail("invalid_grant", "AADSTS50057: The user account is disabled.");
    this.#refreshTokens.delete(form.get("refresh_token") ?? "");
    return HttpResponse.json({
      token_type: "Bearer",
      scope: form.get("scope") ?? "openid profile email offline_access",
      expires_in: 4486,
      access_token: "eyJ0eXAiOiJKV1QiLCJub25jZSI6Imdyb3VwIn0.graph-token-not-for-us.sig",
      refresh_token: this.#issueRefresh(user),
    });
  }

  /** An administrator disables the account in Entra: its refresh tokens stop working. */
  disableUser(oid: string): void {
    this.#disabled.add(oid);
  }

  /** An administrator revokes the user's sessions ("sign out everywhere"): every refresh token issued so far stops working. */
  revokeSessions(oid: string): void {
    for (const [token, user] of this.#refreshTokens) if (user.oid === oid) this.#refreshTokens.delete(token);
  }

  async idToken(pending: Pick<PendingCode, "user" | "nonce" | "tweaks">): Promise<string> {
    const { user, nonce, tweaks } = pending;
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      aud: this.clientId,
      iss: `${ENTRA}/${user.tid}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      name: user.name,
      nonce,
      oid: user.oid,
      preferred_username: user.email ?? `${user.oid}@example.org`,
      rh: "0.AQ.fake",
      roles: user.roles ?? [],
      sub: `pairwise-${user.oid.slice(0, 8)}`,
      tid: user.tid,
      uti: crypto.randomUUID(),
      ver: "2.0",
      ...(user.email && { email: user.email }),
    };
    for (const [name, value] of Object.entries(tweaks.claims ?? {})) {
      if (value === undefined) delete claims[name];
      else claims[name] = value;
    }
    const key = await this.#key(user.tid);
    let signingKey = key.privateKey;
    if (tweaks.forgeSignature) {
      this.#forger ??= (await generateKeyPair("RS256")).privateKey;
      signingKey = this.#forger;
    }
    return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: key.jwk.kid as string, typ: "JWT" }).sign(signingKey);
  }
}

let users = 0;
export function entraUser(tid = TENANT_A, extra: Partial<EntraUser> = {}): EntraUser {
  users += 1;
  return { tid, oid: crypto.randomUUID(), name: `Gebruiker ${users}`, email: `user${users}@contoso.example`, roles: [], ...extra };
}

import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { sha256Base64Url } from "../../src/encoding";
import { Browser, hiddenField } from "./browser";
import type { EntraMock, EntraUser, LoginTweaks } from "./entra";
import { BASE, MCP_URL } from "./oauth";

export const CLIENT_REDIRECT = "https://client.example.org/oauth/callback";

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  client_name?: string;
}

/** RFC 7591 dynamic registration at the real endpoint. */
export async function registerClient(metadata: Record<string, unknown> = {}): Promise<RegisteredClient> {
  const res = await exports.default.fetch(`${BASE}/oauth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "Test MCP Client",
      redirect_uris: [CLIENT_REDIRECT],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      ...metadata,
    }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as RegisteredClient;
}

export async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = `${crypto.randomUUID()}-${crypto.randomUUID()}`;
  return { verifier, challenge: await sha256Base64Url(verifier) };
}

export interface Authorization {
  browser: Browser;
  client: RegisteredClient;
  verifier: string;
  state: string;
  redirectUri: string;
}

/** The client sends the browser to /authorize; returns the response (the consent page, usually). */
export async function openAuthorize(
  client: RegisteredClient,
  options: { scope?: string; redirectUri?: string; browser?: Browser; extra?: Record<string, string> } = {},
): Promise<{ res: Response; auth: Authorization }> {
  const browser = options.browser ?? new Browser();
  const { verifier, challenge } = await pkce();
  const state = crypto.randomUUID();
  const redirectUri = options.redirectUri ?? client.redirect_uris[0] ?? CLIENT_REDIRECT;
  const query = new URLSearchParams({
    response_type: "code",
    client_id: client.client_id,
    redirect_uri: redirectUri,
    scope: options.scope ?? "mcp:read",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
    resource: MCP_URL,
    ...options.extra,
  });
  const res = await browser.fetch(`${BASE}/authorize?${query}`);
  return { res, auth: { browser, client, verifier, state, redirectUri } };
}

/** Submits the consent form. */
export async function submitConsent(
  browser: Browser,
  html: string,
  options: { decision?: "approve" | "deny"; scopes?: string[]; remember?: boolean; handle?: string } = {},
): Promise<Response> {
  const form = new URLSearchParams({ handle: options.handle ?? hiddenField(html, "handle"), decision: options.decision ?? "approve" });
  for (const scope of options.scopes ?? []) form.append("scope", scope);
  if (options.remember) form.set("remember", "yes");
  return browser.fetch(`${BASE}/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form,
  });
}

/** Redeems the code pandgate gave the client at the real token endpoint. */
export async function redeem(auth: Authorization, clientRedirect: string, clientAuth: "none" | "post" | "basic" = "none") {
  const back = new URL(clientRedirect);
  expect(back.searchParams.get("state")).toBe(auth.state);
  expect(back.searchParams.get("iss")).toBe(BASE);
  const form = new URLSearchParams({
    grant_type: "authorization_code",
    code: back.searchParams.get("code") ?? "",
    redirect_uri: auth.redirectUri,
    code_verifier: auth.verifier,
    resource: MCP_URL,
  });
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (clientAuth === "basic") headers.authorization = `Basic ${btoa(`${auth.client.client_id}:${auth.client.client_secret}`)}`;
  else form.set("client_id", auth.client.client_id);
  if (clientAuth === "post") form.set("client_secret", auth.client.client_secret ?? "");
  const res = await exports.default.fetch(`${BASE}/oauth/token`, { method: "POST", headers, body: form });
  const body = (await res.json()) as { access_token?: string; refresh_token?: string; scope?: string; error?: string };
  return { status: res.status, body };
}

/** Consent approved, then the user signs in at the (mock) identity provider; returns the callback response. */
export async function approveAndSignIn(
  entra: EntraMock,
  client: RegisteredClient,
  user: EntraUser,
  options: { scope?: string; scopes?: string[]; tweaks?: LoginTweaks } = {},
): Promise<{ callback: Response; auth: Authorization; upstreamUrl: string }> {
  const { res, auth } = await openAuthorize(client, { scope: options.scope ?? "mcp:read" });
  expect(res.status).toBe(200);
  const approved = await submitConsent(auth.browser, await res.text(), { scopes: options.scopes ?? [] });
  expect(approved.status).toBe(302);
  const upstreamUrl = approved.headers.get("location") ?? "";
  const callbackUrl = await entra.login(upstreamUrl, user, options.tweaks);
  const callback = await auth.browser.fetch(callbackUrl);
  return { callback, auth, upstreamUrl };
}

/** {@link approveAndSignIn}, then the client redeems the code it was sent back with. */
export async function signInAndRedeem(
  entra: EntraMock,
  client: RegisteredClient,
  user: EntraUser,
  options: { scope?: string; scopes?: string[] } = {},
): ReturnType<typeof redeem> {
  const { callback, auth } = await approveAndSignIn(entra, client, user, options);
  expect(callback.status).toBe(302);
  return redeem(auth, callback.headers.get("location") ?? "");
}

/** A refresh-token grant at the real token endpoint, with the client's secret (client_secret_post) when it has one. */
export async function refresh(client: RegisteredClient, refreshToken: string) {
  const form = new URLSearchParams({
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    client_id: client.client_id,
    resource: MCP_URL,
  });
  if (client.client_secret) form.set("client_secret", client.client_secret);
  const res = await exports.default.fetch(`${BASE}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form,
  });
  return {
    status: res.status,
    body: (await res.json()) as { access_token?: string; refresh_token?: string; scope?: string; error?: string },
  };
}

/** Approves `client` on its consent page with "remember this app" ticked; returns the browser that now remembers it. */
export async function rememberApp(client: RegisteredClient): Promise<Browser> {
  const { res, auth } = await openAuthorize(client);
  expect((await submitConsent(auth.browser, await res.text(), { remember: true })).status).toBe(302);
  return auth.browser;
}

/** The scopes the consent page ticks when it opens: what a person who just clicks Allow grants. */
export function checkedScopes(html: string): string[] {
  return [...html.matchAll(/<input type="checkbox" name="scope" value="([^"]+)"([^>]*)>/g)]
    .filter((match) => /\schecked/.test(match[2] ?? ""))
    .map((match) => match[1] ?? "");
}

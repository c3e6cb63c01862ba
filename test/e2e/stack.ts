/// <reference types="node" />
// The local stack for the end-to-end tests: the dev IdP and the Worker under `wrangler dev`, both
// on loopback, plus a cookie-keeping fetch and a headless walk through the sign-in pages.
import { spawn } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { type DevIdp, loginHeadless, startDevIdp } from "../../scripts/dev-idp.mjs";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
/** The project's own Node 22 (the machine's `node` may be older). */
export const NODE = path.join(ROOT, "node_modules", ".bin", "node");

export const CONTOSO = "3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11";
export const FABRIKAM = "7a9e4b20-5c3f-4d8a-b1e6-2f0d9c7a3e55";

export const ANNA = { username: "anna@contoso.example", password: "demo" };
export const BRAM = { username: "bram@contoso.example", password: "demo" };
export const CHRIS = { username: "chris@fabrikam.example", password: "demo" };

// scripts/local-stack.mjs has no type declarations; this is the part of it used here.
interface RunningWorker {
  url: string;
  pid: number | undefined;
  logs(): string;
  crash(): Promise<void>;
  stop(): Promise<void>;
}
interface LocalStack {
  startWorker(options: {
    port: number;
    vars: Record<string, string>;
    persistTo?: string;
    quiet?: boolean;
    config?: string;
    processGroup?: boolean;
  }): Promise<RunningWorker>;
  randomSecret(bytes?: number): string;
}

async function localStack(): Promise<LocalStack> {
  const href = pathToFileURL(path.join(ROOT, "scripts", "local-stack.mjs")).href;
  return (await import(href)) as LocalStack;
}

/** Starts `server` on a free port of 127.0.0.1 and resolves with that port. */
export async function listenOnLoopback(server: Pick<Server, "once" | "listen" | "address">): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("the server has no TCP address");
  return address.port;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no port"))));
    });
  });
}

export interface Stack {
  /** The Worker's origin, http://localhost:PORT (also its PUBLIC_URL and OAuth issuer). */
  url: string;
  /** The MCP resource, `${url}/mcp`. */
  mcpUrl: string;
  idp: DevIdp;
  /** OPERATOR_SECRET of this Worker, for scripts/clients.mjs. */
  operatorSecret: string;
  /** The Worker's local state folder (`wrangler d1 execute --local --persist-to` reads its D1). */
  persistTo: string;
  /** What wrangler dev printed so far. */
  logs(): string;
  /**
   * `kill -9` of wrangler dev's whole process group (wrangler and its workerd), by the pid it was
   * started with; needs `processGroup: true`. The local state stays, for `restart`.
   */
  crash(): Promise<void>;
  /** Starts the Worker again on the same port, settings and local state. */
  restart(): Promise<void>;
  /** Stops the Worker and the IdP and removes the Worker's local state. */
  stop(): Promise<void>;
}

/**
 * Starts a dev IdP and a Worker signing in through it: the IdP tenant `issuerTenant` is the
 * Worker's IDP_ISSUER, `allowedTenantIds` its ALLOWED_TENANT_IDS. The Worker gets a free port
 * (or `port`) and a fresh, temporary persistence folder. `publicUrl` is for a Worker behind a
 * reverse proxy: the origin clients use (the proxy's), which becomes PUBLIC_URL and `Stack.url`;
 * by default it is the Worker's own http://localhost:PORT. `vars` are further settings (e.g. live mode's).
 */
export async function startStack(
  options: {
    issuerTenant?: string;
    allowedTenantIds?: string[];
    port?: number;
    publicUrl?: string;
    vars?: Record<string, string>;
    /** A wrangler configuration other than wrangler.toml (the bench's, with a higher /mcp limit). */
    config?: string;
    /** wrangler dev in a process group of its own, for `crash()`. */
    processGroup?: boolean;
  } = {},
): Promise<Stack> {
  const { issuerTenant = CONTOSO, allowedTenantIds = [CONTOSO] } = options;
  const { startWorker, randomSecret } = await localStack();
  const port = options.port ?? (await freePort());
  const url = options.publicUrl ?? `http://localhost:${port}`;
  const upstreamClient = { client_id: "pandgate-e2e", client_secret: randomSecret(), redirect_uris: [`${url}/oauth/callback`] };
  const operatorSecret = randomSecret();
  const persistTo = await mkdtemp(path.join(tmpdir(), "pandgate-e2e-"));
  let idp: DevIdp | undefined;
  let worker: RunningWorker | undefined;
  const stop = async () => {
    await worker?.stop().catch(() => {});
    await idp?.close().catch(() => {});
    await rm(persistTo, { recursive: true, force: true }).catch(() => {});
  };
  try {
    idp = await startDevIdp({ port: 0, clients: [upstreamClient] });
    const tenant = idp.tenants.find((t) => t.id === issuerTenant);
    if (!tenant) throw new Error(`the dev IdP has no tenant ${issuerTenant}`);
    const workerOptions = {
      port,
      persistTo,
      quiet: true,
      ...(options.config !== undefined && { config: options.config }),
      processGroup: options.processGroup ?? false,
      vars: {
        PUBLIC_URL: url,
        IDP_KIND: "oidc",
        IDP_ISSUER: tenant.issuer,
        IDP_CLIENT_ID: upstreamClient.client_id,
        IDP_CLIENT_SECRET: upstreamClient.client_secret,
        ALLOWED_TENANT_IDS: allowedTenantIds.join(","),
        COOKIE_SECRET: randomSecret(),
        OPERATOR_SECRET: operatorSecret,
        ...options.vars,
      },
    };
    worker = await startWorker(workerOptions);
    return {
      url,
      mcpUrl: `${url}/mcp`,
      idp,
      operatorSecret,
      persistTo,
      logs: () => worker?.logs() ?? "",
      crash: async () => {
        await worker?.crash();
      },
      restart: async () => {
        worker = await startWorker(workerOptions);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What a finished command printed, and how it exited. */
export interface CommandRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command …args` in the project, whatever its exit code, collecting what it prints. */
export function runCommand(command: string, args: string[], env: Record<string, string> = {}): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `node scripts/<script> …args` with the project's Node; resolves with stdout, rejects on a non-zero exit. */
export async function runScript(script: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const { code, stdout, stderr } = await runCommand(NODE, [path.join(ROOT, "scripts", script), ...args], env);
  if (code !== 0) throw new Error(`${script} ${args[0] ?? ""} exited with ${code}:\n${stderr}${stdout}`);
  return stdout;
}

interface StoredCookie {
  value: string;
  path: string;
}

/**
 * A minimal browser cookie store over fetch: never follows redirects, keeps cookies per host
 * (host-only, as every cookie here is), honours Path and expiry. Like Chromium, it sends `Secure`
 * cookies to http://localhost, which counts as a secure context.
 */
export class CookieJar {
  readonly #hosts = new Map<string, Map<string, StoredCookie>>();

  names(url: string | URL): string[] {
    return [...(this.#hosts.get(new URL(url).hostname)?.keys() ?? [])].map((key) => key.split(";")[0] ?? key);
  }

  async fetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = new URL(input);
    const headers = new Headers(init.headers);
    const cookies = [...(this.#hosts.get(url.hostname)?.entries() ?? [])]
      .filter(([, cookie]) => pathMatches(cookie.path, url.pathname))
      .sort(([, a], [, b]) => b.path.length - a.path.length)
      .map(([key, cookie]) => `${key.split(";")[0]}=${cookie.value}`);
    if (cookies.length > 0) headers.set("cookie", cookies.join("; "));
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    this.#store(url, res.headers.getSetCookie());
    return res;
  }

  #store(url: URL, lines: string[]): void {
    let jar = this.#hosts.get(url.hostname);
    if (!jar) {
      jar = new Map();
      this.#hosts.set(url.hostname, jar);
    }
    for (const line of lines) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let cookiePath = url.pathname.slice(0, Math.max(url.pathname.lastIndexOf("/"), 1));
      let expired = false;
      for (const attribute of attributes) {
        const [key = "", ...rest] = attribute.split("=");
        const attrValue = rest.join("=").trim();
        const attrName = key.trim().toLowerCase();
        if (attrName === "path" && attrValue.startsWith("/")) cookiePath = attrValue;
        if (attrName === "max-age" && Number(attrValue) <= 0) expired = true;
        if (attrName === "expires" && Date.parse(attrValue) <= Date.now()) expired = true;
      }
      const key = `${name};${cookiePath}`;
      if (expired) jar.delete(key);
      else jar.set(key, { value, path: cookiePath });
    }
  }
}

function pathMatches(cookiePath: string, requestPath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/";
}

/** The value of a hidden `<input name=… value=…>` in a page. */
export function hiddenField(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (match?.[1] === undefined) throw new Error(`no field "${name}" in the page:\n${html.slice(0, 500)}`);
  return match[1].replaceAll("&amp;", "&");
}

export interface BrowserLeg {
  /** The consent page pandgate showed. */
  consentHtml: string;
  /** Where pandgate sent the browser after approval: the IdP's authorize URL. */
  upstreamUrl: URL;
  /** Where the IdP sent the browser back: pandgate's /oauth/callback. */
  callbackUrl: URL;
  /** pandgate's answer to the callback. */
  callback: { status: number; location: string | null; body: string };
}

/**
 * What a browser does between a client's authorize URL and the client's redirect URI: loads the
 * consent page at the Worker, approves (with `scopes` ticked), follows the Worker to the IdP, signs
 * in there as `user` and brings the IdP's answer back to the Worker's callback. Returns every step;
 * the callback's redirect is not followed.
 */
export async function browserLeg(
  authorizeUrl: string | URL,
  user: { username: string; password: string },
  options: { jar?: CookieJar; scopes?: string[] } = {},
): Promise<BrowserLeg> {
  const jar = options.jar ?? new CookieJar();
  const consent = await jar.fetch(authorizeUrl);
  const consentHtml = await consent.text();
  if (consent.status !== 200) throw new Error(`GET ${authorizeUrl} answered ${consent.status}:\n${consentHtml.slice(0, 800)}`);

  const form = new URLSearchParams({ handle: hiddenField(consentHtml, "handle"), decision: "approve" });
  for (const scope of options.scopes ?? []) form.append("scope", scope);
  const approveUrl = new URL("/authorize", authorizeUrl);
  const approved = await jar.fetch(approveUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: approveUrl.origin },
    body: form,
  });
  const upstream = approved.headers.get("location");
  if (approved.status !== 302 || !upstream) {
    throw new Error(`POST /authorize answered ${approved.status}:\n${(await approved.text()).slice(0, 800)}`);
  }
  await approved.body?.cancel();

  const callbackUrl = new URL(await loginHeadless(upstream, user));
  const res = await jar.fetch(callbackUrl);
  const callback = { status: res.status, location: res.headers.get("location"), body: await res.text() };
  return { consentHtml, upstreamUrl: new URL(upstream), callbackUrl, callback };
}

/** {@link browserLeg}, expecting a redirect back to the client; returns that redirect. */
export async function signIn(
  authorizeUrl: string | URL,
  user: { username: string; password: string },
  options: { jar?: CookieJar; scopes?: string[] } = {},
): Promise<{ clientRedirect: URL; leg: BrowserLeg }> {
  const leg = await browserLeg(authorizeUrl, user, options);
  if (leg.callback.status !== 302 || !leg.callback.location) {
    throw new Error(`the callback answered ${leg.callback.status}:\n${leg.callback.body.slice(0, 800)}`);
  }
  return { clientRedirect: new URL(leg.callback.location), leg };
}

/** A PKCE verifier and its S256 challenge. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export function randomState(): string {
  return randomUUID();
}

/** An authorization request as an OAuth client makes it, and what the client keeps to redeem the code. */
export interface AuthorizationRequest {
  /** The authorization endpoint with the request's query. */
  url: URL;
  state: string;
  verifier: string;
  clientId: string;
  redirectUri: string;
  resource: string;
}

/**
 * Builds a client's authorization request: the authorization code flow with PKCE (S256), a fresh
 * `state` and a resource indicator (RFC 8707).
 */
export function authorizationRequest(
  authorizationEndpoint: string | URL,
  params: { clientId: string; redirectUri: string; scope: string; resource: string },
): AuthorizationRequest {
  const { verifier, challenge } = pkce();
  const state = randomState();
  const url = new URL(authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: params.clientId,
    redirect_uri: params.redirectUri,
    scope: params.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
    resource: params.resource,
  }).toString();
  return { url, state, verifier, clientId: params.clientId, redirectUri: params.redirectUri, resource: params.resource };
}

export interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  token_type?: string;
  scope?: string;
  error?: string;
}

/**
 * Redeems the code the authorization `request` brought back at `tokenEndpoint`, with its verifier,
 * redirect URI and resource; as a public client, or with client_secret_post given `clientSecret`.
 */
export async function redeemCode(
  tokenEndpoint: string | URL,
  request: AuthorizationRequest,
  code: string,
  clientSecret?: string,
): Promise<{ status: number; body: TokenResponse }> {
  const form = new URLSearchParams({
    grant_type: "authorization_code",
    code,
    redirect_uri: request.redirectUri,
    code_verifier: request.verifier,
    resource: request.resource,
    client_id: request.clientId,
  });
  if (clientSecret !== undefined) form.set("client_secret", clientSecret);
  const res = await fetch(tokenEndpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as TokenResponse };
}

/** RFC 7591 registration of a public client at the Worker. */
export async function registerPublicClient(
  workerUrl: string,
  metadata: { client_name: string; redirect_uris: string[] },
): Promise<{ client_id: string; client_name?: string; redirect_uris: string[] }> {
  const res = await fetch(`${workerUrl}/oauth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      ...metadata,
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
    }),
  });
  const body = await res.text();
  if (res.status !== 201) throw new Error(`registration answered ${res.status}: ${body}`);
  return JSON.parse(body) as { client_id: string; client_name?: string; redirect_uris: string[] };
}

/**
 * POSTs one raw JSON-RPC request to the stack's /mcp as a 2025-11-25 client with a bearer token
 * (`headers` add to or replace the client's, e.g. an `mcp-session-id`); the Worker's response as is.
 */
export function fetchRpc(
  stack: Stack,
  token: string,
  id: number,
  method: string,
  params: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(stack.mcpUrl, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-11-25",
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: "2.0", id, method, params }),
  });
}

/**
 * One raw JSON-RPC request on the stack's /mcp as a 2025-11-25 client with a bearer token (fetchRpc): the
 * JSON-RPC answer (from a JSON body or the first SSE data line) and the request id the Worker
 * gave it. Throws on any HTTP status but 200, naming the request by `label`.
 */
export async function postRpc(
  stack: Stack,
  token: string,
  id: number,
  method: string,
  params: Record<string, unknown>,
  label: string = method,
): Promise<{ requestId: string; message: Record<string, unknown> }> {
  const res = await fetchRpc(stack, token, id, method, params);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${label} answered ${res.status}: ${text.slice(0, 300)}`);
  const data = text.startsWith("{") ? text : (text.split("\n").find((line) => line.startsWith("data: ")) ?? "").slice(6);
  return { requestId: res.headers.get("x-request-id") ?? "", message: JSON.parse(data) as Record<string, unknown> };
}

/** One raw tools/call (postRpc): its JSON-RPC answer and request id. Throws on any HTTP status but 200. */
export function postToolCall(
  stack: Stack,
  token: string,
  id: number,
  name: string,
  args: Record<string, unknown>,
): Promise<{ requestId: string; message: Record<string, unknown> }> {
  return postRpc(stack, token, id, "tools/call", { name, arguments: args }, name);
}

/**
 * What an OAuth client does to get an access token for `/mcp`: discovery, registration of a
 * public client, PKCE authorization as `user` through consent and the dev IdP, code redemption.
 */
export async function signInForToken(
  stack: Pick<Stack, "url" | "mcpUrl">,
  user: { username: string; password: string },
  scope = "mcp:read",
  clientName = "pandgate e2e",
): Promise<{ accessToken: string; clientId: string; scope: string }> {
  const as = (await (await fetch(`${stack.url}/.well-known/oauth-authorization-server`)).json()) as {
    authorization_endpoint: string;
    token_endpoint: string;
  };
  const redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
  const client = await registerPublicClient(stack.url, { client_name: clientName, redirect_uris: [redirectUri] });
  const request = authorizationRequest(as.authorization_endpoint, {
    clientId: client.client_id,
    redirectUri,
    scope,
    resource: stack.mcpUrl,
  });
  const { clientRedirect } = await signIn(request.url, user, { scopes: scope.split(" ").filter((s) => s !== "mcp:read") });
  const code = clientRedirect.searchParams.get("code");
  if (!code || clientRedirect.searchParams.get("state") !== request.state) throw new Error(`no code for this request in ${clientRedirect}`);
  const { status, body } = await redeemCode(as.token_endpoint, request, code);
  if (status !== 200 || !body.access_token) throw new Error(`the token endpoint answered ${status}: ${JSON.stringify(body)}`);
  return { accessToken: body.access_token, clientId: client.client_id, scope: body.scope ?? "" };
}

/// <reference types="node" />
// The v1 MCP TypeScript SDK client (@modelcontextprotocol/sdk 1.32.2, what most MCP clients in
// the wild are built on) against the Worker under `wrangler dev`, signing in through the dev IdP:
// its stock StreamableHTTPClientTransport with an in-memory OAuthClientProvider. The browser's
// part (consent page, IdP login) is walked headlessly by the test.
import { type OAuthClientProvider, type OAuthDiscoveryState, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { OAuthClientInformationMixed, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSESS_ARGS, expectAssessmentProgress, expectAuthorizationRequest, MemoryOAuthState, SEED_ADDRESS, scopeList } from "./clients";
import { ANNA, freePort, type Stack, signIn, startStack } from "./stack";

/** The SDK's OAuth client state, in memory; the test hands the code back with `transport.finishAuth`. */
class MemoryOAuthProvider
  extends MemoryOAuthState<OAuthClientInformationMixed, OAuthTokens, OAuthDiscoveryState>
  implements OAuthClientProvider
{
  constructor(callbackUrl: string) {
    super(callbackUrl, "pandgate e2e (MCP SDK v1)");
  }
}

/** One HTTP exchange as the SDK saw it. */
interface Exchange {
  method: string;
  path: string;
  status: number;
  wwwAuthenticate: string | null;
}

/** A fetch for the SDK that records every request to the Worker. */
function recordingFetch(stack: Stack, log: Exchange[]): FetchLike {
  return async (url, init) => {
    const res = await fetch(url, init);
    const target = new URL(url);
    log.push({
      method: init?.method ?? "GET",
      path: target.origin === stack.url ? target.pathname : target.href,
      status: res.status,
      wwwAuthenticate: res.headers.get("www-authenticate"),
    });
    return res;
  };
}

function challengeScope(header: string | null): string[] {
  return scopeList(/scope="([^"]*)"/.exec(header ?? "")?.[1]);
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

function newTransport(stack: Stack, provider: MemoryOAuthProvider, log: Exchange[]): StreamableHTTPClientTransport {
  return new StreamableHTTPClientTransport(new URL(stack.mcpUrl), { authProvider: provider, fetch: recordingFetch(stack, log) });
}

function newClient(): Client {
  return new Client({ name: "pandgate-e2e-sdk-v1", version: "1.0.0" });
}

/**
 * The SDK's first sign-in: connect() discovers, registers and asks to open the authorization URL
 * (UnauthorizedError); the test approves `scopes` at consent as Anna; finishAuth() redeems the code.
 */
async function firstSignIn(stack: Stack, provider: MemoryOAuthProvider, log: Exchange[], scopes: string[]): Promise<void> {
  const client = newClient();
  const transport = newTransport(stack, provider, log);
  const failure = await failureOf(client.connect(transport));
  expect(failure, `connect() should fail with UnauthorizedError, got ${String(failure)}`).toBeInstanceOf(UnauthorizedError);
  await client.close().catch(() => {});
  const { clientRedirect } = await signIn(provider.lastAuthorizationUrl, ANNA, { scopes });
  expect(clientRedirect.searchParams.get("state")).toBe(provider.state());
  await transport.finishAuth(clientRedirect.searchParams.get("code") as string);
}

async function connected(stack: Stack, provider: MemoryOAuthProvider, log: Exchange[]): Promise<Client> {
  const client = newClient();
  await client.connect(newTransport(stack, provider, log));
  return client;
}

interface AssessResult {
  assessmentId: string;
  address: { label: string };
}

/** Quick_Assess_Property with a progress token; returns the result and the progress seen. */
async function quickAssess(client: Client): Promise<{ result: AssessResult; progress: Progress[] }> {
  const progress: Progress[] = [];
  const response = await client.callTool({ name: "Quick_Assess_Property", arguments: ASSESS_ARGS }, undefined, {
    onprogress: (p) => progress.push(p),
  });
  expect(response.isError, JSON.stringify(response.content)).toBeFalsy();
  return { result: response.structuredContent as unknown as AssessResult, progress };
}

async function readTools(client: Client): Promise<void> {
  const addresses = await client.callTool({ name: "Get_Addresses_for_Postcode", arguments: { postcode: "3817 ac" } });
  expect(addresses.isError, JSON.stringify(addresses.content)).toBeFalsy();
  const found = addresses.structuredContent as {
    postcode: string;
    addresses: Array<{ houseNumber: number; street: string; place: string }>;
  };
  expect(found.postcode).toBe(SEED_ADDRESS.postcode);
  expect(found.addresses).toContainEqual(
    expect.objectContaining({ houseNumber: SEED_ADDRESS.houseNumber, street: SEED_ADDRESS.street, place: SEED_ADDRESS.place }),
  );

  const label = await client.callTool({ name: "Get_Property_Energy_Label", arguments: ASSESS_ARGS });
  expect(label.isError, JSON.stringify(label.content)).toBeFalsy();
  const energy = label.structuredContent as { address: { postcode: string; houseNumber: number }; current: { energyClass: string } | null };
  expect(energy.address).toMatchObject({ postcode: SEED_ADDRESS.postcode, houseNumber: SEED_ADDRESS.houseNumber });
  expect(energy.current?.energyClass).toBe(SEED_ADDRESS.energyClass);
}

describe("MCP SDK v1 (1.32.2) client with its stock OAuth provider", () => {
  let stack: Stack;
  let callbackUrl: string;

  beforeAll(async () => {
    stack = await startStack();
    // A loopback redirect URI nothing listens on: the test reads the redirect instead.
    callbackUrl = `http://127.0.0.1:${await freePort()}/callback`;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("first sign-in approving mcp:read mcp:write: discovery, registration, tools/list, read tools, the write tool with progress", async () => {
    const provider = new MemoryOAuthProvider(callbackUrl);
    const log: Exchange[] = [];
    await firstSignIn(stack, provider, log, ["mcp:write"]);

    // Discovery as the SDK does it: the 401 challenge, RFC 9728, RFC 8414, RFC 7591, then the code.
    const challenge = log.find((x) => x.method === "POST" && x.path === "/mcp" && x.status === 401);
    expect(challenge?.wwwAuthenticate).toContain(`resource_metadata="${stack.url}/.well-known/oauth-protected-resource/mcp"`);
    expect(challengeScope(challenge?.wwwAuthenticate ?? null)).toEqual(["mcp:read", "mcp:write"]);
    expect(log.map((x) => `${x.method} ${x.path} ${x.status}`)).toEqual(
      expect.arrayContaining([
        "GET /.well-known/oauth-protected-resource/mcp 200",
        "GET /.well-known/oauth-authorization-server 200",
        "POST /oauth/register 201",
        "POST /oauth/token 200",
      ]),
    );
    expect(provider.registrations).toHaveLength(1);
    // The SDK asks for exactly what the challenge named.
    expectAuthorizationRequest(provider.lastAuthorizationUrl, stack, ["mcp:read", "mcp:write"]);

    const tokens = provider.tokens();
    expect(scopeList(tokens?.scope)).toEqual(["mcp:read", "mcp:write"]);
    // offline_access was not ticked at consent, so no refresh token.
    expect(tokens?.refresh_token).toBeUndefined();

    const client = await connected(stack, provider, log);
    try {
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(["Get_Addresses_for_Postcode", "Get_Property_Energy_Label", "Quick_Assess_Property"]));

      await readTools(client);

      const { result, progress } = await quickAssess(client);
      expect(result.assessmentId).toMatch(/^[0-9a-f-]{36}$/);
      expect(result.address.label).toContain(SEED_ADDRESS.street);
      expectAssessmentProgress(progress, result.assessmentId);
    } finally {
      await client.close();
    }
    // One sign-in was enough: no second authorization, no 403.
    expect(provider.authorizationUrls).toHaveLength(1);
    expect(log.filter((x) => x.status === 403)).toEqual([]);
  });

  it("step-up: signed in with mcp:read only (no offline_access), the write tool's 403 makes the SDK re-authorize for mcp:write", async () => {
    const provider = new MemoryOAuthProvider(callbackUrl);
    const log: Exchange[] = [];
    await firstSignIn(stack, provider, log, []);
    const readOnly = provider.tokens();
    expect(scopeList(readOnly?.scope)).toEqual(["mcp:read"]);
    expect(readOnly?.refresh_token).toBeUndefined();

    const client = newClient();
    const stepUpTransport = newTransport(stack, provider, log);
    await client.connect(stepUpTransport);
    try {
      // Every tool Anna's roles allow is listed, the write tools included, although the grant is read-only.
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(["Get_Addresses_for_Postcode", "Quick_Assess_Property"]));
      await readTools(client);

      // The write tool: 403 insufficient_scope; the SDK starts a new authorization for the wider scope.
      const failure = await failureOf(client.callTool({ name: "Quick_Assess_Property", arguments: ASSESS_ARGS }));
      expect(failure, `callTool should fail with UnauthorizedError, got ${String(failure)}`).toBeInstanceOf(UnauthorizedError);
    } finally {
      await client.close();
    }
    const refused = log.filter((x) => x.status === 403);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.wwwAuthenticate).toMatch(/^Bearer /);
    expect(refused[0]?.wwwAuthenticate).toContain('error="insufficient_scope"');
    expect(challengeScope(refused[0]?.wwwAuthenticate ?? null)).toEqual(["mcp:read", "mcp:write"]);

    expect(provider.authorizationUrls).toHaveLength(2);
    const stepUpUrl = provider.lastAuthorizationUrl;
    expect(scopeList(stepUpUrl.searchParams.get("scope"))).toEqual(["mcp:read", "mcp:write"]);
    // Same client registration; no refresh was attempted (there is no refresh token).
    expect(provider.registrations).toHaveLength(1);
    expect(log.filter((x) => x.path === "/oauth/token")).toHaveLength(1);

    // The user approves mcp:write this time; the SDK redeems the code on the transport that asked.
    const { clientRedirect } = await signIn(stepUpUrl, ANNA, { scopes: ["mcp:write"] });
    await stepUpTransport.finishAuth(clientRedirect.searchParams.get("code") as string);
    expect(scopeList(provider.tokens()?.scope)).toEqual(["mcp:read", "mcp:write"]);

    const again = await connected(stack, provider, log);
    try {
      const { result, progress } = await quickAssess(again);
      expect(result.assessmentId).toMatch(/^[0-9a-f-]{36}$/);
      expectAssessmentProgress(progress, result.assessmentId);
    } finally {
      await again.close();
    }
    expect(provider.authorizationUrls).toHaveLength(2);
  });

  it("client-author caveat: with a refresh token (offline_access) but no mcp:write, the SDK refreshes instead of re-authorizing and gives up", async () => {
    const provider = new MemoryOAuthProvider(callbackUrl);
    const log: Exchange[] = [];
    await firstSignIn(stack, provider, log, ["offline_access"]);
    const first = provider.tokens();
    expect(scopeList(first?.scope)).toEqual(["mcp:read", "offline_access"]);
    expect(first?.refresh_token).toBeTruthy();

    const client = await connected(stack, provider, log);
    try {
      await readTools(client);
      const failure = await failureOf(client.callTool({ name: "Quick_Assess_Property", arguments: ASSESS_ARGS }));
      // SDK 1.32.2: on 403 insufficient_scope, auth() prefers the refresh token, which cannot widen
      // the grant; the retried call gets the same challenge and the transport stops there.
      expect(failure).toBeInstanceOf(Error);
      expect(String((failure as Error).message)).toContain("Server returned 403 after trying upscoping");
      expect(failure).not.toBeInstanceOf(UnauthorizedError);
    } finally {
      await client.close();
    }
    // No new authorization was started; a refresh happened and kept the narrow scope.
    expect(provider.authorizationUrls).toHaveLength(1);
    const refused = log.filter((x) => x.status === 403);
    expect(refused).toHaveLength(2);
    expect(refused[0]?.wwwAuthenticate).toBe(refused[1]?.wwwAuthenticate);
    expect(challengeScope(refused[0]?.wwwAuthenticate ?? null)).toEqual(["mcp:read", "mcp:write", "offline_access"]);
    expect(log.filter((x) => x.method === "POST" && x.path === "/oauth/token").map((x) => x.status)).toEqual([200, 200]);
    const refreshed = provider.tokens();
    expect(refreshed?.access_token).not.toBe(first?.access_token);
    expect(scopeList(refreshed?.scope)).not.toContain("mcp:write");

    // What a client author can do about it: drop the tokens, so the next attempt signs in again
    // (and the user can approve mcp:write).
    provider.invalidateCredentials("tokens");
    const client2 = newClient();
    const transport2 = newTransport(stack, provider, log);
    const failure = await failureOf(client2.connect(transport2));
    expect(failure).toBeInstanceOf(UnauthorizedError);
    await client2.close().catch(() => {});
    expect(provider.authorizationUrls).toHaveLength(2);
    const { clientRedirect } = await signIn(provider.lastAuthorizationUrl, ANNA, { scopes: ["mcp:write", "offline_access"] });
    await transport2.finishAuth(clientRedirect.searchParams.get("code") as string);
    const again = await connected(stack, provider, log);
    try {
      const { result, progress } = await quickAssess(again);
      expectAssessmentProgress(progress, result.assessmentId);
    } finally {
      await again.close();
    }
  });
});

import { exports } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { connectClient, postMcp, readMessages, structuredOf } from "./helpers/mcp";
import { BASE, foreignProvider, MCP_URL, mintToken, newIdentity } from "./helpers/oauth";
import { installProbeTools } from "./helpers/probe-tools";

const PRM_URL = `${BASE}/.well-known/oauth-protected-resource/mcp`;
const toolsList = { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} };
const legacy = { "mcp-protocol-version": "2025-11-25" };

beforeAll(() => installProbeTools());
afterEach(() => vi.useRealTimers());

function challenge(res: Response): string {
  return res.headers.get("www-authenticate") ?? "";
}

describe("discovery", () => {
  it("answers an unauthenticated POST /mcp with 401 naming the metadata and every scope a tool can need", async () => {
    const res = await postMcp(null, toolsList);
    expect(res.status).toBe(401);
    expect(challenge(res)).toContain(`resource_metadata="${PRM_URL}"`);
    // A client that requests exactly the challenge's scope can be allowed every tool at once.
    expect(challenge(res)).toContain('scope="mcp:read mcp:write"');
  });

  it("serves protected resource metadata at the path-inserted and the root well-known", async () => {
    for (const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]) {
      const res = await exports.default.fetch(`${BASE}${path}`);
      expect(res.status, path).toBe(200);
      const prm = (await res.json()) as Record<string, unknown>;
      expect(prm.resource).toBe(MCP_URL);
      expect(prm.authorization_servers).toEqual([BASE]);
      expect(prm.scopes_supported).toEqual(["mcp:read", "mcp:write"]);
    }
  });

  it("serves RFC 8414 metadata with S256, registration and the iss response parameter", async () => {
    const res = await exports.default.fetch(`${BASE}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    const md = (await res.json()) as Record<string, unknown>;
    expect(md.issuer).toBe(BASE);
    expect(md.code_challenge_methods_supported).toEqual(["S256"]);
    expect(md.registration_endpoint).toBe(`${BASE}/oauth/register`);
    expect(md.authorization_endpoint).toBe(`${BASE}/authorize`);
    expect(md.token_endpoint).toBe(`${BASE}/oauth/token`);
    expect(md.authorization_response_iss_parameter_supported).toBe(true);
    expect(md.scopes_supported).toEqual(["mcp:read", "mcp:write", "offline_access"]);
    expect(md.client_id_metadata_document_supported).toBe(true);
  });
});

describe("tokens that must be refused", () => {
  it("refuses a token issued for another resource (audience)", async () => {
    const other = foreignProvider();
    const { accessToken } = await mintToken(newIdentity(), ["mcp:read"], { providerOptions: other.options, tokenFetch: other.fetch });
    const res = await postMcp(accessToken, toolsList, legacy);
    expect(res.status).toBe(401);
    expect(challenge(res)).toContain('error="invalid_token"');
  });

  it("refuses an expired token", async () => {
    const { accessToken } = await mintToken(newIdentity(), ["mcp:read"]);
    expect((await postMcp(accessToken, toolsList, legacy)).status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 2 * 60 * 60 * 1000);
    const res = await postMcp(accessToken, toolsList, legacy);
    expect(res.status).toBe(401);
    expect(challenge(res)).toContain('error="invalid_token"');
  });

  it("refuses a revoked token", async () => {
    const minted = await mintToken(newIdentity(), ["mcp:read"]);
    expect((await postMcp(minted.accessToken, toolsList, legacy)).status).toBe(200);
    const revoke = await exports.default.fetch(`${BASE}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: minted.accessToken, token_type_hint: "access_token", client_id: minted.clientId }),
    });
    expect(revoke.status).toBe(200);
    expect((await postMcp(minted.accessToken, toolsList, legacy)).status).toBe(401);
  });

  it("refuses a made-up token and a malformed Authorization header", async () => {
    expect((await postMcp("not-a-token", toolsList, legacy)).status).toBe(401);
    const res = await exports.default.fetch(MCP_URL, {
      method: "POST",
      headers: { authorization: "Basic dXNlcjpwYXNz", "content-type": "application/json" },
      body: JSON.stringify(toolsList),
    });
    expect(res.status).toBe(401);
  });
});

describe("scopes", () => {
  it("answers a write tool called with a read-only token with 403 insufficient_scope naming every scope", async () => {
    const { accessToken } = await mintToken(newIdentity(), ["mcp:read"]);
    const res = await postMcp(
      accessToken,
      { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "Test_Write_Probe", arguments: { note: "x" } } },
      legacy,
    );
    expect(res.status).toBe(403);
    const header = challenge(res);
    expect(header).toContain('error="insufficient_scope"');
    expect(header).toContain('scope="mcp:read mcp:write"');
    expect(header).toContain(`resource_metadata="${PRM_URL}"`);
  });

  it("lists a write tool to a read-only grant, says it needs allowing, and refuses to run it", async () => {
    const reader = await connectClient((await mintToken(newIdentity(), ["mcp:read"])).accessToken);
    const tools = (await reader.listTools()).tools;
    expect(tools.map((t) => t.name)).toContain("Get_Server_Info");
    const probe = tools.find((t) => t.name === "Test_Write_Probe");
    expect(probe?.description).toContain("has not been allowed mcp:write yet");
    expect(tools.find((t) => t.name === "Get_Server_Info")?.description).not.toContain("has not been allowed");
    // Listing is not permission: the call is refused before the tool runs (the 403 step-up).
    await expect(reader.callTool({ name: "Test_Write_Probe", arguments: { note: "no" } })).rejects.toThrow(
      /Insufficient scope: required "mcp:read mcp:write"/,
    );
    await reader.close();

    const writer = await connectClient((await mintToken(newIdentity(), ["mcp:read", "mcp:write"])).accessToken);
    const writable = (await writer.listTools()).tools.find((t) => t.name === "Test_Write_Probe");
    expect(writable?.description).not.toContain("has not been allowed");
    const result = await writer.callTool({ name: "Test_Write_Probe", arguments: { note: "hello" } });
    expect(result.structuredContent).toEqual({ stored: "hello" });
    await writer.close();
  });

  it("requires the baseline mcp:read for every MCP request", async () => {
    const { accessToken } = await mintToken(newIdentity(), ["mcp:write"]);
    const res = await postMcp(accessToken, toolsList, legacy);
    expect(res.status).toBe(403);
    // What the grant has plus what every request needs, so re-authorizing loses nothing.
    expect(challenge(res)).toContain('scope="mcp:read mcp:write"');
  });

  it("names the scopes the grant already holds in a step-up challenge, offline_access included", async () => {
    const { accessToken } = await mintToken(newIdentity(), ["mcp:read", "offline_access"]);
    const res = await postMcp(
      accessToken,
      { jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "Test_Write_Probe", arguments: { note: "x" } } },
      legacy,
    );
    expect(res.status).toBe(403);
    expect(challenge(res)).toContain('scope="mcp:read offline_access mcp:write"');
  });

  it("declares only what the server does: no list_changed, no subscriptions, no logging", async () => {
    const client = await connectClient((await mintToken(newIdentity(), ["mcp:read"])).accessToken);
    const capabilities = client.getServerCapabilities();
    expect(capabilities?.tools).toEqual({ listChanged: false });
    expect(capabilities?.resources).toEqual({ listChanged: false });
    expect(capabilities?.prompts).toEqual({ listChanged: false });
    expect(capabilities?.completions).toEqual({});
    expect(capabilities?.logging).toBeUndefined();
    await client.close();
  });

  it("does not let a token's scopes be stretched by the agent's memory of an earlier token", async () => {
    const identity = newIdentity();
    const wide = await mintToken(identity, ["mcp:read", "mcp:write"]);
    const narrow = await mintToken(identity, ["mcp:read"]);
    const wideInfo = await (await connectClient(wide.accessToken)).callTool({ name: "Get_Server_Info", arguments: {} });
    expect((wideInfo.structuredContent as { scopes: string[] }).scopes).toEqual(["mcp:read", "mcp:write"]);
    const res = await postMcp(
      narrow.accessToken,
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "Get_Server_Info", arguments: {} } },
      legacy,
    );
    const [message] = await readMessages(res);
    expect((structuredOf(message) as { scopes: string[] }).scopes).toEqual(["mcp:read"]);
  });
});

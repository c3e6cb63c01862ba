import { env } from "cloudflare:workers";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { HttpResponse, http } from "msw";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { connectClient, postMcp } from "./helpers/mcp";
import { mockServer } from "./helpers/msw";
import { installProbeTools } from "./helpers/probe-tools";

/**
 * Blockbrain "User Token" mode: a Zitadel-style JWT from auth.blockbrain.test (the issuer the
 * test Worker is configured to trust), verified against that issuer's JWKS.
 */
let signing: CryptoKey;
let stranger: CryptoKey;
let publicJwk: Record<string, unknown>;
const KID = "zitadel-key-1";

beforeAll(async () => {
  installProbeTools();
  const pair = await generateKeyPair("RS256", { extractable: true });
  signing = pair.privateKey;
  stranger = (await generateKeyPair("RS256")).privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: KID, use: "sig", alg: "RS256" };
});

beforeEach(() => {
  mockServer.use(http.get(env.EXTERNAL_TOKEN_JWKS_URL, () => HttpResponse.json({ keys: [publicJwk] })));
});

async function userToken(claims: Record<string, unknown> = {}, key: CryptoKey = signing): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: env.EXTERNAL_TOKEN_ISSUER,
    aud: [env.EXTERNAL_TOKEN_AUDIENCE, "blockbrain-client"],
    sub: "283746501928374650",
    iat: now,
    exp: now + 600,
    name: "Dana Visser",
    email: "dana@blockbrain.test",
    "urn:zitadel:iam:org:id": "2837465019",
    ...claims,
  })
    .setProtectedHeader({ alg: "RS256", kid: KID })
    .sign(key);
}

const toolsList = { jsonrpc: "2.0", id: 1, method: "tools/list" };
const legacy = { "mcp-protocol-version": "2025-11-25" };

describe("delegated user tokens", () => {
  it("maps a valid token to the same identity shape and serves MCP", async () => {
    const client = await connectClient(await userToken());
    const info = (await client.callTool({ name: "Get_Server_Info", arguments: {} })).structuredContent as {
      user: { userKey: string; tenantId: string; displayName: string; identityProvider: string };
      scopes: string[];
    };
    expect(info.user.identityProvider).toBe("external-token");
    expect(info.user.tenantId).toBe("2837465019");
    expect(info.user.displayName).toBe("Dana Visser");
    expect(info.user.userKey).toMatch(/^ext\.[A-Za-z0-9_-]{43}$/);
    expect(info.scopes).toEqual(["mcp:read"]);
    await client.close();
  });

  it("takes the scopes the token names, and step-up still applies", async () => {
    const readOnly = await userToken();
    const write = await postMcp(
      readOnly,
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "Test_Write_Probe", arguments: { note: "x" } } },
      legacy,
    );
    expect(write.status).toBe(403);
    const writer = await userToken({ scope: "openid mcp:read mcp:write" });
    const ok = await postMcp(
      writer,
      { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "Test_Write_Probe", arguments: { note: "x" } } },
      legacy,
    );
    expect(ok.status).toBe(200);
  });

  it.each([
    ["another issuer", () => userToken({ iss: "https://auth.evil.example" })],
    ["another audience", () => userToken({ aud: "some-other-project" })],
    ["a bad signature", () => userToken({}, stranger)],
    ["an expired token", () => userToken({ exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 7200 })],
  ])("answers a token with %s with 401", async (_name, mint) => {
    const res = await postMcp(await mint(), toolsList, legacy);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });
});

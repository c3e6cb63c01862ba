import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { REFRESH_ABSOLUTE_TTL_S, REFRESH_IDLE_TTL_S } from "../src/auth/token-lifetimes";
import { postMcp } from "./helpers/mcp";
import { BASE, MCP_URL, mintToken, newIdentity, oauthHelpers } from "./helpers/oauth";

/** Refresh tokens: rotation, the predecessor's grace, reuse detection, and their lifetimes. */
const toolsList = { jsonrpc: "2.0", id: 1, method: "tools/list" };
const legacy = { "mcp-protocol-version": "2025-11-25" };

afterEach(() => vi.useRealTimers());

async function refresh(clientId: string, refreshToken: string, clientSecret?: string) {
  const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId, resource: MCP_URL });
  if (clientSecret !== undefined) form.set("client_secret", clientSecret);
  const res = await exports.default.fetch(`${BASE}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form,
  });
  const body = (await res.json()) as { access_token?: string; refresh_token?: string; error?: string; error_description?: string };
  return { status: res.status, body };
}

async function signedIn() {
  const minted = await mintToken(newIdentity(), ["mcp:read", "offline_access"]);
  if (!minted.refreshToken) throw new Error("no refresh token with offline_access");
  return { ...minted, refreshToken: minted.refreshToken };
}

async function grants(userKey: string): Promise<number> {
  return (await oauthHelpers().listUserGrants(userKey)).items.length;
}

describe("refresh-token reuse", () => {
  it("revokes the whole grant when a token that was rotated out comes back", async () => {
    const first = await signedIn();
    const second = await refresh(first.clientId, first.refreshToken);
    expect(second.status).toBe(200);
    const third = await refresh(first.clientId, second.body.refresh_token ?? "");
    expect(third.status).toBe(200);
    expect((await postMcp(third.body.access_token ?? "", toolsList, legacy)).status).toBe(200);

    // The first token was let go when its successor was used: presenting it again is reuse.
    const replay = await refresh(first.clientId, first.refreshToken);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe("invalid_grant");
    expect(replay.body.error_description).toContain("already used");
    expect(JSON.stringify(replay.body)).not.toContain(first.refreshToken);

    // Every token of the grant stops at once: the newest refresh token and the access tokens.
    expect(await grants(first.identity.userKey)).toBe(0);
    expect((await refresh(first.clientId, third.body.refresh_token ?? "")).body.error).toBe("invalid_grant");
    expect((await postMcp(third.body.access_token ?? "", toolsList, legacy)).status).toBe(401);
    expect((await postMcp(first.accessToken, toolsList, legacy)).status).toBe(401);
  });

  it("keeps the predecessor's grace until its successor is used, then treats the dropped successor as reuse", async () => {
    const first = await signedIn();
    const lost = await refresh(first.clientId, first.refreshToken);
    expect(lost.status).toBe(200);
    // The client never saw that answer and tries its token again: allowed once, as the library documents.
    const retry = await refresh(first.clientId, first.refreshToken);
    expect(retry.status).toBe(200);
    expect(await grants(first.identity.userKey)).toBe(1);
    // The answer it lost held a token that is now rotated out; someone presenting it holds a copy.
    const stolen = await refresh(first.clientId, lost.body.refresh_token ?? "");
    expect(stolen.status).toBe(400);
    expect(await grants(first.identity.userKey)).toBe(0);
    expect((await refresh(first.clientId, retry.body.refresh_token ?? "")).status).toBe(400);
  });

  it("revokes nothing for a token that was never issued", async () => {
    const first = await signedIn();
    const [userId, grantId] = first.refreshToken.split(":");
    const guessed = await refresh(first.clientId, `${userId}:${grantId}:${"x".repeat(32)}`);
    expect(guessed.status).toBe(400);
    expect(guessed.body.error).toBe("invalid_grant");
    expect(await grants(first.identity.userKey)).toBe(1);
    expect((await refresh(first.clientId, first.refreshToken)).status).toBe(200);
  });

  it("revokes nothing when another client presents a rotated-out token", async () => {
    const first = await signedIn();
    const other = await signedIn();
    const next = await refresh(first.clientId, first.refreshToken);
    const after = await refresh(first.clientId, next.body.refresh_token ?? "");
    expect(after.status).toBe(200);
    const foreign = await refresh(other.clientId, first.refreshToken);
    expect(foreign.status).toBe(400);
    expect(await grants(first.identity.userKey)).toBe(1);
    expect((await refresh(first.clientId, after.body.refresh_token ?? "")).status).toBe(200);
  });
});

describe("refresh-token reuse by a confidential client", () => {
  it("revokes the grant when its own client, with its secret, presents a rotated-out token", async () => {
    const first = await mintToken(newIdentity(), ["mcp:read", "offline_access"], { confidential: true });
    const secret = first.clientSecret ?? "";
    expect(secret).not.toBe("");
    const next = await refresh(first.clientId, first.refreshToken ?? "", secret);
    expect((await refresh(first.clientId, next.body.refresh_token ?? "", secret)).status).toBe(200);
    const replay = await refresh(first.clientId, first.refreshToken ?? "", secret);
    expect(replay.body.error).toBe("invalid_grant");
    expect(await grants(first.identity.userKey)).toBe(0);
  });

  it("revokes nothing when the rotated-out token comes with a wrong secret (the client did not authenticate)", async () => {
    const first = await mintToken(newIdentity(), ["mcp:read", "offline_access"], { confidential: true });
    const secret = first.clientSecret ?? "";
    const next = await refresh(first.clientId, first.refreshToken ?? "", secret);
    const after = await refresh(first.clientId, next.body.refresh_token ?? "", secret);
    expect(after.status).toBe(200);
    const forged = await refresh(first.clientId, first.refreshToken ?? "", `${secret}x`);
    expect(forged.status).toBe(401);
    expect(forged.body.error).toBe("invalid_client");
    expect(await grants(first.identity.userKey)).toBe(1);
    expect((await refresh(first.clientId, after.body.refresh_token ?? "", secret)).status).toBe(200);
  });
});

describe("refresh-token lifetimes", () => {
  it("ends a refresh token unused for longer than the idle timeout", async () => {
    const first = await signedIn();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + (REFRESH_IDLE_TTL_S - 3600) * 1000);
    const kept = await refresh(first.clientId, first.refreshToken);
    expect(kept.status).toBe(200);
    vi.setSystemTime(Date.now() + (REFRESH_IDLE_TTL_S + 3600) * 1000);
    const idle = await refresh(first.clientId, kept.body.refresh_token ?? "");
    expect(idle.status).toBe(400);
    expect(idle.body.error).toBe("invalid_grant");
  });

  it("ends every sign-in after the absolute lifetime, however often it is refreshed", async () => {
    const first = await signedIn();
    vi.useFakeTimers({ toFake: ["Date"] });
    let token = first.refreshToken;
    const step = REFRESH_IDLE_TTL_S - 24 * 3600;
    let elapsed = 0;
    while (elapsed + step < REFRESH_ABSOLUTE_TTL_S - 3600) {
      vi.setSystemTime(Date.now() + step * 1000);
      elapsed += step;
      const next = await refresh(first.clientId, token);
      expect(next.status, `after ${elapsed / 86400} days`).toBe(200);
      token = next.body.refresh_token ?? "";
    }
    vi.setSystemTime(Date.now() + (REFRESH_ABSOLUTE_TTL_S - elapsed + 3600) * 1000);
    const ended = await refresh(first.clientId, token);
    expect(ended.status).toBe(400);
    expect(ended.body.error).toBe("invalid_grant");
  });
});

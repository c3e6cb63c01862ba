import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createOriginPolicy } from "../src/mcp/origin";
import { postMcp } from "./helpers/mcp";
import { BASE, MCP_URL, mintToken, newIdentity } from "./helpers/oauth";

const toolsList = { jsonrpc: "2.0", id: 1, method: "tools/list" };
const legacy = { "mcp-protocol-version": "2025-11-25" };
const FOREIGN = "https://evil.example.com";

function preflight(origin: string, path = "/mcp"): Promise<Response> {
  return exports.default.fetch(`${BASE}${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
  });
}

describe("the /mcp Origin policy", () => {
  it("answers a foreign Origin with 403 before any token check, on every method", async () => {
    for (const method of ["POST", "GET", "DELETE", "OPTIONS"]) {
      const res = await exports.default.fetch(MCP_URL, { method, headers: { origin: FOREIGN } });
      expect(res.status, method).toBe(403);
      expect(res.headers.get("www-authenticate"), method).toBeNull();
      expect(res.headers.get("access-control-allow-origin"), method).toBeNull();
    }
    const { accessToken } = await mintToken(newIdentity(), ["mcp:read"]);
    const withToken = await postMcp(accessToken, toolsList, { ...legacy, origin: FOREIGN });
    expect(withToken.status).toBe(403);
    expect(((await withToken.json()) as { error: { message: string } }).error.message).toContain("ALLOWED_ORIGINS");
    // `null` (sandboxed frames, file: pages) is not an origin we allow either.
    expect((await postMcp(accessToken, toolsList, { ...legacy, origin: "null" })).status).toBe(403);
  });

  it("refuses loopback origins on a server that does not run on loopback", async () => {
    const { accessToken } = await mintToken(newIdentity(), ["mcp:read"]);
    expect((await postMcp(accessToken, toolsList, { ...legacy, origin: "http://localhost:6274" })).status).toBe(403);
  });

  it("lets the hosted clients' origins through with the CORS headers a browser client needs", async () => {
    for (const origin of [
      "https://claude.ai",
      "https://claude.com",
      "https://chatgpt.com",
      "https://vscode.dev",
      "https://insiders.vscode.dev",
    ]) {
      const pre = await preflight(origin);
      expect(pre.status, origin).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe(origin);
      expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
      expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("mcp-protocol-version");
      expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
      expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-data-room-id");
      expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("mcp-param-address-id");
    }
    // The 401 that starts discovery is readable by the page, challenge included.
    const unauthenticated = await postMcp(null, toolsList, { origin: "https://claude.ai" });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get("access-control-allow-origin")).toBe("https://claude.ai");
    const exposed = unauthenticated.headers.get("access-control-expose-headers")?.toLowerCase() ?? "";
    expect(exposed).toContain("www-authenticate");
    expect(exposed).toContain("mcp-protocol-version");

    const { accessToken } = await mintToken(newIdentity(), ["mcp:read"]);
    const ok = await postMcp(accessToken, toolsList, { ...legacy, origin: "https://chatgpt.com" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://chatgpt.com");
    expect(ok.headers.get("vary")).toContain("Origin");
  });

  it("allows the server's own origin and sends no CORS headers to requests without an Origin", async () => {
    const { accessToken } = await mintToken(newIdentity(), ["mcp:read"]);
    const own = await postMcp(accessToken, toolsList, { ...legacy, origin: BASE });
    expect(own.status).toBe(200);
    expect(own.headers.get("access-control-allow-origin")).toBe(BASE);
    const none = await postMcp(accessToken, toolsList, legacy);
    expect(none.status).toBe(200);
    expect(none.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("keeps discovery and the token endpoint callable from any browser origin, as OAuth requires", async () => {
    for (const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-authorization-server"]) {
      const res = await exports.default.fetch(`${BASE}${path}`, { headers: { origin: FOREIGN } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("access-control-allow-origin"), path).toBe(FOREIGN);
    }
    const token = await preflight(FOREIGN, "/oauth/token");
    expect(token.status).toBe(204);
    expect(token.headers.get("access-control-allow-origin")).toBe(FOREIGN);
  });

  it("allows loopback origins while the server itself runs on loopback, and ALLOWED_ORIGINS exactly", () => {
    const dev = createOriginPolicy({ publicOrigin: "http://localhost:8787", allowedOrigins: [], allowLoopbackOrigins: true });
    expect(dev.allows("http://localhost:6274")).toBe(true);
    expect(dev.allows("http://127.0.0.1:6274")).toBe(true);
    expect(dev.allows("http://localhost.evil.example")).toBe(false);
    const deployed = createOriginPolicy({
      publicOrigin: "https://pandgate.example.com",
      allowedOrigins: ["https://app.contoso.example"],
      allowLoopbackOrigins: false,
    });
    expect(deployed.allows("https://app.contoso.example")).toBe(true);
    expect(deployed.allows("https://app.contoso.example:8443")).toBe(false);
    expect(deployed.allows("http://app.contoso.example")).toBe(false);
    expect(deployed.allows("http://localhost:6274")).toBe(false);
  });
});

describe("/mcp/ with a trailing slash", () => {
  it("is the same endpoint as /mcp, before and after sign-in", async () => {
    const challenge = await exports.default.fetch(`${BASE}/mcp/`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify(toolsList),
    });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get("www-authenticate")).toContain(`resource_metadata="${BASE}/.well-known/oauth-protected-resource/mcp"`);
    const prm = await exports.default.fetch(`${BASE}/.well-known/oauth-protected-resource/mcp/`);
    expect(prm.status).toBe(200);
    expect(((await prm.json()) as { resource: string }).resource).toBe(MCP_URL);

    const { accessToken } = await mintToken(newIdentity(), ["mcp:read"]);
    const res = await exports.default.fetch(`${BASE}/mcp/`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${accessToken}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...legacy,
      },
      body: JSON.stringify(toolsList),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Get_Server_Info");
  });
});

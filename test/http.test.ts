import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config";
import { createApp } from "../src/http/app";
import { SERVER_VERSION } from "../src/version";
import { BASE } from "./helpers/oauth";

describe("pages and health", () => {
  it("serves the landing page with the MCP URL, unframeable and script-free", async () => {
    const res = await exports.default.fetch(`${BASE}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain("https://mcp.example.com/mcp");
    expect(html).not.toContain("<script");
  });

  it("reports health with D1 and KV reachable", async () => {
    const res = await exports.default.fetch(`${BASE}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", name: "pandgate", version: SERVER_VERSION, checks: { d1: "ok", kv: "ok" } });
  });

  it("says sign-in is not configured on /authorize when no identity provider is set", async () => {
    // The Worker under test has sign-in configured; build the same app from settings without it.
    const app = createApp(parseConfig({ PUBLIC_URL: BASE }));
    for (const path of ["/authorize?response_type=code&client_id=x", "/oauth/callback?code=x&state=y"]) {
      const res = await app.fetch(new Request(`${BASE}${path}`), env, createExecutionContext());
      expect(res.status, path).toBe(503);
      expect(await res.text()).toContain("Sign-in is not configured");
    }
  });

  it("answers a malformed authorization request with a local error page", async () => {
    const res = await exports.default.fetch(`${BASE}/authorize?response_type=code&client_id=unknown-client`);
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
    expect(await res.text()).toContain("cannot be used");
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await exports.default.fetch(`${BASE}/nope?<script>`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ error: "not_found", message: "No route for GET /nope" });
  });

  it("answers a path below /mcp that is not the endpoint with 404 (after authentication)", async () => {
    const res = await exports.default.fetch(`${BASE}/mcp/other`, { method: "POST" });
    expect(res.status).toBe(401);
  });
});

import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const BASE = "https://mcp.example.com";

describe("pages and health", () => {
  it("serves the landing page with the MCP URL, escaped and unframeable", async () => {
    const res = await exports.default.fetch(`${BASE}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain("https://mcp.example.com/mcp");
  });
});

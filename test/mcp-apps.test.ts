// MCP Apps (src/mcp/apps.ts): the ui:// resources, their CSP, the tools that link them, and that
// a tool's answer is the same whether or not its client renders apps. Through the real Worker
// (its ASSETS binding serves the built apps, dist-apps/) and the official MCP client.
import { describe, expect, it } from "vitest";
import { PORTFOLIO_DASHBOARD, PROPERTY_CARD } from "../src/mcp/apps";
import { catalog } from "../src/mcp/tools";
import { connectClient, type Era } from "./helpers/mcp";
import { mintToken, newIdentity } from "./helpers/oauth";

const MIME = "text/html;profile=mcp-app";
const LINKED: Record<string, string> = {
  Get_Property_Data: PROPERTY_CARD.uri,
  Quick_Assess_Property: PROPERTY_CARD.uri,
  Get_Portfolio_Result: PORTFOLIO_DASHBOARD.uri,
};

async function adminClient(era: Era) {
  const { accessToken } = await mintToken(newIdentity({ roles: ["Admin"] }), ["mcp:read", "mcp:write"]);
  return connectClient(accessToken, era);
}

describe.each<Era>(["2025-11-25", "2026-07-28"])("MCP Apps, protocol %s", (era) => {
  it("lists both apps as ui:// resources of the MCP Apps type, with a CSP that allows nothing external", async () => {
    const client = await adminClient(era);
    const { resources } = await client.listResources();
    const apps = resources.filter((r) => r.uri.startsWith("ui://"));
    expect(apps.map((r) => r.uri).sort()).toEqual([PORTFOLIO_DASHBOARD.uri, PROPERTY_CARD.uri].sort());
    for (const app of apps) {
      expect(app.mimeType).toBe(MIME);
      expect(app._meta?.ui).toEqual({ csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true });
    }
    await client.close();
  });

  it.each([PROPERTY_CARD, PORTFOLIO_DASHBOARD])("reads $name as one self-contained HTML page", async (app) => {
    const client = await adminClient(era);
    const { contents } = await client.readResource({ uri: app.uri });
    expect(contents).toHaveLength(1);
    const [content] = contents as Array<{ uri: string; mimeType: string; text: string; _meta?: Record<string, unknown> }>;
    expect(content?.uri).toBe(app.uri);
    expect(content?.mimeType).toBe(MIME);
    expect((content?._meta as { ui?: unknown })?.ui).toEqual({ csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true });
    const html = content?.text ?? "";
    expect(html.slice(0, 15)).toBe("<!doctype html>");
    // The App runtime is inlined: the page connects to its host over postMessage.
    expect(html.includes("ui/initialize")).toBe(true);
    expect(html.includes('<main id="app"')).toBe(true);
    // Nothing is loaded from elsewhere: no element that loads by URL, no style sheet by URL, no
    // url() or @import in the style sheet (matches are shown, not the 400 KiB page).
    expect(html.match(/<(script|img|iframe|source|audio|video|embed|object)\b[^>]*\b(src|data)\s*=[^>]*>/i)?.[0]).toBeUndefined();
    expect(html.match(/<link\b[^>]*>/i)?.[0]).toBeUndefined();
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? "";
    expect(css).toContain("--color-background-primary");
    expect(css.match(/@import[^;]*|url\([^)]*\)/i)?.[0]).toBeUndefined();
    // Its own CSP says the same: the one inline script by hash, no fetch.
    expect(html.slice(0, 2000)).toMatch(
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+';[^"]*connect-src 'none'/,
    );
    await client.close();
  });

  it("links the property card from Get_Property_Data and Quick_Assess_Property, the dashboard from Get_Portfolio_Result, and nothing else", async () => {
    const client = await adminClient(era);
    const { tools } = await client.listTools();
    expect(tools.length).toBe(catalog.all().filter((t) => !t.name.startsWith("Test_")).length);
    for (const tool of tools) {
      const want = LINKED[tool.name];
      if (want) expect(tool._meta).toEqual({ ui: { resourceUri: want } });
      else expect(tool._meta?.ui, tool.name).toBeUndefined();
      // Only the current key: the deprecated flat "ui/resourceUri" is not sent.
      expect(tool._meta?.["ui/resourceUri"]).toBeUndefined();
    }
    await client.close();
  });

  it("answers an unknown ui:// resource as not found", async () => {
    const client = await adminClient(era);
    await expect(client.readResource({ uri: "ui://pandgate/nope.html" })).rejects.toThrow(/not found|-32602|-32002/i);
    await client.close();
  });
});

describe("a linked tool's answer", () => {
  it("is the text and structured content the tool renders, as for a client without apps", async () => {
    const client = await adminClient("2025-11-25");
    const result = await client.callTool({ name: "Get_Property_Data", arguments: { addressId: "0307209000001001" } });
    const tool = catalog.get("Get_Property_Data");
    expect(result.isError).toBeFalsy();
    expect(Object.keys(result).sort()).toEqual(["content", "structuredContent"]);
    // The text the tool renders, then only the links to its resources (./resources-prompts.test.ts): nothing for the app.
    expect(result.content).toEqual([
      { type: "text", text: tool?.render(result.structuredContent as never) },
      expect.objectContaining({ type: "resource_link", uri: "pandgate://properties/0307209000001001" }),
    ]);
    await client.close();
  });
});

import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { adminRole } from "../scripts/entra/manifest.mjs";
import { parseConfig } from "../src/config";
import { createApp } from "../src/http/app";
import { STYLE } from "../src/http/layout";
import { catalog } from "../src/mcp/tools";
import { createWorker } from "../src/oauth";
import { SERVER_VERSION } from "../src/version";
import { BASE, MCP_URL } from "./helpers/oauth";
import { pkce, registerClient } from "./helpers/signin";

/** Text as hono/jsx escaped it, read back. */
function unescapeHtml(html: string): string {
  return html.replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

/** Every `<pre><code>` block of a page, unescaped. */
function codeBlocks(html: string): string[] {
  return [...html.matchAll(/<pre[^>]*><code>([\s\S]*?)<\/code><\/pre>/g)].map((m) => unescapeHtml(m[1] ?? ""));
}

/** The `<section>` whose heading has `id`, up to the next client's section or the end of the list. */
function section(html: string, id: string): string {
  const start = html.indexOf(`<section aria-labelledby="${id}">`);
  expect(start, `section ${id}`).toBeGreaterThan(-1);
  const end = html.indexOf("</section>", start);
  return html.slice(start, end);
}

async function cspHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return `'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`;
}

/** The directives of a Content-Security-Policy header, by name. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name = "", ...values]) => [name, values]),
  );
}

async function landing(fetcher: (req: Request) => Promise<Response> | Response = (req) => exports.default.fetch(req)) {
  const res = await fetcher(new Request(`${BASE}/`));
  expect(res.status).toBe(200);
  return { res, html: await res.text() };
}

describe("landing page", () => {
  it("is unframeable, and its CSP allows its own style sheet and the copy script by their hashes, nothing else", async () => {
    const { res, html } = await landing();
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const csp = directives(res.headers.get("content-security-policy") ?? "");
    expect(csp.get("default-src")).toEqual(["'none'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'none'"]);
    expect(csp.get("style-src")).toEqual([await cspHash(STYLE)]);
    expect(csp.has("img-src")).toBe(false);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? "");
    expect(scripts).toHaveLength(1);
    expect(csp.get("script-src")).toEqual([await cspHash(scripts[0] ?? "")]);
    expect(html).not.toMatch(/ on[a-z]+=/);
    expect(html).not.toContain("style=");

    // Other pages run no script at all.
    const other = await exports.default.fetch(`${BASE}/authorize?response_type=code&client_id=unknown-client`);
    const otherCsp = directives(other.headers.get("content-security-policy") ?? "");
    expect(otherCsp.has("script-src")).toBe(false);
    expect(otherCsp.get("default-src")).toEqual(["'none'"]);
    expect(await other.text()).not.toContain("<script");
  });

  it("shows the MCP URL as selectable text in a labelled read-only field, the copy button hidden until the script runs", async () => {
    const { html } = await landing();
    expect(html).toContain('<label class="field" for="mcp-url">');
    const input = /<input id="mcp-url"[^>]*>/.exec(html)?.[0] ?? "";
    expect(input).toContain('type="text"');
    expect(input).toContain("readonly");
    expect(input).toContain(`value="${MCP_URL}"`);
    expect(/<button id="copy-url"[^>]*>/.exec(html)?.[0]).toContain("hidden");
    expect(html).toContain('id="copy-status" role="status"');
    expect(html).toMatch(/<main id="main">/);
    expect(html).toMatch(/<header class="site-header">/);
    expect(html).toContain('<html lang="en">');
  });

  it("gives every client its instructions with this server's URL and the exact configuration", async () => {
    const { html } = await landing();
    const blocks = codeBlocks(html);
    const json = blocks.filter((b) => b.startsWith("{")).map((b) => JSON.parse(b) as unknown);
    // Claude Desktop through mcp-remote, VS Code, Cursor: as docs/connecting-clients.md has them.
    expect(json).toEqual([
      { mcpServers: { pandgate: { command: "npx", args: ["-y", "mcp-remote@0.15.1", MCP_URL] } } },
      { servers: { pandgate: { type: "http", url: MCP_URL } } },
      { mcpServers: { pandgate: { url: MCP_URL } } },
    ]);
    expect(section(html, "vscode")).toContain("<code>.vscode/mcp.json</code>");
    expect(section(html, "cursor")).toContain("<code>~/.cursor/mcp.json</code>");
    expect(section(html, "claude-desktop-config")).toContain("<code>claude_desktop_config.json</code>");
    expect(blocks).toContain(`npx -y mcp-remote@0.15.1 ${MCP_URL}`);
    expect(blocks).toContain("npx -y -p node@22 -p @modelcontextprotocol/inspector@2.12.0 mcp-inspector");
    expect(blocks).toContain(
      `npx -y -p node@22 -p @modelcontextprotocol/inspector@2.12.0 mcp-inspector --cli ${MCP_URL} --transport http --method tools/list`,
    );
    expect(blocks).toContain(
      [
        "OPERATOR_SECRET=… npm run clients -- create --name Blockbrain \\",
        "  --redirect-uri <Blockbrain's callback URL> \\",
        `  --url ${BASE}`,
      ].join("\n"),
    );

    const claude = unescapeHtml(section(html, "claude"));
    expect(claude).toContain("Settings → Connectors → Add custom connector");
    expect(claude).toContain(`<code>${MCP_URL}</code>`);
    const chatgpt = unescapeHtml(section(html, "chatgpt"));
    expect(chatgpt).toContain("Developer mode");
    expect(chatgpt).toContain(`<code>${MCP_URL}</code>`);
    expect(chatgpt).toContain("<strong>OAuth</strong>");
    const inspector = unescapeHtml(section(html, "inspector"));
    expect(inspector).toContain("<strong>Streamable HTTP</strong>");
    // The test Worker is not on loopback and does not allow the Inspector's page: the page says so.
    expect(inspector).toContain("ALLOWED_ORIGINS");
    const blockbrain = unescapeHtml(section(html, "blockbrain"));
    expect(blockbrain).toContain("<strong>OAuth 2.1</strong>");
    expect(blockbrain).toContain("<strong>Discover OAuth</strong>");
    expect(blockbrain).toContain(`<code>${MCP_URL}</code>`);
    expect(blockbrain).toContain("--tenant <tenant id>");
    // Every client is linked from the list at the top.
    for (const id of ["claude", "claude-desktop-config", "chatgpt", "vscode", "cursor", "inspector", "mcp-remote", "blockbrain"]) {
      expect(html).toContain(`<a href="#${id}">`);
      expect(html).toContain(`<h3 id="${id}">`);
    }
  });

  it("tells hosted clients' users they need a public https URL when the server is on this computer, and how to get one", async () => {
    // The test Worker's PUBLIC_URL is public https: no such notice.
    const { html } = await landing();
    expect(html).not.toContain('id="public-url-needed"');
    expect(html).not.toContain("cloudflared");

    const local = createApp(parseConfig({ PUBLIC_URL: "http://localhost:8787" }));
    const res = await local.fetch(new Request("http://localhost:8787/"), env, createExecutionContext());
    const page = unescapeHtml(await res.text());
    const notice = /<div class="notice" id="public-url-needed">([\s\S]*?)<\/div>/.exec(page)?.[1] ?? "";
    expect(notice).toContain("Claude and ChatGPT cannot use this URL.");
    expect(notice).toContain("<code>http://localhost:8787/mcp</code>");
    expect(notice).toContain("<code>npm run setup</code>");
    expect(codeBlocks(page)).toEqual(
      expect.arrayContaining(["cloudflared tunnel --url http://localhost:8787", "PUBLIC_URL=https://<name>.trycloudflare.com npm run dev"]),
    );
    // Claude's and ChatGPT's own sections point to it; the local clients' do not.
    expect(section(page, "claude")).toContain('href="#public-url-needed"');
    expect(section(page, "chatgpt")).toContain('href="#public-url-needed"');
    expect(section(page, "vscode")).not.toContain("public-url-needed");

    // https on loopback is still this computer.
    const loopbackHttps = createApp(parseConfig({ PUBLIC_URL: "https://127.0.0.1:8443" }));
    const secure = await loopbackHttps.fetch(new Request("https://127.0.0.1:8443/"), env, createExecutionContext());
    expect(await secure.text()).toContain('id="public-url-needed"');
  });

  it("names the Owner and workspace-admin steps for Claude Team/Enterprise and ChatGPT, and the Inspector's environment", async () => {
    const { html } = await landing();
    const claude = unescapeHtml(section(html, "claude"));
    expect(claude).toContain("only an Owner (or Primary Owner) of your organisation can add a custom connector");
    expect(claude).toContain("each member connects it under Settings → Connectors");
    const chatgpt = unescapeHtml(section(html, "chatgpt"));
    expect(chatgpt).toContain("depends on your plan and workspace");
    expect(chatgpt).toContain("an admin or owner must first allow developer mode");
    const inspector = unescapeHtml(section(html, "inspector"));
    expect(inspector).toContain("<code>MCP_AUTO_OPEN_ENABLED=true</code>");
    expect(inspector).toContain("<code>MCP_INSPECTOR_SECRET_STORE=file</code>");
    expect(inspector).toContain("auth() returned AUTHORIZED without authorization code");
    expect(inspector).toContain("<code>--relogin</code>");
    expect(codeBlocks(html)).toContain(
      `MCP_AUTO_OPEN_ENABLED=true MCP_INSPECTOR_SECRET_STORE=file npx -y -p node@22 -p @modelcontextprotocol/inspector@2.12.0 mcp-inspector --cli ${MCP_URL} --transport http --method tools/list`,
    );
  });

  it("lists every tool of the catalog with the scopes and app roles it needs", async () => {
    const { html } = await landing();
    const tools = catalog.all();
    expect(tools.length).toBeGreaterThan(10);
    for (const tool of tools) {
      const row = new RegExp(`<tr id="tool-${tool.name}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? "";
      expect(row, tool.name).toContain(`<code>${tool.name}</code>`);
      const cells = [...row.matchAll(/<td data-label="[^"]+">([\s\S]*?)<\/td>/g)].map((m) => m[1] ?? "");
      expect(cells, tool.name).toHaveLength(3);
      expect(cells[1], tool.name).toBe(tool.requiredScopes.map((scope) => `<code>${scope}</code>`).join(" "));
      const roles = tool.requiredRoles ?? [];
      expect(cells[2], tool.name).toBe(roles.length > 0 ? roles.map((role) => `<code>${role}</code>`).join(" or ") : "anyone");
    }
    // The Entra manifest's Admin role names exactly the tools that role gates.
    const adminTools = tools.filter((tool) => tool.requiredRoles?.includes("Admin")).map((tool) => tool.name);
    expect(adminTools.length).toBeGreaterThan(0);
    const described = adminRole().description;
    expect(tools.filter((tool) => described.includes(tool.name)).map((tool) => tool.name)).toEqual(adminTools);
    // The administrator's tools name their app role.
    expect(html).toMatch(/<tr id="tool-Get_Audit_Log">[\s\S]*?<code>Admin<\/code>/);
    expect(html).toMatch(/<tr id="tool-Quick_Assess_Property">[\s\S]*?<code>mcp:write<\/code>/);
  });

  it("says the data is synthetic, or which live registers it asks", async () => {
    const { html } = await landing();
    expect(html).toContain('<h2 id="data">Data: synthetic</h2>');
    expect(html).toContain("synthetic demonstration dataset");

    const app = createApp(
      parseConfig({ PUBLIC_URL: BASE, DATA_SOURCE: "live", PDOK_BAG_URL: "https://bag-cache.example/bag", CBS_KWB_TABLE: "86165NED" }),
    );
    const live = await app.fetch(new Request(`${BASE}/`), env, createExecutionContext());
    const liveHtml = await live.text();
    expect(liveHtml).toContain('<h2 id="data">Data: live registers</h2>');
    expect(liveHtml).not.toContain("synthetic demonstration dataset");
    for (const name of ["PDOK Locatieserver", "PDOK BAG", "EP-Online", "CBS", "PDOK BRK Kadastrale Kaart", "RCE Rijksmonumentenregister"]) {
      expect(liveHtml).toContain(`<td data-label="Register">${name}</td>`);
    }
    expect(liveHtml).toContain("<code>bag-cache.example</code>");
    expect(liveHtml).toContain("<code>api.pdok.nl</code>");
    expect(liveHtml).toContain("table 86165NED");
    // Without sign-in configured, the page says clients cannot connect yet.
    expect(liveHtml).toContain("Sign-in is not configured");
  });
});

describe("ORG_NAME and ORG_LOGO_URL", () => {
  const branded = createWorker(
    parseConfig({
      ...(env as unknown as Record<string, unknown>),
      ORG_NAME: "Contoso <Vastgoed>",
      ORG_LOGO_URL: "https://cdn.contoso.example/brand/logo.svg",
    }),
  );
  const fetchBranded = async (req: Request) => branded.fetch(req as Parameters<typeof branded.fetch>[0], env, createExecutionContext());

  it("shows the organisation's name and logo in the landing page's header, and the CSP allows images from that origin only", async () => {
    const { res, html } = await landing(fetchBranded);
    const header = /<header class="site-header">([\s\S]*?)<\/header>/.exec(html)?.[1] ?? "";
    expect(header).toContain('<span class="org">Contoso &lt;Vastgoed&gt;</span>');
    expect(header).toContain('<img src="https://cdn.contoso.example/brand/logo.svg" alt=""');
    expect(directives(res.headers.get("content-security-policy") ?? "").get("img-src")).toEqual(["https://cdn.contoso.example"]);
    expect(html).toContain("<title>Connect to pandgate · Contoso &lt;Vastgoed&gt;</title>");
  });

  it("shows them on the consent page too, with Allow as the primary button and Deny as the secondary one", async () => {
    const client = await registerClient({ client_name: "Branded Client" });
    const { challenge } = await pkce();
    const query = new URLSearchParams({
      response_type: "code",
      client_id: client.client_id,
      redirect_uri: client.redirect_uris[0] ?? "",
      scope: "mcp:read",
      state: crypto.randomUUID(),
      code_challenge: challenge,
      code_challenge_method: "S256",
      resource: MCP_URL,
    });
    const res = await fetchBranded(new Request(`${BASE}/authorize?${query}`));
    expect(res.status).toBe(200);
    const csp = directives(res.headers.get("content-security-policy") ?? "");
    expect(csp.get("img-src")).toEqual(["https://cdn.contoso.example"]);
    expect(csp.has("script-src")).toBe(false);
    const html = await res.text();
    expect(html).toContain("Allow Branded Client");
    expect(html).toContain('<span class="org">Contoso &lt;Vastgoed&gt;</span>');
    expect(html).toContain('<img src="https://cdn.contoso.example/brand/logo.svg"');
    expect(html).toMatch(
      /<button type="submit" name="decision" value="approve" class="button button-primary">\s*Allow access\s*<\/button>/,
    );
    expect(html).toMatch(/<button type="submit" name="decision" value="deny" class="button button-secondary">\s*Deny\s*<\/button>/);
  });

  it("leaves them out when unset", async () => {
    const { res, html } = await landing();
    expect(html).not.toContain('class="org"');
    expect(html).not.toContain("<img");
    expect(res.headers.get("content-security-policy")).not.toContain("img-src");
  });
});

describe("pages and health", () => {
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
      const html = await res.text();
      expect(html).toContain("Sign-in is not configured");
      // Points the operator at the section of the docs that holds the sign-in settings.
      expect(html).toContain("see “Registering pandgate with Microsoft” in docs/operating.md");
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

  it("answers a path below /mcp that is not the endpoint with 404, before any token is asked for", async () => {
    const res = await exports.default.fetch(`${BASE}/mcp/other`, { method: "POST" });
    expect(res.status).toBe(404);
    expect(res.headers.get("www-authenticate")).toBeNull();
    expect(await res.json()).toEqual({ error: "not_found", message: `Nothing here; the MCP endpoint is ${BASE}/mcp` });
  });
});

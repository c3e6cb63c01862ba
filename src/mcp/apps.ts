import { env } from "cloudflare:workers";
import type { McpUiResourceMeta } from "@modelcontextprotocol/ext-apps";
import { RESOURCE_MIME_TYPE, registerAppResource } from "@modelcontextprotocol/ext-apps/server";
import type { McpServer } from "@modelcontextprotocol/server";

/**
 * MCP Apps (`io.modelcontextprotocol/ui`, SEP-1865): the interactive views a tool result can be
 * shown in by hosts that render apps (Claude, ChatGPT, VS Code, Cursor). A tool links its app with
 * `_meta.ui.resourceUri` (ToolSpec `app`, set in src/mcp/tools/), and the app is a `ui://`
 * resource of type `text/html;profile=mcp-app` that the host reads and runs in a sandboxed iframe,
 * feeding it the tool's result over postMessage. Hosts without apps ignore both: the tool's text
 * and structured content are the same with or without them.
 *
 * Each app is one self-contained HTML file (apps/*.ts with the ext-apps App runtime and the style
 * sheet inlined; no external URL), built by scripts/build-apps.mjs into dist-apps/, which the
 * Worker serves as Static Assets: a read fetches it through the ASSETS binding, so the apps
 * (about 400 KiB each) are not in the Worker bundle.
 */
export interface UiApp {
  /** `ui://pandgate/` and the app's file in dist-apps/ (scripts/build-apps.mjs). */
  uri: `${typeof UI_PREFIX}${string}`;
  name: string;
  description: string;
}

const UI_PREFIX = "ui://pandgate/";

export const PROPERTY_CARD: UiApp = {
  uri: "ui://pandgate/property-card.html",
  name: "Property card",
  description:
    "A card of one property: address, use, area, build year, energy label and validity, indicative value against the neighbourhood, parcel, monument, risks and sources, from Get_Property_Data or Quick_Assess_Property.",
};

export const PORTFOLIO_DASHBOARD: UiApp = {
  uri: "ui://pandgate/portfolio-dashboard.html",
  name: "Portfolio dashboard",
  description:
    "A portfolio job's result from Get_Portfolio_Result: label distribution, value bands, failures, and a table of the counts that sorts.",
};

export const UI_APPS: readonly UiApp[] = [PROPERTY_CARD, PORTFOLIO_DASHBOARD];

/**
 * What each app may reach beyond its own HTML: nothing. No connect or resource domains (no
 * fetch, no scripts, styles, images or fonts from elsewhere); the host's sandbox and this CSP
 * are the whole of it. Tool calls and links go through the host's bridge, not the network.
 */
export const UI_RESOURCE_META: McpUiResourceMeta = { csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true };

/** The apps are the same for everyone and change only with a deployment. */
const CACHE_HINT = { ttlMs: 5 * 60_000, cacheScope: "public" as const };

/** Registers every app as a `ui://` resource on `server` (one line in buildMcpServer). */
export function registerUiApps(server: McpServer): void {
  for (const app of UI_APPS) {
    registerAppResource(
      server,
      app.name,
      app.uri,
      { description: app.description, mimeType: RESOURCE_MIME_TYPE, _meta: { ui: UI_RESOURCE_META }, cacheHint: CACHE_HINT } as Parameters<
        typeof registerAppResource
      >[3],
      async () => ({
        contents: [{ uri: app.uri, mimeType: RESOURCE_MIME_TYPE, text: await readApp(app), _meta: { ui: UI_RESOURCE_META } }],
      }),
    );
  }
}

/** The app's HTML from the Static Assets; an operator error (apps not built) if it is missing. */
async function readApp(app: UiApp): Promise<string> {
  const file = app.uri.slice(UI_PREFIX.length);
  const response = await env.ASSETS.fetch(`https://assets.invalid/${file}`);
  if (!response.ok)
    throw new Error(`The MCP App ${file} is not in the Worker's static assets (HTTP ${response.status}): run npm run build:apps`);
  return await response.text();
}

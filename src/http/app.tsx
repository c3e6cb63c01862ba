import { Hono, type MiddlewareHandler } from "hono";
import { contextStorage } from "hono/context-storage";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import type { Config } from "../config";
import { dataProvenance } from "../data/services";
import { describeError, log } from "../log";
import { catalog } from "../mcp/tools";
import { SERVER_NAME, SERVER_VERSION } from "../version";
import { mountAdmin } from "./admin";
import { mountFiles } from "./files";
import { COPY_SCRIPT, LandingPage } from "./landing";
import { provideBranding, STYLE } from "./layout";
import { mountSignIn } from "./signin";
import { mountUploads } from "./upload";

/** A CSP source allowing exactly `text` as an inline `<script>` or `<style>` (CSP3 hash source). */
async function hashSource(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return `'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`;
}

/**
 * Pages get a strict policy: nothing framed, nothing fetched from elsewhere, only our own style
 * sheet (by its hash) and, on the landing page alone, only the copy button's script (by its
 * hash). With ORG_LOGO_URL set, images from that URL's origin and nowhere else.
 */
function pageHeaders(config: Config, hashes: { style: string; script?: string }): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: [hashes.style],
      ...(hashes.script !== undefined && { scriptSrc: [hashes.script] }),
      ...(config.orgLogoUrl !== undefined && { imgSrc: [new URL(config.orgLogoUrl).origin] }),
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    xFrameOptions: "DENY",
  });
}

/** The unprotected routes: landing page, health, the authorize endpoint, JSON 404s. */
export function createApp(config: Config) {
  const app = new Hono<{ Bindings: Env }>();
  // The hashes take an await, so they are worked out at the first request, once per app.
  let headers: Promise<{ page: MiddlewareHandler; landing: MiddlewareHandler }> | undefined;
  app.use(async (c, next) => {
    headers ??= Promise.all([hashSource(STYLE), hashSource(COPY_SCRIPT)]).then(([style, script]) => ({
      page: pageHeaders(config, { style }),
      landing: pageHeaders(config, { style, script }),
    }));
    const chosen = await headers;
    return (c.req.path === "/" ? chosen.landing : chosen.page)(c, next);
  });
  // Pages read the organisation's name and logo from the request's context (./layout.tsx).
  app.use(contextStorage());
  app.use(provideBranding({ orgName: config.orgName, orgLogoUrl: config.orgLogoUrl }));

  app.get("/", (c) => c.html(<LandingPage config={config} tools={catalog.all()} provenance={dataProvenance(config)} />));

  app.get("/health", async (c) => {
    const [d1, kv] = await Promise.all([
      probe(async () => {
        await c.env.DB.prepare("SELECT 1").first();
      }),
      probe(async () => {
        await c.env.OAUTH_KV.get("health:probe");
      }),
    ]);
    const ok = d1 && kv;
    return c.json(
      {
        status: ok ? "ok" : "degraded",
        name: SERVER_NAME,
        version: SERVER_VERSION,
        checks: { d1: d1 ? "ok" : "unreachable", kv: kv ? "ok" : "unreachable" },
      },
      ok ? 200 : 503,
      { "cache-control": "no-store" },
    );
  });

  // Before the sign-in: the upload sign-in finishes on the shared callback by its state.
  mountUploads(app, config);
  mountSignIn(app, config);
  mountAdmin(app, config);
  mountFiles(app, config);

  app.notFound((c) => c.json({ error: "not_found", message: `No route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));

  app.onError((error, c) => {
    // Deliberate HTTP answers from middleware (e.g. the operator API's 401) pass through.
    if (error instanceof HTTPException) return error.getResponse();
    const requestId = crypto.randomUUID();
    log("error", "http_failed", { requestId, path: new URL(c.req.url).pathname, error: describeError(error) });
    return c.json({ error: "server_error", message: `Something went wrong; it was logged with request id ${requestId}` }, 500);
  });

  return app;
}

async function probe(check: () => Promise<void>): Promise<boolean> {
  try {
    await check();
    return true;
  } catch {
    return false;
  }
}

import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import type { Config } from "../config";
import { describeError, log } from "../log";
import { SERVER_NAME, SERVER_VERSION } from "../version";
import { mountAdmin } from "./admin";
import { LandingPage } from "./pages";
import { mountSignIn } from "./signin";

/** Pages get a strict policy: no scripts, nothing framed, nothing fetched from elsewhere. */
const pageHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    styleSrc: ["'unsafe-inline'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
  xFrameOptions: "DENY",
});

/** The unprotected routes: landing page, health, the authorize endpoint, JSON 404s. */
export function createApp(config: Config) {
  const app = new Hono<{ Bindings: Env }>();
  app.use(pageHeaders);

  app.get("/", (c) => c.html(<LandingPage mcpUrl={config.mcpResource} />));

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

  mountSignIn(app, config);
  mountAdmin(app, config);

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

import { createExecutionContext, listDurableObjectIds } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError, parseConfig } from "../src/config";
import { sha256Base64Url } from "../src/encoding";
import { namedClientId } from "../src/http/rate-limit";
import { createWorker } from "../src/oauth";
import wranglerToml from "../wrangler.toml?raw";
import { waitForAudit } from "./helpers/audit";
import { Browser, hiddenField } from "./helpers/browser";
import { EntraMock, entraUser, TENANT_A } from "./helpers/entra";
import { LEGACY_HEADERS, postMcp } from "./helpers/mcp";
import { BASE, config, MCP_URL, mintToken, newIdentity, oauthHelpers } from "./helpers/oauth";
import { CLIENT_REDIRECT, pkce, type RegisteredClient } from "./helpers/signin";

/**
 * The rate limits, driven over their edge through the real Worker and the real Rate Limiting
 * bindings from wrangler.toml. Every test file shares each binding's counters, so every test
 * counts under keys of its own: a fresh client address (`CF-Connecting-IP`) or a fresh user.
 */

afterEach(() => vi.restoreAllMocks());

/** `limit` and `period` of each `[[ratelimits]]` binding, as wrangler.toml declares them. */
function declaredLimits(toml: string): Map<string, { limit: number; period: number }> {
  const limits = new Map<string, { limit: number; period: number }>();
  for (const block of toml.split("[[ratelimits]]").slice(1)) {
    const name = /^name\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    const simple = /^simple\s*=\s*\{\s*limit\s*=\s*(\d+)\s*,\s*period\s*=\s*(\d+)\s*\}/m.exec(block);
    if (name && simple) limits.set(name, { limit: Number(simple[1]), period: Number(simple[2]) });
  }
  return limits;
}

const DECLARED = declaredLimits(wranglerToml);
const OAUTH = DECLARED.get("OAUTH_LIMITER") ?? { limit: 0, period: 0 };
const MCP = DECLARED.get("MCP_LIMITER") ?? { limit: 0, period: 0 };

/** A client address no other test uses (IPv6 documentation range). */
function freshAddress(): string {
  const hex = () => Math.floor(Math.random() * 0x10000).toString(16);
  return `2001:db8:${hex()}:${hex()}::${hex()}`;
}

/**
 * Runs `attempt` (which takes fresh keys each time) within one window of the binding. The local
 * binding's windows are aligned to the clock, so a run that straddles a boundary sees its count
 * start over; such a run is tried once more, in one window: when less of the current window is
 * left than the first run took (a busy machine), it starts at the next boundary. A failure within
 * one window is never tried again.
 */
async function withinOneWindow(period: number, attempt: () => Promise<void>): Promise<void> {
  const windowMs = period * 1000;
  const windowOf = (time: number) => Math.floor(time / windowMs);
  const started = Date.now();
  try {
    await attempt();
  } catch (error) {
    if (windowOf(Date.now()) === windowOf(started)) throw error;
    const took = Date.now() - started;
    if (took >= windowMs)
      throw new Error(`one run took ${took} ms, more than the ${period}-second window it must fit in`, { cause: error });
    const left = windowMs - (Date.now() % windowMs);
    if (left < took * 1.5) await new Promise((resolve) => setTimeout(resolve, left + 100));
    await attempt();
  }
}

/**
 * The timeout of a test that runs in `withinOneWindow`: at worst a run of almost a window that
 * straddles a boundary, the wait for the next boundary and a second run, each under a minute even
 * on a loaded 2-core machine (a run takes 2-7 s at load 7-10 there), plus the audit wait.
 */
const WINDOWED = { timeout: (3 * Math.max(OAUTH.period, MCP.period) + 30) * 1000 };

function post(path: string, address: string, body: BodyInit, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(`${BASE}${path}`, { method: "POST", headers: { "cf-connecting-ip": address, ...headers }, body });
}

function register(address: string): Promise<Response> {
  const metadata = { client_name: "Rate limit test", redirect_uris: [CLIENT_REDIRECT], token_endpoint_auth_method: "none" };
  return post("/oauth/register", address, JSON.stringify(metadata), { "content-type": "application/json" });
}

function tokenRequest(address: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return post("/oauth/token", address, new URLSearchParams(form), { "content-type": "application/x-www-form-urlencoded", ...headers });
}

async function registered(): Promise<RegisteredClient> {
  const res = await register(freshAddress());
  expect(res.status).toBe(201);
  return (await res.json()) as RegisteredClient;
}

async function authorizeUrl(client: RegisteredClient): Promise<string> {
  const { challenge } = await pkce();
  const query = new URLSearchParams({
    response_type: "code",
    client_id: client.client_id,
    redirect_uri: CLIENT_REDIRECT,
    scope: "mcp:read",
    state: crypto.randomUUID(),
    code_challenge: challenge,
    code_challenge_method: "S256",
    resource: MCP_URL,
  });
  return `${BASE}/authorize?${query}`;
}

async function countClients(): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await env.OAUTH_KV.list({ prefix: "client:", ...(cursor && { cursor }) });
    count += page.keys.length;
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return count;
}

/** How many requests `expectAllowed` keeps in flight at once. */
const IN_FLIGHT = 8;

/**
 * Sends `count` requests, `IN_FLIGHT` at a time; every one must be answered without a 429. The
 * binding counts each request once, whatever the order (its counter is one Durable Object).
 */
async function expectAllowed(count: number, send: (i: number) => Promise<Response>): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < count; i = next++) {
      const res = await send(i);
      expect(res.status, `request ${i + 1} of ${count}`).not.toBe(429);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, count) }, lane));
}

async function expectOAuthRefusal(res: Response): Promise<void> {
  expect(res.status).toBe(429);
  expect(res.headers.get("retry-after")).toBe(String(OAUTH.period));
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(res.headers.get("cache-control")).toBe("no-store");
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toEqual({
    error: "temporarily_unavailable",
    error_description: `Too many requests from this address; try again in ${OAUTH.period} seconds`,
  });
}

async function expectPageRefusal(res: Response): Promise<string> {
  expect(res.status).toBe(429);
  expect(res.headers.get("retry-after")).toBe(String(OAUTH.period));
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  expect(res.headers.get("x-frame-options")).toBe("DENY");
  expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
  const html = await res.text();
  expect(html).toContain("<h1>Too many sign-in requests</h1>");
  expect(html).toContain(`Wait ${OAUTH.period} seconds`);
  return html;
}

/** The warnings logged while `run` ran, as parsed JSON lines. */
async function warningsDuring(run: () => Promise<void>): Promise<Array<Record<string, unknown>>> {
  const warn = vi.spyOn(console, "warn");
  await run();
  const lines = warn.mock.calls.map(([line]) => String(line)).filter((line) => line.startsWith("{"));
  warn.mockRestore();
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("settings", () => {
  const bindings = { OAUTH_LIMITER: env.OAUTH_LIMITER, MCP_LIMITER: env.MCP_LIMITER };
  const base = { PUBLIC_URL: "https://x.example" };

  it("limits every surface whose binding is declared, with a 60-second period unless set", () => {
    expect(parseConfig({ ...base, ...bindings }).rateLimits).toEqual({
      oauth: { binding: "OAUTH_LIMITER", period: 60 },
      mcp: { binding: "MCP_LIMITER", period: 60 },
    });
    expect(parseConfig({ ...base, MCP_LIMITER: env.MCP_LIMITER }).rateLimits).toEqual({ mcp: { binding: "MCP_LIMITER", period: 60 } });
    expect(parseConfig(base).rateLimits).toBeUndefined();
    expect(parseConfig({ ...base, ...bindings, OAUTH_RATE_LIMIT_PERIOD: "10", MCP_RATE_LIMIT_PERIOD: 10 }).rateLimits).toEqual({
      oauth: { binding: "OAUTH_LIMITER", period: 10 },
      mcp: { binding: "MCP_LIMITER", period: 10 },
    });
  });

  it("turns surfaces off and on with RATE_LIMITS", () => {
    expect(parseConfig({ ...base, ...bindings, RATE_LIMITS: "off" }).rateLimits).toBeUndefined();
    expect(parseConfig({ ...base, ...bindings, RATE_LIMITS: "none" }).rateLimits).toBeUndefined();
    expect(parseConfig({ ...base, ...bindings, RATE_LIMITS: "mcp" }).rateLimits).toEqual({ mcp: { binding: "MCP_LIMITER", period: 60 } });
    expect(parseConfig({ ...base, ...bindings, RATE_LIMITS: " OAuth, MCP " }).rateLimits).toEqual(
      parseConfig({ ...base, ...bindings, RATE_LIMITS: "on" }).rateLimits,
    );
  });

  it.each([
    [{ RATE_LIMITS: "ip" }, 'RATE_LIMITS has "ip", which is not oauth, mcp, on or off: set RATE_LIMITS under [vars] in wrangler.toml'],
    [
      { RATE_LIMITS: "oauth,mcp", MCP_LIMITER: undefined },
      "RATE_LIMITS names mcp, but there is no MCP_LIMITER rate limiting binding: add [[ratelimits]]",
    ],
    [{ RATE_LIMITS: "on", OAUTH_LIMITER: undefined }, "RATE_LIMITS names oauth, but there is no OAUTH_LIMITER rate limiting binding"],
    [
      { OAUTH_RATE_LIMIT_PERIOD: "30" },
      "OAUTH_RATE_LIMIT_PERIOD must be 10 or 60 (seconds): set OAUTH_RATE_LIMIT_PERIOD under [vars] in wrangler.toml",
    ],
    [{ MCP_RATE_LIMIT_PERIOD: "1m" }, "MCP_RATE_LIMIT_PERIOD must be 10 or 60 (seconds)"],
    [{ MCP_RATE_LIMIT_PERIOD: true }, "MCP_RATE_LIMIT_PERIOD must be 10 or 60 (seconds)"],
  ])("refuses %j with a line naming the setting and the fix", (settings, expected) => {
    let error: unknown;
    try {
      parseConfig({ ...base, ...bindings, ...settings });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`\n- ${expected}`);
  });

  it("tells refused clients the period wrangler.toml gives each binding", () => {
    expect(config.rateLimits).toEqual({
      oauth: { binding: "OAUTH_LIMITER", period: OAUTH.period },
      mcp: { binding: "MCP_LIMITER", period: MCP.period },
    });
    // High enough for the rest of the suite, which signs in from no address at all ("unknown").
    expect(OAUTH.limit).toBeGreaterThanOrEqual(100);
    expect(MCP.limit).toBeGreaterThanOrEqual(100);
  });
});

describe("/oauth/register", () => {
  it(
    "refuses the registration after the limit with an OAuth error, creates no client, and leaves other addresses alone",
    WINDOWED,
    async () => {
      await withinOneWindow(OAUTH.period, async () => {
        const address = freshAddress();
        await expectAllowed(OAUTH.limit, async () => {
          const res = await register(address);
          expect(res.status).toBe(201);
          return res;
        });
        const before = await countClients();
        await expectOAuthRefusal(await register(address));
        await expectOAuthRefusal(await register(address));
        expect(await countClients()).toBe(before);
        expect((await register(freshAddress())).status).toBe(201);
        // The audit trail has one event for the address and window, however many requests were refused.
        const events = await waitForAudit({ kind: "rate_limit.exceeded" }, (all) => all.some((e) => e.details.ip === address));
        const mine = events.filter((e) => e.details.ip === address);
        expect(mine).toHaveLength(1);
        expect(mine[0]).toMatchObject({
          outcome: "denied",
          reason: "rate_limited",
          actor: "client",
          details: { limiter: "OAUTH_LIMITER", route: "POST /oauth/register" },
        });
      });
    },
  );

  it("answers a browser client's refusal with CORS it can read, and leaves preflights uncounted", WINDOWED, async () => {
    await withinOneWindow(OAUTH.period, async () => {
      const address = freshAddress();
      const origin = "https://app.example.org";
      const preflight = () =>
        exports.default.fetch(`${BASE}/oauth/register`, {
          method: "OPTIONS",
          headers: { "cf-connecting-ip": address, origin, "access-control-request-method": "POST" },
        });
      await expectAllowed(OAUTH.limit, () => register(address));
      const refused = await post("/oauth/register", address, "{}", { "content-type": "application/json", origin });
      expect(refused.status).toBe(429);
      expect(refused.headers.get("access-control-allow-origin")).toBe(origin);
      expect(refused.headers.get("access-control-expose-headers")).toContain("Retry-After");
      expect((await preflight()).status).not.toBe(429);
    });
  });
});

describe("/oauth/token", () => {
  /** A client with an authorization code waiting to be redeemed. */
  async function pendingCode() {
    const helpers = oauthHelpers();
    const client = await helpers.createClient({
      redirectUris: [CLIENT_REDIRECT],
      clientName: "token limit",
      tokenEndpointAuthMethod: "none",
    });
    const { verifier, challenge } = await pkce();
    const query = new URLSearchParams({
      response_type: "code",
      client_id: client.clientId,
      redirect_uri: CLIENT_REDIRECT,
      scope: "mcp:read",
      state: "s",
      code_challenge: challenge,
      code_challenge_method: "S256",
      resource: MCP_URL,
    });
    const request = await helpers.parseAuthRequest(new Request(`${BASE}/authorize?${query}`));
    const identity = newIdentity();
    const { redirectTo } = await helpers.completeAuthorization({
      request,
      userId: identity.userKey,
      metadata: {},
      scope: ["mcp:read"],
      props: identity,
    });
    const redemption = {
      grant_type: "authorization_code",
      code: new URL(redirectTo).searchParams.get("code") ?? "",
      redirect_uri: CLIENT_REDIRECT,
      client_id: client.clientId,
      code_verifier: verifier,
      resource: MCP_URL,
    };
    return { clientId: client.clientId, redemption };
  }

  it("refuses the request after the limit for one address and client, and the code it carried still works", WINDOWED, async () => {
    await withinOneWindow(OAUTH.period, async () => {
      const { clientId, redemption } = await pendingCode();
      const address = freshAddress();
      await expectAllowed(OAUTH.limit, async () => {
        const res = await tokenRequest(address, { ...redemption, code: "not-a-code" });
        expect(res.status).toBe(400);
        return res;
      });
      await expectOAuthRefusal(await tokenRequest(address, redemption));
      // Another client from the same address counts on its own.
      const other = await tokenRequest(address, { ...redemption, client_id: `${clientId}-other` });
      expect(other.status).not.toBe(429);
      // The refused redemption used nothing up: the same code is redeemed from another address.
      const redeemed = await tokenRequest(freshAddress(), redemption);
      expect(redeemed.status).toBe(200);
      expect(((await redeemed.json()) as { access_token?: string }).access_token).toBeTruthy();
    });
  });

  it("names the client by its form field or its Basic credentials, the authorize query, or not at all", async () => {
    const at = (path: string) => new URL(`${BASE}${path}`);
    const form = (body: string, headers: Record<string, string> = {}) =>
      new Request(`${BASE}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body,
      });
    const request = form("grant_type=refresh_token&client_id=abc");
    expect(await namedClientId("token", request, at("/oauth/token"))).toBe("abc");
    expect(new TextDecoder().decode(await request.arrayBuffer())).toBe("grant_type=refresh_token&client_id=abc"); // the body is still there for the provider
    const basic = `Basic ${btoa(`${encodeURIComponent("id:with colon")}:secret`)}`;
    expect(await namedClientId("token", form("grant_type=x", { authorization: basic }), at("/oauth/token"))).toBe("id:with colon");
    expect(await namedClientId("token", form("grant_type=x", { authorization: "Basic %%%" }), at("/oauth/token"))).toBeUndefined();
    const authorize = at("/authorize?client_id=https%3A%2F%2Fapp.example%2Fclient.json");
    expect(await namedClientId("authorize", new Request(authorize), authorize)).toBe("https://app.example/client.json");
    expect(await namedClientId("authorize", form("handle=h&client_id=x"), at("/authorize"))).toBeUndefined();
    expect(await namedClientId("register", form("client_id=x"), at("/oauth/register"))).toBeUndefined();
    expect(
      await namedClientId("callback", new Request(at("/oauth/callback?client_id=x")), at("/oauth/callback?client_id=x")),
    ).toBeUndefined();
  });
});

describe("/authorize", () => {
  it("shows a page after the limit of consent pages for one address and client; other clients and addresses go on", WINDOWED, async () => {
    await withinOneWindow(OAUTH.period, async () => {
      const [client, otherClient] = [await registered(), await registered()];
      const address = freshAddress();
      const url = await authorizeUrl(client);
      await expectAllowed(OAUTH.limit, async () => {
        const res = await exports.default.fetch(url, { headers: { "cf-connecting-ip": address } });
        expect(res.status).toBe(200);
        return res;
      });
      const html = await expectPageRefusal(await exports.default.fetch(url, { headers: { "cf-connecting-ip": address } }));
      // The same request works once the window is over: the page links back to it.
      const link = new URL(url);
      expect(html).toContain(`href="${`${link.pathname}${link.search}`.replaceAll("&", "&amp;")}"`);
      expect((await exports.default.fetch(await authorizeUrl(otherClient), { headers: { "cf-connecting-ip": address } })).status).toBe(200);
      expect((await exports.default.fetch(url, { headers: { "cf-connecting-ip": freshAddress() } })).status).toBe(200);
    });
  });

  it("refuses the consent form after the limit without using up the request it carries", WINDOWED, async () => {
    const entra = new EntraMock().install();
    await withinOneWindow(OAUTH.period, async () => {
      const client = await registered();
      const browser = new Browser();
      const home = freshAddress();
      const consent = await browser.fetch(await authorizeUrl(client), { headers: { "cf-connecting-ip": home } });
      expect(consent.status).toBe(200);
      const handle = hiddenField(await consent.text(), "handle");
      const submit = (address: string, value: string, from = browser) =>
        from.fetch(`${BASE}/authorize`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": address },
          body: new URLSearchParams({ handle: value, decision: "approve" }),
        });
      const address = freshAddress();
      // Other browsers' stale forms from the same address fill the count.
      await expectAllowed(OAUTH.limit, () => submit(address, "not-a-handle", new Browser()));
      const html = await expectPageRefusal(await submit(address, handle));
      expect(html).toContain("go back and choose again");
      const approved = await submit(home, handle);
      expect(approved.status).toBe(302);
      expect(approved.headers.get("location")).toMatch(/^https:\/\/login\.microsoftonline\.com\//);
    });
    expect(entra.tokenRequests).toEqual([]);
  });
});

describe("/oauth/callback", () => {
  it("shows a page after the limit, and the same sign-in finishes once the browser may go on", WINDOWED, async () => {
    const entra = new EntraMock().install();
    await withinOneWindow(OAUTH.period, async () => {
      const client = await registered();
      const browser = new Browser();
      const home = freshAddress();
      const consent = await browser.fetch(await authorizeUrl(client), { headers: { "cf-connecting-ip": home } });
      const approved = await browser.fetch(`${BASE}/authorize`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": home },
        body: new URLSearchParams({ handle: hiddenField(await consent.text(), "handle"), decision: "approve" }),
      });
      const callbackUrl = await entra.login(approved.headers.get("location") ?? "", entraUser(TENANT_A));
      const address = freshAddress();
      await expectAllowed(OAUTH.limit, () =>
        new Browser().fetch(`${BASE}/oauth/callback?code=nothing&state=nothing`, { headers: { "cf-connecting-ip": address } }),
      );
      const exchanges = entra.tokenRequests.length;
      await expectPageRefusal(await browser.fetch(callbackUrl, { headers: { "cf-connecting-ip": address } }));
      expect(entra.tokenRequests.length).toBe(exchanges);
      const finished = await browser.fetch(callbackUrl, { headers: { "cf-connecting-ip": home } });
      expect(finished.status).toBe(302);
      expect(new URL(finished.headers.get("location") ?? "").searchParams.get("code")).toBeTruthy();
    });
  });
});

describe("/mcp", () => {
  const toolsList = { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} };
  /** Counted like any request, answered before the body is read and before the agent. */
  const cheap = (token: string) => postMcp(token, "x", { "content-type": "text/plain" });

  it("refuses the user's request after the limit with a JSON-RPC error, logs it once, and leaves other users alone", WINDOWED, async () => {
    await withinOneWindow(MCP.period, async () => {
      const { accessToken, identity } = await mintToken(newIdentity(), ["mcp:read"]);
      await expectAllowed(MCP.limit - 1, () => cheap(accessToken));
      expect((await postMcp(accessToken, toolsList, LEGACY_HEADERS)).status).toBe(200);
      const warnings = await warningsDuring(async () => {
        for (let i = 0; i < 3; i += 1) {
          const res = await postMcp(accessToken, toolsList, { ...LEGACY_HEADERS, "cf-connecting-ip": freshAddress() });
          expect(res.status).toBe(429);
          expect(res.headers.get("retry-after")).toBe(String(MCP.period));
          expect(res.headers.get("x-request-id")).toBeTruthy();
          // No `id`: refused before the body is read (the MCP schemas allow no null id).
          expect(await res.json()).toStrictEqual({
            jsonrpc: "2.0",
            error: { code: -32000, message: `Too many requests: slow down, and try again in ${MCP.period} seconds` },
          });
        }
      });
      const limited = warnings.filter((line) => line.event === "rate_limited");
      expect(limited).toHaveLength(1);
      expect(limited[0]).toMatchObject({
        level: "warn",
        limiter: "MCP_LIMITER",
        period: MCP.period,
        key: (await sha256Base64Url(identity.userKey)).slice(0, 12),
      });
      const logged = JSON.stringify(limited);
      expect(logged).not.toContain(identity.userKey);
      expect(logged).not.toContain(accessToken);

      const other = await mintToken(newIdentity(), ["mcp:read"]);
      expect((await postMcp(other.accessToken, toolsList, LEGACY_HEADERS)).status).toBe(200);
    });
  });

  it("refuses before the user's agent is reached, with CORS for an allowed browser origin", WINDOWED, async () => {
    await withinOneWindow(MCP.period, async () => {
      const { accessToken, identity } = await mintToken(newIdentity(), ["mcp:read"]);
      await expectAllowed(MCP.limit, () => cheap(accessToken));
      const refused = await postMcp(accessToken, toolsList, { ...LEGACY_HEADERS, origin: "https://claude.ai" });
      expect(refused.status).toBe(429);
      expect(refused.headers.get("access-control-allow-origin")).toBe("https://claude.ai");
      expect(refused.headers.get("access-control-expose-headers")).toContain("Retry-After");
      const agent = env.MCP_AGENT.idFromName(identity.userKey);
      expect((await listDurableObjectIds(env.MCP_AGENT)).some((id) => id.equals(agent))).toBe(false);
    });
  });
});

/** A request through a Worker built here, with bindings of the test's choosing. */
function serve(worker: ReturnType<typeof createWorker>, request: Request, bindings: Env = env): Promise<Response> {
  return Promise.resolve(worker.fetch(request as Parameters<typeof worker.fetch>[0], bindings, createExecutionContext()));
}

describe("when limiting cannot or should not apply", () => {
  const failing = {
    limit: () => Promise.reject(new Error("rate limiting service unavailable")),
  } satisfies RateLimit;

  it("lets requests through when the binding fails, and logs that", async () => {
    const errors = vi.spyOn(console, "error");
    const worker = createWorker(config);
    const broken = { ...env, OAUTH_LIMITER: failing, MCP_LIMITER: failing } as Env;
    const metadata = { client_name: "fail open", redirect_uris: [CLIENT_REDIRECT], token_endpoint_auth_method: "none" };
    const registration = new Request(`${BASE}/oauth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(metadata),
    });
    expect((await serve(worker, registration, broken)).status).toBe(201);
    const { accessToken } = await mintToken(newIdentity(), ["mcp:read"]);
    const mcp = new Request(MCP_URL, {
      method: "POST",
      headers: {
        accept: "application/json, text/event-stream",
        "content-type": "application/json",
        authorization: `Bearer ${accessToken}`,
        ...LEGACY_HEADERS,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
    });
    expect((await serve(worker, mcp, broken)).status).toBe(200);
    const logged = errors.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    expect(logged.filter((line) => line.event === "rate_limit_unavailable").map((line) => line.limiter)).toEqual([
      "OAUTH_LIMITER",
      "MCP_LIMITER",
    ]);
  });

  it("limits nothing a setting turns off", WINDOWED, async () => {
    await withinOneWindow(OAUTH.period, async () => {
      const address = freshAddress();
      await expectAllowed(OAUTH.limit, () => register(address));
      expect((await register(address)).status).toBe(429);
      const unlimited = createWorker(parseConfig({ ...env, RATE_LIMITS: "mcp" } as unknown as Record<string, unknown>));
      const metadata = { client_name: "no limits", redirect_uris: [CLIENT_REDIRECT], token_endpoint_auth_method: "none" };
      const again = new Request(`${BASE}/oauth/register`, {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": address },
        body: JSON.stringify(metadata),
      });
      expect((await serve(unlimited, again)).status).toBe(201);
    });
  });
});

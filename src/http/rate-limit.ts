import type { Config } from "../config";
import { basicAuthUser } from "../encoding";
import { createRateLimiter } from "../rate-limit";
import { mediaType, readFormBody } from "../request-body";
import { oauthError } from "./oauth-error";
import { MessagePage } from "./pages";

/**
 * Rate limits on the OAuth endpoints, applied by the Worker before the OAuth provider or the Hono
 * app sees the request, so a refused request reads and changes nothing (no client registered, no
 * code redeemed, no consent or sign-in state used up). Each endpoint counts on its own, per
 * client address (`CF-Connecting-IP`; "unknown" when there is none, as under tests) and, where
 * the request names it before any lookup, per client id.
 *
 * Refusals are `429` with `Retry-After` (the binding's period), in the endpoint's own format:
 * - `/oauth/token`, `/oauth/register`: an OAuth error object with `temporarily_unavailable`
 *   (RFC 6749 §4.1.2.1: "unable to handle the request due to a temporary overloading"). The
 *   token endpoint's `slow_down` belongs to the device-flow poll (RFC 8628 §3.5) and tells the
 *   client its authorization is still pending, which would be false here. CORS as the provider
 *   answers these endpoints, so a browser client can read the answer and its `Retry-After`.
 * - `/authorize` (GET and POST), `/oauth/callback`: a page, since a person's browser lands there,
 *   saying how long to wait and what to do then (nothing was used up, so trying again works).
 */

type Endpoint = "authorize" | "callback" | "token" | "register";

export interface OAuthPaths {
  authorize: string;
  callback: string;
  token: string;
  register: string;
}

/** The limiter for the OAuth endpoints, or `undefined` when RATE_LIMITS leaves them out. */
export function createOAuthRateLimit(config: Config, paths: OAuthPaths) {
  const limit = config.rateLimits?.oauth;
  if (!limit) return undefined;
  const limiter = createRateLimiter(limit);
  const endpoints = new Map<string, Endpoint>([
    [paths.authorize, "authorize"],
    [paths.callback, "callback"],
    [paths.token, "token"],
    [paths.register, "register"],
  ]);

  return {
    /** `undefined`: go on. A response: the request is over its endpoint's limit. */
    async check(request: Request, env: Env): Promise<Response | undefined> {
      const url = new URL(request.url);
      const endpoint = endpoints.get(url.pathname);
      // Preflights are answered by the provider without any work; they are not counted.
      if (endpoint === undefined || request.method === "OPTIONS") return undefined;
      const address = request.headers.get("cf-connecting-ip")?.trim() || "unknown";
      const clientId = await namedClientId(endpoint, request, url);
      const key = [endpoint, address, ...(clientId ? [clientId] : [])].join(" ");
      const retryAfter = await limiter.check(
        env,
        key,
        { endpoint, method: request.method },
        {
          actor: "client",
          ...(clientId && { clientId }),
          route: `${request.method} ${url.pathname}`,
          ...(address !== "unknown" && { ip: address.slice(0, 45) }),
        },
      );
      if (retryAfter === undefined) return undefined;
      return endpoint === "token" || endpoint === "register"
        ? oauthRefusal(request, retryAfter)
        : await pageRefusal(endpoint, request, url, retryAfter);
    },
  };
}

/** Client ids longer than this are cut in the key (a metadata-document URL can be long). */
const MAX_CLIENT_ID = 256;

/**
 * The client id the request itself names: `client_id` in the authorize query, in the token
 * request's form or its Basic credentials. The consent form and the callback carry none, and a
 * registration has none yet.
 */
export async function namedClientId(endpoint: Endpoint, request: Request, url: URL): Promise<string | undefined> {
  let clientId: string | null | undefined;
  if (endpoint === "authorize" && request.method === "GET") clientId = url.searchParams.get("client_id");
  if (endpoint === "token") clientId = basicAuthUser(request.headers.get("authorization")) ?? (await formClientId(request));
  return clientId ? clientId.slice(0, MAX_CLIENT_ID) : undefined;
}

/** `client_id` of a form body, read from a copy so the provider still gets the body. */
async function formClientId(request: Request): Promise<string | undefined> {
  if (mediaType(request.headers.get("content-type")) !== "application/x-www-form-urlencoded") return undefined;
  // Within the token endpoint's own bound: a larger body names no client (and is refused there).
  const read = await readFormBody(request.clone());
  return read.ok ? (read.form.get("client_id") ?? undefined) : undefined;
}

function oauthRefusal(request: Request, retryAfter: number): Response {
  return oauthError(request, 429, "temporarily_unavailable", `Too many requests from this address; try again in ${retryAfter} seconds`, {
    "retry-after": String(retryAfter),
  });
}

/** The same policy as the Hono app's pages: no scripts, nothing framed, nothing fetched. */
const PAGE_HEADERS = {
  "content-type": "text/html; charset=UTF-8",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

async function pageRefusal(endpoint: "authorize" | "callback", request: Request, url: URL, retryAfter: number): Promise<Response> {
  const wait = `Wait ${retryAfter} seconds`;
  const again = { href: `${url.pathname}${url.search}`, label: "Try again" };
  const props =
    endpoint === "callback"
      ? {
          message: "Too many sign-in requests came from your network in a short time, so this sign-in was not finished yet.",
          detail: `${wait}, then try again: your sign-in is still waiting here.`,
          action: again,
        }
      : request.method === "POST"
        ? {
            message: "Too many sign-in requests came from your network in a short time, so your choice was not processed.",
            detail: `${wait}, then go back and choose again, or start the sign-in again from your app.`,
          }
        : {
            message: "Too many sign-in requests came from your network in a short time, so this one was not processed.",
            detail: `${wait}, then try again, or start the sign-in again from your app.`,
            action: again,
          };
  const page = await MessagePage({ title: "Too many sign-in requests", ...props });
  return new Response(await page.toString(), { status: 429, headers: { ...PAGE_HEADERS, "retry-after": String(retryAfter) } });
}

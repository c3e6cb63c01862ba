import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { jsonNestingExceeds, MAX_JSON_DEPTH } from "../src/request-body";
import { admin } from "./helpers/admin";
import { allAuditText, waitForAudit } from "./helpers/audit";
import { Browser, hiddenField } from "./helpers/browser";
import { LEGACY_HEADERS, postMcp, readMessages } from "./helpers/mcp";
import { BASE, MCP_URL, mintToken, newIdentity } from "./helpers/oauth";
import { CLIENT_REDIRECT, openAuthorize, registerClient } from "./helpers/signin";

/**
 * Issue 21's bad inputs, one by one, through the real Worker: each gets its exact 4xx and a clear
 * error body, and changes nothing (no grant, no client, no consent used up, no audit event where
 * none belongs). test/fuzz.test.ts throws generated input at every route; this file pins what was
 * found. Events travel through the real AUDIT_QUEUE, so "nothing recorded" is checked against a
 * later request's event (a sentinel) rather than after a fixed wait.
 */

/** Generous limits: on a busy machine token minting and the audit queue take seconds, not milliseconds. */
const WAITS = { timeout: 60_000 };

/** A fresh client address, so a test finds exactly its own requests' events. */
let addresses = 0;
const newAddress = () => `203.0.113.${++addresses}`;

/** `depth` arrays inside each other: `[[[…]]]`. */
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
/** The finding's body: ~20 KB, nested 10 000 deep. */
const DEEP = nested(10_000);

/** Lines a response must never carry: stack frames, tokens, secrets. */
function expectNothingLeaked(text: string, secrets: string[] = []): void {
  expect(text).not.toMatch(/\bat .+:\d+:\d+/);
  expect(text).not.toMatch(/RangeError|TypeError|Maximum call stack/);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

describe("the JSON nesting scan", () => {
  it("counts objects and arrays outside strings, escapes included, up to the limit", () => {
    expect(MAX_JSON_DEPTH).toBe(64);
    expect(jsonNestingExceeds(nested(64))).toBe(false);
    expect(jsonNestingExceeds(nested(65))).toBe(true);
    expect(jsonNestingExceeds(`{"a":${nested(63)}}`)).toBe(false);
    expect(jsonNestingExceeds(`{"a":${nested(64)}}`)).toBe(true);
    // Brackets inside strings are text, also after an escaped quote or backslash.
    expect(jsonNestingExceeds(JSON.stringify({ s: "[".repeat(1000) }))).toBe(false);
    expect(jsonNestingExceeds(JSON.stringify({ s: `\\"${"{".repeat(1000)}` }))).toBe(false);
    expect(jsonNestingExceeds(`["\\\\",${nested(64)}]`)).toBe(true);
    // Siblings do not add up.
    expect(jsonNestingExceeds(`[${Array.from({ length: 100 }, () => nested(60)).join(",")}]`)).toBe(false);
  });
});

describe("deep JSON on /mcp", WAITS, () => {
  const positions: Array<[string, (deep: string) => string, Record<string, string>]> = [
    [
      "tool arguments",
      (deep) => `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"Get_Server_Info","arguments":{"x":${deep}}}}`,
      LEGACY_HEADERS,
    ],
    ["params", (deep) => `{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"x":${deep}}}`, LEGACY_HEADERS],
    ["_meta", (deep) => `{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/x":${deep}}}}`, {}],
    [
      "initialize",
      (deep) =>
        `{"jsonrpc":"2.0","id":4,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"x":${deep}},"clientInfo":{"name":"deep","version":"1"}}}`,
      {},
    ],
    ["the whole body", (deep) => deep, LEGACY_HEADERS],
  ];

  it("is refused with 400 and a JSON-RPC parse error naming the limit, in every position, recording nothing", async () => {
    const identity = newIdentity();
    const { accessToken } = await mintToken(identity, ["mcp:read"]);
    for (const [where, body, headers] of positions) {
      const text = body(DEEP);
      expect(text.length, where).toBeGreaterThanOrEqual(20_000);
      const res = await postMcp(accessToken, text, headers);
      const answer = await res.text();
      expect(res.status, where).toBe(400);
      // No `id`: the body was not read, so the request's id is unknown (the MCP schemas allow no null id).
      expect(JSON.parse(answer), where).toStrictEqual({
        jsonrpc: "2.0",
        error: {
          code: -32700,
          message: "Parse error: the JSON nests deeper than 64 levels of objects and arrays; send a flatter message",
        },
      });
      expectNothingLeaked(answer, [accessToken]);
    }
    // One level under the limit is read: the same request with arguments 60 deep reaches the SDK,
    // which answers it (no parse error).
    const shallow = await postMcp(accessToken, positions[0]?.[1](nested(60)) ?? "", LEGACY_HEADERS);
    expect(shallow.status).toBe(200);
    expect(JSON.stringify(await readMessages(shallow))).not.toContain("-32700");

    // The sentinel: a proper call of the same user is recorded; the refused one was not.
    const ok = await postMcp(
      accessToken,
      { jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "Get_Server_Info", arguments: {} } },
      LEGACY_HEADERS,
    );
    expect(ok.status).toBe(200);
    await ok.text();
    const events = await waitForAudit({ userKey: identity.userKey, kind: "mcp.tool_call" }, (found) => found.length >= 2);
    // Two calls got through the gateway (the shallow one and the sentinel); none of the deep ones.
    expect(events.map((e) => [e.details.tool, e.outcome])).toEqual([
      ["Get_Server_Info", "success"],
      ["Get_Server_Info", expect.any(String)],
    ]);
  });

  it("is refused at /oauth/register with 400 invalid_request, registering nothing", async () => {
    const address = newAddress();
    const name = `Deep client ${crypto.randomUUID()}`;
    for (const field of ["jwks", "contacts", "client_name", "redirect_uris"]) {
      const res = await exports.default.fetch(`${BASE}/oauth/register`, {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": address },
        body: `{"client_name":${JSON.stringify(name)},"redirect_uris":["${CLIENT_REDIRECT}"],"token_endpoint_auth_method":"none","${field}":${DEEP}}`,
      });
      expect(res.status, field).toBe(400);
      expect(await res.json(), field).toEqual({
        error: "invalid_request",
        error_description: "Invalid client registration: the JSON nests deeper than 64 levels of objects and arrays",
      });
    }
    // Recorded like any refused registration, and nothing registered.
    const events = await waitForAudit({ kind: "client" }, (found) => found.filter((e) => e.details.ip === address).length >= 4);
    expect(events.filter((e) => e.details.ip === address).map((e) => [e.kind, e.reason])).toEqual(
      Array.from({ length: 4 }, () => ["client.registration_rejected", "invalid_request"]),
    );
    const listed = (await (await admin("/admin/clients")).json()) as { clients: Array<{ name: string | null }> };
    expect(listed.clients.map((c) => c.name)).not.toContain(name);
  });

  it("is refused by the operator API with 400, creating no client", async () => {
    const name = `Deep operator client ${crypto.randomUUID()}`;
    const res = await admin("/admin/clients", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"name":${JSON.stringify(name)},"redirectUris":["https://example.org/cb"],"tenants":${DEEP}}`,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: "invalid_request",
      message: "Send JSON {name, redirectUris[], authMethod?, tenants[]?}: the JSON nests deeper than 64 levels of objects and arrays.",
    });
    const listed = (await (await admin("/admin/clients")).json()) as { clients: Array<{ name: string | null }> };
    expect(listed.clients.map((c) => c.name)).not.toContain(name);
  });
});

describe("POST /authorize with a body that is not the consent form", WAITS, () => {
  const BAD_BODIES: Array<[string, Record<string, string>, string, number, string]> = [
    ["text/plain", { "content-type": "text/plain" }, "handle=HANDLE&decision=approve", 415, "the body must be a form"],
    ["JSON", { "content-type": "application/json" }, '{"handle":"HANDLE","decision":"approve"}', 415, "the body must be a form"],
    ["no content type", {}, "handle=HANDLE&decision=approve", 415, "the body must be a form"],
    [
      "a broken multipart boundary",
      { "content-type": "multipart/form-data; boundary=zz" },
      '--yy\r\ncontent-disposition: form-data; name="handle"\r\n\r\nHANDLE\r\n--yy--',
      400,
      "the multipart form could not be read",
    ],
    [
      "multipart without a boundary",
      { "content-type": "multipart/form-data" },
      "handle=HANDLE",
      400,
      "the multipart form could not be read",
    ],
  ];

  it("is answered with a clear 4xx page, before sign-in, and the consent stays unused and unrecorded", async () => {
    const address = newAddress();
    const client = await registerClient({ client_name: "Bad body client" });
    const browser = new Browser();
    const { res } = await openAuthorize(client, { browser });
    expect(res.status).toBe(200);
    const handle = hiddenField(await res.text(), "handle");

    for (const [what, headers, template, status, reason] of BAD_BODIES) {
      const answer = await browser.fetch(`${BASE}/authorize`, {
        method: "POST",
        headers: { ...headers, "cf-connecting-ip": address },
        body: template.replaceAll("HANDLE", handle),
      });
      const page = await answer.text();
      expect(answer.status, what).toBe(status);
      expect(answer.headers.get("location"), what).toBeNull();
      expect(answer.headers.get("content-type"), what).toContain("text/html");
      expect(answer.headers.get("cache-control"), what).toBe("no-store");
      expect(page, what).toContain("This answer cannot be read");
      expect(page, what).toContain(reason);
      expect(page, what).toContain("Nothing was approved or changed");
      expectNothingLeaked(page, [handle]);
    }
    // An oversized form is refused as too large, unread.
    const huge = await browser.fetch(`${BASE}/authorize`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": address },
      body: `handle=${handle}&decision=approve&pad=${"x".repeat(70_000)}`,
    });
    expect(huge.status).toBe(413);
    expect(await huge.text()).toContain("must not exceed 65536 bytes");

    // The consent is still there: the real form with the same handle is taken (here: denied),
    // and that is the only authorization event from this address.
    const denied = await browser.fetch(`${BASE}/authorize`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": address },
      body: new URLSearchParams({ handle, decision: "deny" }),
    });
    expect(denied.status).toBe(302);
    expect(new URL(denied.headers.get("location") ?? "").searchParams.get("error")).toBe("access_denied");
    const events = await waitForAudit({ kind: "authorization" }, (found) => found.some((e) => e.details.ip === address));
    expect(events.filter((e) => e.details.ip === address).map((e) => e.kind)).toEqual(["authorization.denied"]);
  });
});

describe("the operator API with a user's access token", WAITS, () => {
  it("is 401 with the operator API's challenge, and reads nothing", async () => {
    const address = newAddress();
    const { accessToken } = await mintToken(newIdentity(), ["mcp:read", "mcp:write"]);
    const res = await exports.default.fetch(`${BASE}/admin/audit`, {
      headers: { authorization: `Bearer ${accessToken}`, "cf-connecting-ip": address },
    });
    const text = await res.text();
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="pandgate operator API", error="invalid_token"');
    expect(JSON.parse(text)).toEqual({
      error: "invalid_token",
      message:
        "That is not the operator secret. The operator API takes only OPERATOR_SECRET as a bearer token; a user's access token does not open it.",
    });
    expectNothingLeaked(text, [accessToken]);
    const events = await waitForAudit({ kind: "operator" }, (found) => found.some((e) => e.details.ip === address));
    expect(events.filter((e) => e.details.ip === address).map((e) => [e.kind, e.details.route])).toEqual([
      ["operator.unauthorized", "GET /admin/audit"],
    ]);
    expect(await allAuditText()).not.toContain(accessToken);
  });
});

describe("paths under /mcp/ that are not the endpoint", WAITS, () => {
  it("are 404 with the same body with and without a token; /mcp/ itself is the endpoint", async () => {
    const { accessToken } = await mintToken(newIdentity(), ["mcp:read"]);
    const expected = { error: "not_found", message: `Nothing here; the MCP endpoint is ${MCP_URL}` };
    for (const path of ["/mcp//", "/mcp/x", "/mcp//mcp", "/mcp/%2F", "/mcp/tools/list"]) {
      for (const token of [null, "not-a-token", accessToken]) {
        for (const method of ["POST", "GET"]) {
          const res = await exports.default.fetch(`${BASE}${path}`, {
            method,
            headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
            ...(method === "POST" && { body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' }),
          });
          const what = `${method} ${path} ${token === null ? "without a token" : "with a token"}`;
          expect(res.status, what).toBe(404);
          expect(res.headers.get("www-authenticate"), what).toBeNull();
          expect(await res.json(), what).toEqual(expected);
        }
      }
    }
    // A foreign page is still refused first, as on /mcp.
    const foreign = await exports.default.fetch(`${BASE}/mcp//`, { method: "POST", headers: { origin: "https://evil.example" } });
    expect(foreign.status).toBe(403);
    // `/mcp/` is the endpoint: without a token, the library's challenge.
    const slash = await exports.default.fetch(`${BASE}/mcp/`, { method: "POST" });
    expect(slash.status).toBe(401);
    expect(slash.headers.get("www-authenticate")).toContain("resource_metadata=");
  });
});

describe("the token endpoint", WAITS, () => {
  it("refuses an oversized form with 413 invalid_request, unread", async () => {
    const address = newAddress();
    const res = await exports.default.fetch(`${BASE}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": address },
      body: `grant_type=authorization_code&code=x&pad=${"x".repeat(70_000)}`,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: "invalid_request",
      error_description: "The token request cannot be read: the request body must not exceed 65536 bytes",
    });
    const events = await waitForAudit({ kind: "token" }, (found) => found.some((e) => e.details.ip === address));
    expect(events.filter((e) => e.details.ip === address).map((e) => [e.kind, e.outcome, e.reason])).toEqual([
      ["token.rejected", "error", "invalid_request"],
    ]);
  });

  it("answers non-form bodies and broken Basic credentials with 4xx", async () => {
    const cases: Array<[string, RequestInit, number]> = [
      ["JSON", { headers: { "content-type": "application/json" }, body: '{"grant_type":"authorization_code"}' }, 400],
      ["no content type", { body: "grant_type=authorization_code" }, 400],
      ["text/plain", { headers: { "content-type": "text/plain" }, body: "grant_type=authorization_code" }, 400],
      [
        "bad base64 in Basic",
        {
          headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic !!!not base64%%%" },
          body: "grant_type=authorization_code&code=x",
        },
        401,
      ],
      [
        "Basic with a bad percent-encoding",
        {
          headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa("%E0%A4%A:secret")}` },
          body: "grant_type=authorization_code&code=x",
        },
        401,
      ],
    ];
    for (const [what, init, status] of cases) {
      const res = await exports.default.fetch(`${BASE}/oauth/token`, { method: "POST", ...init });
      expect(res.status, what).toBe(status);
      expect(((await res.json()) as { error: string }).error, what).toMatch(/^invalid_(request|client)$/);
    }
  });
});

describe("nothing else reads what it cannot", WAITS, () => {
  it("answers malformed cookies, bad percent-encodings and odd methods with 4xx", async () => {
    const requests: Array<[string, string, RequestInit]> = [
      [
        "bad cookies at /authorize",
        "/authorize?response_type=code&client_id=x",
        { headers: { cookie: "%%%=%%%; __Host-x=%E0%A4%A; ;;=" } },
      ],
      ["bad cookies at the callback", "/oauth/callback?code=x&state=y", { headers: { cookie: "__Host-oauth=%ZZ; a" } }],
      ["a bad percent-encoding in the path", "/%E0%A4%A", {}],
      ["a bad percent-encoding in an operator path", "/admin/users/%E0%A4%A/grants", { headers: { authorization: "Bearer x" } }],
      ["a bad percent-encoding in the query", "/authorize?client_id=%E0%A4%A&redirect_uri=%", {}],
      ["a callback with a bad state", "/oauth/callback?state=%ZZ&code=%", {}],
      ["an odd method on the landing page", "/", { method: "PROPFIND" }],
      ["an odd method on /mcp", "/mcp", { method: "PATCH", body: "{}" }],
    ];
    for (const [what, path, init] of requests) {
      const res = await exports.default.fetch(`${BASE}${path}`, init);
      expect(res.status, what).toBeGreaterThanOrEqual(400);
      expect(res.status, what).toBeLessThan(500);
      expectNothingLeaked(await res.text());
    }
  });
});

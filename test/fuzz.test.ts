import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { strToU8, zipSync } from "fflate";
import { serializeSigned } from "hono/utils/cookie";
import { HttpResponse, http } from "msw";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Identity } from "../src/auth/identity";
import { downloadLinks } from "../src/files/links";
import { MAX_JSON_DEPTH } from "../src/request-body";
import { createUpload } from "../src/uploads/store";
import { hiddenField } from "./helpers/browser";
import { EntraMock } from "./helpers/entra";
import { connectClient } from "./helpers/mcp";
import { mockServer } from "./helpers/msw";
import { BASE, config, mintToken, newIdentity } from "./helpers/oauth";
import { CLIENT_REDIRECT, openAuthorize, registerClient } from "./helpers/signin";
import { buildBombXlsx, buildXlsx } from "./uploads/fixtures";

/**
 * Property-based fuzzing of the whole Worker (fast-check, through its real fetch entry): every
 * route, with every method, generated bodies (deep, broken and valid-looking JSON, random bytes,
 * forms, multipart with broken boundaries, oversized), headers (Authorization with garbage and
 * with valid user, operator and client credentials, Content-Type, Origin, Cookie,
 * MCP-Protocol-Version, Mcp-Session-Id, huge values) and paths (odd encodings, sub-paths,
 * unknown routes). The property: no answer is a 5xx (nor a thrown exception, which workerd would
 * turn into one), and no answer or log line carries a stack trace, a token or a secret.
 *
 * The spreadsheet routes are fuzzed with real capabilities as well as forged ones: upload links
 * (`/uploads/<id>/<secret>`) made for the writer before the run, each taking one file, with their
 * ids and secrets used whole, altered or made up, PUT and POSTed raw or as multipart with
 * CSV-looking text, zip-looking bytes (real workbooks, broken ones, a zip bomb) and noise, the
 * browser form behind a signed session cookie of the owner or of someone else; and download links
 * (`/files/<job>.<csv|xlsx>?o=&e=&s=`) signed for a finished job of the writer, for made-up jobs,
 * expired, with a parameter altered, repeated or missing. A link's secret and signature may come
 * back to the browser that holds the link, but must never reach a log line.
 *
 * The run is fixed (SEED, RUNS), so a failure reproduces: fast-check's message names the seed,
 * the shrunk counterexample and the path to replay it (`{ seed, path }` in fc.assert's options).
 */

const SEED = 21_0001;
/** Bounded so the file stays well under a minute on a busy 2-core machine. */
const RUNS = 500;

let userToken: string;
let writerToken: string;
let clientId: string;
let clientSecret: string;
/** A live consent (its handle and the browser's cookies), so some generated forms reach the consent code for real. */
let consentHandle: string;
let consentCookies: string;
/** Outbound requests no mock answered: there must be none (the tests talk to nothing outside). */
const unhandled: string[] = [];
/** A client metadata document the fuzz names as client_id (answered by MSW in its real format). */
const METADATA_CLIENT = "https://client.example.org/metadata.json";
/** Everything that must never appear in an answer or a log line. */
let secrets: string[];
const logged: string[] = [];
/** Upload secrets and download-link signatures: capabilities that must never reach a log line. */
const linkSecrets: string[] = [];
/** How often each route family answered each status: the run must reach deep code, not only refusals. */
const seen = new Map<string, number>();
/** Upload links of the writer (each takes one file) and of the reader, made before the run. */
const uploads: Array<{ id: string; secret: string }> = [];
const readerUploads: Array<{ id: string; secret: string }> = [];
/** Signed cookies of the upload form's session: the writer's (the links' owner) and the reader's. */
let uploadSession: string;
let otherUploadSession: string;
/** A finished job of the writer, with its result files in R2, and its download links' queries. */
let jobId: string;
let jobLinks: { csv: string; xlsx: string };
let expiredLinks: { csv: string; xlsx: string };
/** Workbooks that unpack past UPLOAD_MAX_UNPACKED_BYTES. */
const bombs: Uint8Array[] = [];
/** Upload links made for the writer: enough that files accepted early (each closes its link) leave many open. */
const UPLOAD_LINKS = 60;

/** A signed session cookie of the upload form (src/http/upload.tsx) for this identity, as its sign-in sets it. */
async function uploadSessionCookie(identity: Identity): Promise<string> {
  const session = { userKey: identity.userKey, tenantId: identity.tenantId, expires: Date.now() + 3_600_000 };
  const line = await serializeSigned("__Host-pandgate-upload-session", JSON.stringify(session), env.COOKIE_SECRET, {
    path: "/",
    secure: true,
  });
  return line.split(";")[0] as string;
}

/** The path and query of a link. */
const local = (href: string) => {
  const url = new URL(href);
  return `${url.pathname}${url.search}`;
};

beforeAll(async () => {
  const readerIdentity = newIdentity();
  const writerIdentity = newIdentity({ roles: ["Admin"] });
  const reader = await mintToken(readerIdentity, ["mcp:read"]);
  const writer = await mintToken(writerIdentity, ["mcp:read", "mcp:write", "offline_access"], { confidential: true });
  userToken = reader.accessToken;
  writerToken = writer.accessToken;
  const client = await registerClient({ client_name: "Fuzz client", token_endpoint_auth_method: "client_secret_basic" });
  clientId = client.client_id;
  clientSecret = client.client_secret ?? "";
  secrets = [
    userToken,
    writerToken,
    writer.refreshToken ?? "",
    writer.clientSecret ?? "",
    clientSecret,
    env.OPERATOR_SECRET,
    env.COOKIE_SECRET,
    env.IDP_CLIENT_SECRET,
  ].filter((s) => s.length > 0);
  const { res } = await openAuthorize(client, { scope: "mcp:read mcp:write" });
  consentHandle = hiddenField(await res.text(), "handle");
  consentCookies = res.headers
    .getSetCookie()
    .map((line) => line.split(";")[0])
    .join("; ");
  // Upload links: the writer's, and a few of the reader's (their owner is not who the session names).
  for (const [identity, into, count] of [
    [writerIdentity, uploads, UPLOAD_LINKS],
    [readerIdentity, readerUploads, 3],
  ] as const) {
    for (let i = 0; i < count; i++) {
      const created = await createUpload(env, config, identity);
      const [, id, secret] = /\/uploads\/([^/]+)\/([^/]+)$/.exec(created.uploadUrl) ?? [];
      into.push({ id: id as string, secret: secret as string });
      linkSecrets.push(secret as string);
    }
  }
  bombs.push(
    await buildBombXlsx(config.uploads.maxUnpackedBytes + 1024 * 1024),
    await buildBombXlsx(config.uploads.maxUnpackedBytes + 1024 * 1024, { declare: false }),
  );
  uploadSession = await uploadSessionCookie(writerIdentity);
  otherUploadSession = await uploadSessionCookie(readerIdentity);
  // A finished job of the writer (its addresses name none in this project's empty tables, so each
  // fails), whose workflow has written its result files.
  const mcp = await connectClient(writer.accessToken);
  const started = await mcp.callTool({
    name: "Assess_Portfolio",
    arguments: { addresses: [{ addressId: "0363200000000001" }, { addressId: "0363200000000002" }] },
  });
  jobId = (started.structuredContent as { jobId: string }).jobId;
  await vi.waitFor(
    async () => {
      const row = await env.DB.prepare("SELECT files_at FROM portfolio_jobs WHERE id = ?1")
        .bind(jobId)
        .first<{ files_at: string | null }>();
      if (!row?.files_at) throw new Error("the job's files are not written yet");
    },
    { timeout: 60_000, interval: 100 },
  );
  await mcp.close();
  jobLinks = await downloadLinks(config, writerIdentity.userKey, jobId);
  expiredLinks = await downloadLinks(config, writerIdentity.userKey, jobId, new Date(Date.now() - 7 * 24 * 3_600_000));
  for (const link of [jobLinks.csv, jobLinks.xlsx, expiredLinks.csv, expiredLinks.xlsx]) {
    linkSecrets.push(new URL(link).searchParams.get("s") as string);
  }
  mockServer.events.on("request:unhandled", ({ request }) => {
    unhandled.push(`${request.method} ${request.url}`);
  });
  // The Worker shares this isolate: its log lines pass through console here. They are checked
  // below rather than printed (hundreds of expected refusals); errors still reach the output.
  for (const level of ["log", "info", "warn", "error"] as const) {
    const original = console[level].bind(console);
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(" "));
      if (level === "error") original(...args);
    });
  }
}, 60_000);

afterAll(() => {
  vi.restoreAllMocks();
  mockServer.events.removeAllListeners();
});

/** Everything outside the Worker a generated request can make it call, in its real wire format. */
function installMocks(): void {
  new EntraMock().install();
  mockServer.use(
    http.get(METADATA_CLIENT, () =>
      HttpResponse.json({
        client_id: METADATA_CLIENT,
        client_name: "Fuzz metadata client",
        redirect_uris: [CLIENT_REDIRECT],
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code"],
        response_types: ["code"],
      }),
    ),
    // The delegated-token issuer's key set: empty, so no generated JWT verifies.
    http.get(env.EXTERNAL_TOKEN_JWKS_URL, () => HttpResponse.json({ keys: [] })),
  );
}

// ---------------------------------------------------------------------------------------------
// Paths

const ROUTES = [
  "/",
  "/health",
  "/mcp",
  "/mcp/",
  "/mcp//",
  "/mcp/x",
  "/authorize",
  "/oauth/callback",
  "/oauth/token",
  "/oauth/register",
  "/.well-known/oauth-authorization-server",
  "/.well-known/oauth-authorization-server/mcp",
  "/.well-known/oauth-protected-resource",
  "/.well-known/oauth-protected-resource/",
  "/.well-known/oauth-protected-resource/mcp",
  "/.well-known/oauth-protected-resource/mcp/",
  "/.well-known/openid-configuration",
  "/admin/clients",
  "/admin/clients/x",
  "/admin/users/entra.3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11.00000000-0000-0000-0000-000000000001/grants",
  "/admin/users/x/grants",
  "/admin/users/x/grants/y",
  "/admin/audit",
  "/uploads",
  "/uploads/x",
  "/uploads/00000000-0000-4000-8000-000000000000/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  "/files/x.csv",
  "/files/00000000-0000-4000-8000-000000000000.xlsx",
  "/files/",
  "/favicon.ico",
  "/robots.txt",
  "/nope",
];

/** Characters a path or query can carry as sent (percent-encodings, good and broken, included). */
const urlChunk = fc.oneof(
  fc.constantFrom("", "/", "//", "/x", "%", "%2", "%E0%A4%A", "%ZZ", "%00", "%2F", "%2e%2e", "/..", "/.", ";a=b", "%F0%9F%92%A9", "%C0%AF"),
  fc.string({ unit: fc.constantFrom(..."abcXYZ019-._~!$&'()*+,;=:@/%"), maxLength: 12 }),
);

/** A query for /authorize and the callback: sometimes with the registered client, sometimes garbage. */
const authorizeQuery = fc
  .record(
    {
      response_type: fc.constantFrom("code", "token", "", "%"),
      client_id: fc.oneof(fc.constant("CLIENT"), fc.constant("https://client.example.org/metadata.json"), fc.string({ maxLength: 20 })),
      redirect_uri: fc.constantFrom(CLIENT_REDIRECT, "https://evil.example/cb", "cursor://x/cb", "%", "javascript:alert(1)"),
      scope: fc.constantFrom("mcp:read", "mcp:read mcp:write offline_access", "", "admin"),
      state: fc.string({ maxLength: 10 }),
      code_challenge: fc.constantFrom("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "x", ""),
      code_challenge_method: fc.constantFrom("S256", "plain", "none"),
      resource: fc.constantFrom(`${BASE}/mcp`, "https://other.example/mcp", "%"),
      prompt: fc.constantFrom("consent", "none", "login"),
      code: fc.string({ maxLength: 10 }),
      error: fc.constantFrom("access_denied", "server_error", "temporarily_unavailable"),
    },
    { requiredKeys: [] },
  )
  .map((params) => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) query.set(key, value === "CLIENT" ? clientId : value);
    return `?${query}`;
  });

const pathArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ROUTES) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...ROUTES), urlChunk).map(([route, tail]) => `${route}${tail}`) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom("/authorize", "/oauth/callback"), authorizeQuery).map(([route, query]) => `${route}${query}`),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...ROUTES), urlChunk).map(([route, query]) => `${route}?${query}`) },
  { weight: 1, arbitrary: fc.webPath() },
  { weight: 1, arbitrary: fc.constant(`/${"a".repeat(8000)}`) },
);

// ---------------------------------------------------------------------------------------------
// Methods and headers

/**
 * Methods, standard and odd. workerd only takes the methods its HTTP layer knows (CONNECT and
 * TRACE are forbidden by fetch itself, `X-ODD` cannot be sent to a Worker at all), so the list
 * keeps what `new Request` accepts here: what a client can actually send.
 */
const METHODS = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
  "PROPFIND",
  "PURGE",
  "MKCOL",
  "QUERY",
  "REPORT",
  "post",
  "X-ODD",
].filter((method) => {
  try {
    new Request(BASE, { method });
    return true;
  } catch {
    return false;
  }
});
const methodArb = fc.constantFrom(...METHODS);

/** Printable ASCII, the characters a header value may carry. */
const headerText = (maxLength: number) => fc.string({ unit: "grapheme-ascii", maxLength });

const authorizationArb = fc.oneof(
  fc.constant(undefined),
  fc.constant("USER"),
  fc.constant("WRITER"),
  fc.constant("OPERATOR"),
  fc.constant("CLIENT_BASIC"),
  fc.constantFrom("Bearer", "Bearer ", "Bearer a b", "Bearer x:y:z", "Basic !!!not base64%%%", "Basic", "Negotiate abc", "bearer USER"),
  headerText(60).map((text) => `Bearer ${text}`),
  fc.string({ maxLength: 40 }).map((text) => `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(text)))}`),
  headerText(80),
);

const contentTypeArb = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=zz",
    'multipart/form-data; boundary="',
    "text/plain",
    "text/event-stream",
    "application/octet-stream",
    "application/jsonx",
    ";",
  ),
  headerText(40),
);

const originArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      BASE,
      "https://claude.ai",
      "https://evil.example",
      "null",
      "http://localhost:6274",
      "https://claude.ai.evil.example",
    ),
  },
  { weight: 1, arbitrary: headerText(30) },
);

const cookieArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "%%%=%%%; __Host-x=%E0%A4%A; ;;=",
      "CONSENT",
      "__Host-oauth-transaction=garbage",
      "__Host-oauth-consent=a.b.c; __Host-oauth-consent=d",
      "a",
      "=",
    ),
  },
  { weight: 1, arbitrary: headerText(200) },
);

const optionalHeader = (values: string[], maxLength = 40) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, fc.constantFrom(...values), headerText(maxLength));

const protocolArb = optionalHeader(["2025-11-25", "2026-07-28", "2025-06-18", "1999-01-01"]);
const acceptArb = optionalHeader(["application/json, text/event-stream", "text/html", "*/*"]);

/** The headers of a request; a scenario may weight who is calling and what it says it sends. */
type HeaderArb = fc.Arbitrary<string | undefined>;

function headersArb(
  overrides: { authorization?: HeaderArb; contentType?: HeaderArb; origin?: HeaderArb; accept?: HeaderArb; protocol?: HeaderArb } = {},
) {
  return fc.record({
    authorization: overrides.authorization ?? authorizationArb,
    "content-type": overrides.contentType ?? contentTypeArb,
    origin: overrides.origin ?? originArb,
    cookie: cookieArb,
    "mcp-protocol-version": overrides.protocol ?? protocolArb,
    "mcp-session-id": optionalHeader(["x", "00000000-0000-0000-0000-000000000000"]),
    "mcp-method": optionalHeader(["tools/call", "tools/list", "initialize"]),
    "mcp-name": optionalHeader(["Get_Server_Info", "Create_Assessment", "No_Such_Tool"]),
    accept: overrides.accept ?? acceptArb,
    "x-agent-id": optionalHeader(["agent-1"], 300),
    "x-huge": fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, fc.constant("h".repeat(16_000))),
  });
}

/** Mostly `want`, sometimes anything `other` generates. */
const mostly = <T>(want: fc.Arbitrary<T>, other: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: want }, { weight: 1, arbitrary: other });

// ---------------------------------------------------------------------------------------------
// Bodies

const nested = (depth: number, open: "[" | "{") =>
  open === "[" ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

/** A JSON-RPC message a client might send, with generated parts. */
const rpcMessage = fc.record(
  {
    jsonrpc: fc.constantFrom("2.0", "1.0"),
    id: fc.oneof({ weight: 4, arbitrary: fc.nat() }, fc.string({ maxLength: 8 }), fc.constant(null)),
    method: fc.constantFrom(
      "initialize",
      "notifications/initialized",
      "tools/list",
      "tools/call",
      "ping",
      "tasks/get",
      "tasks/list",
      "notifications/cancelled",
      "resources/list",
      "no/such",
    ),
    params: fc.oneof(
      fc.record({
        name: fc.constantFrom("Get_Server_Info", "Get_Audit_Log", "Create_Assessment", "No_Such_Tool"),
        arguments: fc.jsonValue({ maxDepth: 3 }),
      }),
      fc.record({
        protocolVersion: fc.constantFrom("2025-11-25", "2026-07-28", "x"),
        capabilities: fc.jsonValue({ maxDepth: 3 }),
        clientInfo: fc.record({ name: fc.string({ maxLength: 8 }), version: fc.string({ maxLength: 4 }) }),
      }),
      fc.record({ _meta: fc.jsonValue({ maxDepth: 3 }), requestId: fc.oneof(fc.integer(), fc.string({ maxLength: 4 })) }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  },
  { requiredKeys: ["jsonrpc", "method"] },
);

/** Deep JSON in the places the finding named: arguments, params, `_meta`, initialize, the top. */
const deepJson = fc
  .tuple(
    fc.integer({ min: MAX_JSON_DEPTH - 2, max: 12_000 }),
    fc.constantFrom<"[" | "{">("[", "{"),
    fc.constantFrom("arguments", "params", "_meta", "initialize", "top", "registration", "operator"),
  )
  .map(([depth, open, where]) => {
    const deep = nested(depth, open);
    switch (where) {
      case "arguments":
        return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"Get_Server_Info","arguments":{"x":${deep}}}}`;
      case "params":
        return `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":${deep}}}`;
      case "_meta":
        return `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":${deep}}}`;
      case "initialize":
        return `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":${deep},"clientInfo":{"name":"f","version":"1"}}}`;
      case "registration":
        return `{"client_name":"f","redirect_uris":["${CLIENT_REDIRECT}"],"jwks":${deep}}`;
      case "operator":
        return `{"name":"f","redirectUris":["https://example.org/cb"],"tenants":${deep}}`;
      default:
        return deep;
    }
  });

const formBody = fc
  .dictionary(
    fc.constantFrom(
      "grant_type",
      "code",
      "client_id",
      "client_secret",
      "refresh_token",
      "token",
      "handle",
      "decision",
      "scope",
      "remember",
      "redirect_uri",
      "code_verifier",
      "resource",
      "x",
    ),
    fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom("authorization_code", "refresh_token", "client_credentials", "approve", "deny", "yes", "CLIENT", "USER"),
    ),
    { maxKeys: 6 },
  )
  .map((fields) => {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(fields))
      form.set(key, ({ CLIENT: clientId, USER: userToken, HANDLE: consentHandle } as Record<string, string>)[value] ?? value);
    return form.toString();
  });

const bodyArb: fc.Arbitrary<string | Uint8Array | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: rpcMessage.map((message) => JSON.stringify(message)) },
  { weight: 3, arbitrary: deepJson },
  // Broken JSON: a message cut short, or with a byte changed.
  {
    weight: 2,
    arbitrary: fc.tuple(rpcMessage, fc.nat(), fc.constantFrom("", "{", "]", '"', "\\", "\u0000", "\ud800")).map(([message, at, junk]) => {
      const text = JSON.stringify(message);
      const cut = at % (text.length + 1);
      return `${text.slice(0, cut)}${junk}`;
    }),
  },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2048 }) },
  { weight: 2, arbitrary: formBody },
  {
    weight: 1,
    arbitrary: fc.string({ maxLength: 40 }).map((value) => `--zz\r\ncontent-disposition: form-data; name="handle"\r\n\r\n${value}\r\n--zz`),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  // Over the /mcp limit (the library's registration limit is 1 MiB; the form bound 64 KiB).
  {
    weight: 1,
    arbitrary: fc.constant(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${"x".repeat(config.maxRequestBytes)}"}}`),
  },
);

// ---------------------------------------------------------------------------------------------
// Spreadsheets in (/uploads/<id>/<secret>) and out (/files/<job>.<format>?o=&e=&s=)

const BOUNDARY = "fuzzBoundary7MA4YWxk";
const CSV_TYPE = "text/csv";
const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/** One character of a base64url text changed, so it looks right and is wrong. */
const altered = (text: string, at: number) => {
  const i = at % Math.max(1, text.length);
  const was = text[i] ?? "A";
  return `${text.slice(0, i)}${was === "A" ? "B" : "A"}${text.slice(i + 1)}`;
};

/** An upload link's path: a real link of the writer or reader, whole or altered, or made up. */
const uploadPathArb = fc
  .tuple(
    fc.nat(),
    fc.constantFrom("own", "own", "own", "fresh", "fresh", "reader", "alteredSecret", "alteredId", "swapped", "madeUp", "garbage", "tail"),
    fc.uuid(),
    fc.string({ unit: fc.constantFrom(..."ABCxyz019-_"), minLength: 43, maxLength: 43 }),
    urlChunk,
  )
  .map(([n, kind, uuid, secret, chunk]) => {
    // "own" keeps to the first few links, so files are also sent to links that already took one.
    const own = uploads[n % 6] ?? { id: uuid, secret };
    const fresh = uploads[6 + (n % Math.max(1, uploads.length - 6))] ?? own;
    const other = readerUploads[n % Math.max(1, readerUploads.length)] ?? own;
    const next = uploads[(n + 1) % uploads.length] ?? own;
    switch (kind) {
      case "fresh":
        return `/uploads/${fresh.id}/${fresh.secret}`;
      case "reader":
        return `/uploads/${other.id}/${other.secret}`;
      case "alteredSecret":
        return `/uploads/${own.id}/${altered(own.secret, n)}`;
      case "alteredId":
        return `/uploads/${own.id.toUpperCase()}/${own.secret}`;
      case "swapped":
        return `/uploads/${own.id}/${next.secret}`;
      case "madeUp":
        return `/uploads/${uuid}/${secret}`;
      case "garbage":
        return `/uploads/${chunk}/${chunk}`;
      case "tail":
        return `/uploads/${own.id}/${own.secret}${chunk}`;
      default:
        return `/uploads/${own.id}/${own.secret}`;
    }
  });

/** A CSV cell: addresses in their forms, Dutch header spellings, formulas, quotes, odd characters. */
const csvCell = fc.oneof(
  fc.constantFrom(
    "0363200000123456",
    "1012AB",
    "1012 ab",
    "12",
    "12a",
    "A",
    "2-hoog",
    "=1+1",
    "+31",
    "-2",
    "@SUM(A1)",
    '"a;b"',
    '"unclosed',
    "\uFEFF",
    "\u0000",
    "",
    "x".repeat(3000),
  ),
  fc.string({ maxLength: 16 }),
);
const csvHeader = fc.constantFrom(
  ["addressId"],
  ["postcode", "houseNumber"],
  ["Postcode", "Huisnummer", "Huisletter", "Toevoeging"],
  ["\uFEFFpostcode", "huisnr"],
  ["bag_id", "adres"],
  ["nothing", "useful"],
  [],
);
const csvBody = fc
  .tuple(
    csvHeader,
    fc.array(fc.array(csvCell, { maxLength: 5 }), { maxLength: 12 }),
    fc.constantFrom(";", ",", "\t", "|"),
    fc.constantFrom("\n", "\r\n", "\r"),
  )
  .map(([header, rows, delimiter, newline]) => strToU8([header, ...rows].map((row) => row.join(delimiter)).join(newline)));

/** Zip-looking bytes: real workbooks, a workbook with generated sheet XML, a zip bomb, a zip header and noise, a truncated zip. */
const zipBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .array(fc.array(fc.oneof(csvCell, fc.constant(null)), { maxLength: 4 }), { maxLength: 8 })
    .map((rows) => buildXlsx([["postcode", "huisnummer"], ...rows])),
  fc
    .record({
      sheet: fc.string({ maxLength: 200 }),
      shared: fc.string({ maxLength: 100 }),
      workbook: fc.constantFrom("<workbook/>", "<", ""),
    })
    .map(({ sheet, shared, workbook }) =>
      zipSync({
        "[Content_Types].xml": strToU8("<Types/>"),
        "xl/workbook.xml": strToU8(workbook),
        "xl/worksheets/sheet1.xml": strToU8(sheet),
        "xl/sharedStrings.xml": strToU8(shared),
      }),
    ),
  // Zip bombs (made before the run): sizes declared honestly, and left out.
  fc.nat().map((n) => bombs[n % Math.max(1, bombs.length)] ?? new Uint8Array(0)),
  fc.uint8Array({ maxLength: 1024 }).map((noise) => new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...noise])),
  fc.nat().map((cut) => {
    const whole = buildXlsx([["addressId"], ["0363200000123456"]]);
    return whole.slice(0, cut % whole.length);
  }),
);

/** A file as multipart form data (the upload form's field `file`, or another name), or a broken envelope. */
const multipartOf = (file: Uint8Array, field: string, type: string, broken: boolean) => {
  const head = strToU8(
    `--${BOUNDARY}\r\ncontent-disposition: form-data; name="${field}"; filename="portfolio"\r\ncontent-type: ${type}\r\n\r\n`,
  );
  const tail = strToU8(broken ? `\r\n--${BOUNDARY.slice(0, 5)}` : `\r\n--${BOUNDARY}--\r\n`);
  return new Uint8Array([...head, ...file, ...tail]);
};

/** A spreadsheet a person would send: every row names an address, by BAG id or by postcode and number. */
const goodCsv = fc
  .tuple(
    fc.boolean(),
    fc.array(fc.tuple(fc.integer({ min: 1000, max: 9999 }), fc.constantFrom("AB", "XZ"), fc.integer({ min: 1, max: 400 })), {
      minLength: 1,
      maxLength: 20,
    }),
  )
  .map(([byId, rows]) =>
    strToU8(
      byId
        ? [
            "addressId",
            ...rows.map(
              ([a, , b], i) =>
                `0363200000${String(a * 100 + b + i)
                  .padStart(6, "0")
                  .slice(-6)}`,
            ),
          ].join("\n")
        : ["postcode;huisnummer", ...rows.map(([digits, letters, number]) => `${digits}${letters};${number}`)].join("\r\n"),
    ),
  );

const uploadFileArb = fc.oneof(
  { weight: 3, arbitrary: goodCsv },
  { weight: 3, arbitrary: csvBody },
  { weight: 3, arbitrary: zipBody },
  fc.uint8Array({ maxLength: 2048 }),
);

/** The body of a PUT or POST to an upload link, with the content type it says it is. */
const uploadBodyArb = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(uploadFileArb, fc.constantFrom(CSV_TYPE, XLSX_TYPE, "application/octet-stream", undefined)) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(uploadFileArb, fc.constantFrom("file", "file", "other"), fc.constantFrom(CSV_TYPE, XLSX_TYPE), fc.boolean())
      .map(([file, field, type, broken]) => [multipartOf(file, field, type, broken), `multipart/form-data; boundary=${BOUNDARY}`] as const),
  },
  { weight: 1, arbitrary: fc.tuple(bodyArb, contentTypeArb) },
  // Over UPLOAD_MAX_BYTES, raw and as a form.
  {
    weight: 1,
    arbitrary: fc.constantFrom(CSV_TYPE, `multipart/form-data; boundary=${BOUNDARY}`).map((type) => {
      const big = new Uint8Array(config.uploads.maxBytes + 1).fill(0x31);
      return [type === CSV_TYPE ? big : multipartOf(big, "file", CSV_TYPE, false), type] as const;
    }),
  },
);

/** A download link's path and query: signed for the writer's job, expired, altered, or made up. */
const filesPathArb = fc
  .tuple(
    fc.constantFrom("csv", "xlsx"),
    fc.constantFrom(
      "valid",
      "valid",
      "expired",
      "otherFormat",
      "alteredSignature",
      "alteredOwner",
      "alteredExpiry",
      "repeated",
      "missing",
      "extra",
      "madeUp",
      "garbage",
    ),
    fc.nat(),
    fc.oneof(fc.uuid(), fc.string({ unit: fc.constantFrom(..."abcXYZ019-_./%"), maxLength: 70 })),
    fc.constantFrom("csv", "xlsx", "CSV", "pdf", "", "csv.xlsx"),
    fc.webQueryParameters(),
  )
  .map(([format, kind, n, madeUpJob, madeUpFormat, query]) => {
    const link = new URL(format === "csv" ? jobLinks.csv : jobLinks.xlsx);
    const params = link.searchParams;
    switch (kind) {
      case "expired":
        return local(format === "csv" ? expiredLinks.csv : expiredLinks.xlsx);
      case "otherFormat":
        // The csv link's signature on the xlsx name.
        return local(jobLinks.csv).replace(".csv?", ".xlsx?");
      case "alteredSignature":
        params.set("s", altered(params.get("s") ?? "", n));
        break;
      case "alteredOwner":
        params.set("o", altered(params.get("o") ?? "", n));
        break;
      case "alteredExpiry":
        params.set("e", String(Number(params.get("e")) + 1 + (n % 1000)));
        break;
      case "repeated":
        params.append(["o", "e", "s"][n % 3] as string, "x");
        break;
      case "missing":
        params.delete(["o", "e", "s"][n % 3] as string);
        break;
      case "extra":
        params.set("download", "1");
        break;
      case "madeUp":
        return `/files/${madeUpJob}.${madeUpFormat}?${params}`;
      case "garbage":
        return `/files/${madeUpJob}.${madeUpFormat}?${query}`;
      default:
        return local(format === "csv" ? jobLinks.csv : jobLinks.xlsx);
    }
    return `${link.pathname}?${params}`;
  });

interface Attempt {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  body: string | Uint8Array | undefined;
  ip: string;
}

function credential(value: string | undefined): string | undefined {
  switch (value) {
    case "USER":
      return `Bearer ${userToken}`;
    case "WRITER":
      return `Bearer ${writerToken}`;
    case "OPERATOR":
      return `Bearer ${env.OPERATOR_SECRET}`;
    case "CLIENT_BASIC":
      return `Basic ${btoa(`${clientId}:${clientSecret}`)}`;
    case "bearer USER":
      return `bearer ${userToken}`;
    default:
      return value;
  }
}

/** The request as the Worker gets it (what a client cannot even send is not the Worker's to answer). */
function requestOf(attempt: Attempt): Request {
  const headers = new Headers({ "cf-connecting-ip": attempt.ip });
  for (const [name, value] of Object.entries(attempt.headers)) {
    const cookies: Record<string, string> = {
      CONSENT: consentCookies,
      UPLOAD_SESSION: uploadSession,
      UPLOAD_SESSION_OTHER: otherUploadSession,
    };
    const sent =
      name === "authorization" ? credential(value) : name === "cookie" && value !== undefined ? (cookies[value] ?? value) : value;
    if (sent !== undefined) headers.set(name, sent);
  }
  const bodyless = ["GET", "HEAD"].includes(attempt.method.toUpperCase());
  return new Request(`${BASE}${attempt.path}`, {
    method: attempt.method,
    headers,
    ...(!bodyless && attempt.body !== undefined && { body: attempt.body }),
    redirect: "manual",
  });
}

/**
 * One generated request. Fully random requests mostly meet the first refusal (404, 401, 405), so
 * most runs come from scenarios that look like a client of one surface and go wrong in one or
 * more places: the MCP endpoint with a valid user token, the OAuth endpoints with forms and
 * client credentials, the operator API with its secret. The rest is anything at all.
 */
const attemptArb: fc.Arbitrary<Attempt> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      method: mostly(fc.constant("POST"), methodArb),
      path: mostly(fc.constant("/mcp"), fc.constantFrom("/mcp/", "/mcp//", "/mcp/x", "/mcp?x=%")),
      headers: headersArb({
        authorization: mostly(fc.constantFrom("USER", "WRITER"), authorizationArb),
        contentType: mostly(fc.constant("application/json"), contentTypeArb),
        origin: mostly(fc.constantFrom(undefined, "https://claude.ai"), originArb),
        accept: mostly(fc.constant("application/json, text/event-stream"), acceptArb),
        protocol: mostly(fc.constantFrom("2025-11-25", undefined), protocolArb),
      }),
      body: mostly(
        fc.oneof(
          rpcMessage.map((message) => JSON.stringify({ ...message, jsonrpc: "2.0" })),
          deepJson,
        ),
        bodyArb,
      ),
      ip: fc.ipV4(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      method: mostly(fc.constant("POST"), methodArb),
      path: fc.oneof(
        fc.constantFrom("/oauth/token", "/oauth/register", "/authorize"),
        fc.tuple(fc.constantFrom("/authorize", "/oauth/callback"), authorizeQuery).map(([route, query]) => `${route}${query}`),
      ),
      headers: headersArb({
        authorization: fc.oneof(fc.constant(undefined), fc.constant("CLIENT_BASIC"), authorizationArb),
        contentType: mostly(fc.constantFrom("application/x-www-form-urlencoded", "application/json"), contentTypeArb),
      }),
      body: mostly(fc.oneof(formBody, deepJson), bodyArb),
      ip: fc.ipV4(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      method: fc.constantFrom("GET", "POST", "DELETE", "PUT"),
      path: fc.oneof(
        fc.constantFrom(...ROUTES.filter((route) => route.startsWith("/admin"))),
        fc.tuple(fc.constantFrom("/admin/audit?", "/admin/users/"), urlChunk).map(([route, tail]) => `${route}${tail}`),
        fc.webQueryParameters().map((query) => `/admin/audit?${query}`),
      ),
      headers: headersArb({
        authorization: mostly(fc.constant("OPERATOR"), authorizationArb),
        contentType: mostly(fc.constant("application/json"), contentTypeArb),
      }),
      body: bodyArb,
      ip: fc.ipV4(),
    }),
  },
  // Spreadsheets in: PUT by a client, GET and POST of the browser form with or without the owner's session.
  {
    weight: 3,
    arbitrary: fc
      .record({
        method: fc.oneof({ weight: 8, arbitrary: fc.constantFrom("PUT", "PUT", "POST", "GET") }, methodArb),
        path: uploadPathArb,
        headers: headersArb({ authorization: fc.oneof(fc.constant(undefined), authorizationArb), accept: acceptArb }),
        cookie: fc.constantFrom(
          "UPLOAD_SESSION",
          "UPLOAD_SESSION",
          "UPLOAD_SESSION_OTHER",
          undefined,
          "__Host-pandgate-upload-session=x.y",
        ),
        upload: uploadBodyArb,
        ip: fc.ipV4(),
      })
      .map(({ method, path, headers, cookie, upload: [body, contentType], ip }) => ({
        method,
        path,
        headers: { ...headers, cookie, "content-type": contentType ?? headers["content-type"] },
        body,
        ip,
      })),
  },
  // Spreadsheets out: the download links, GET mostly.
  {
    weight: 2,
    arbitrary: fc.record({
      method: mostly(fc.constant("GET"), methodArb),
      path: filesPathArb,
      headers: headersArb(),
      body: bodyArb,
      ip: fc.ipV4(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ method: methodArb, path: pathArb, headers: headersArb(), body: bodyArb, ip: fc.ipV4() }) },
);

/** Stack frames as V8 prints them, and error names that mean an exception leaked. */
const LEAK = /\n\s+at |\bat \S+ \(.*:\d+:\d+\)|RangeError|Maximum call stack/;

describe("fuzzing every route", () => {
  it(`answers ${RUNS} generated requests without a 5xx, a stack trace or a secret`, { timeout: 240_000 }, async () => {
    installMocks();
    await fc.assert(
      fc.asyncProperty(attemptArb, async (attempt) => {
        const request = requestOf(attempt);
        const before = logged.length;
        const res = await exports.default.fetch(request);
        const text = new TextDecoder().decode(await res.arrayBuffer());
        const family = `${/^\/(\.well-known|[^/?;%]*)/.exec(attempt.path)?.[1]?.slice(0, 16) ?? ""} ${res.status}`;
        seen.set(family, (seen.get(family) ?? 0) + 1);
        const what = `${attempt.method} ${attempt.path.slice(0, 200)} → ${res.status} ${text.slice(0, 300)}`;
        if (res.status >= 500) throw new Error(`5xx: ${what}`);
        if (LEAK.test(text)) throw new Error(`stack trace in the answer: ${what}`);
        for (const secret of secrets) {
          if (text.includes(secret) || [...res.headers.values()].some((v) => v.includes(secret))) {
            throw new Error(`a token or secret in the answer: ${what}`);
          }
        }
        for (const line of logged.slice(before)) {
          if (/"level":"error"/.test(line)) throw new Error(`an error was logged: ${line.slice(0, 300)} for ${what}`);
          if (LEAK.test(line)) throw new Error(`stack trace in the logs: ${line.slice(0, 300)}`);
          for (const secret of secrets) if (line.includes(secret)) throw new Error(`a token or secret in the logs for ${what}`);
          for (const secret of linkSecrets)
            if (line.includes(secret)) throw new Error(`a link's secret or signature in the logs for ${what}`);
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: false, verbose: 1 },
    );
    expect(unhandled).toEqual([]);
    // The run reached past the first refusals: MCP answers from the agent, JSON-RPC refusals,
    // challenges, the operator API behind its secret, the OAuth endpoints' own refusals.
    const statuses = (family: string) =>
      [...seen].filter(([key]) => key.startsWith(`${family} `)).map(([key]) => Number(key.split(" ")[1]));
    expect(statuses("mcp"), JSON.stringify([...seen])).toEqual(expect.arrayContaining([200, 400, 401, 404, 405, 415]));
    expect(statuses("admin"), JSON.stringify([...seen])).toEqual(expect.arrayContaining([200, 400, 401]));
    expect(statuses("authorize"), JSON.stringify([...seen])).toEqual(expect.arrayContaining([400, 415]));
    expect(statuses("oauth"), JSON.stringify([...seen])).toEqual(expect.arrayContaining([400, 401]));
    // The spreadsheet routes: files accepted and refused through real links, the form and its
    // sign-in, downloads served, refused as altered and as expired.
    expect(statuses("uploads"), JSON.stringify([...seen])).toEqual(expect.arrayContaining([200, 302, 403, 404, 409, 413, 422]));
    expect(statuses("files"), JSON.stringify([...seen])).toEqual(expect.arrayContaining([200, 403, 410]));
    // The property saw the Worker's log lines (the spy works), so "nothing logged" above means something.
    expect(logged.some((line) => line.includes('"event":"oauth_error"') || line.includes('"event":"mcp_request"'))).toBe(true);
  });
});

import type { Context, Hono } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import { recordAudit } from "../audit/record";
import { authorizeUrl, discover, SignInError } from "../auth/oidc-client";
import { refuseForeignTenant, signInRefusal, upstreamIdentity } from "../auth/upstream-sign-in";
import type { Config } from "../config";
import { base64url, sha256Base64Url } from "../encoding";
import { log } from "../log";
import { mediaType } from "../request-body";
import { ERRORS_SHOWN, openLink, type Receipt, readBounded, receiveFile, UPLOAD_COLUMNS, type UploadRow } from "../uploads/store";
import { SERVER_NAME } from "../version";
import { Page } from "./layout";
import { MessagePage } from "./pages";

/**
 * The upload link (`/uploads/<id>/<secret>`, from Create_Portfolio_Upload):
 * - `PUT` a CSV or .xlsx file (raw, or as multipart form data): answered in JSON, for a client.
 * - `GET` in a browser: a small form, behind sign-in. A browser without a session is sent to the
 *   identity provider (the same OIDC client and callback as the MCP sign-in, its `state` marked
 *   `upload.`), comes back with a signed session cookie naming the user, and only the upload's
 *   owner gets the form.
 * - `POST` from that form (multipart, field `file`), by the signed-in owner: answered with a page.
 * Every refusal is a 4xx with a sentence saying what to do; nothing of a refused file is kept.
 */

type AppContext = Context<{ Bindings: Env }>;

const SESSION_COOKIE = "pandgate-upload-session";
const SIGNIN_COOKIE = "pandgate-upload-signin";
const SESSION_SECONDS = 30 * 60;
const SIGNIN_SECONDS = 10 * 60;
/** The `state` of an upload sign-in starts with this, so the shared callback can tell it from an MCP client's sign-in. */
export const UPLOAD_STATE_PREFIX = "upload.";
const LINK_PATH = /^\/uploads\/[0-9a-f-]{36}\/[A-Za-z0-9_-]{43}$/;
/** Room for the multipart envelope around the file. */
const MULTIPART_OVERHEAD = 64 * 1024;

interface Session {
  userKey: string;
  tenantId: string;
  expires: number;
}

interface SignInLeg {
  state: string;
  nonce: string;
  verifier: string;
  back: string;
}

function random(bytes: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

const cookieOptions = (maxAge: number) => ({ prefix: "host", path: "/", httpOnly: true, secure: true, sameSite: "Lax", maxAge }) as const;

async function readCookie<T>(c: AppContext, secret: string, name: string): Promise<T | undefined> {
  const value = await getSignedCookie(c, secret, name, "host");
  if (typeof value !== "string") return undefined;
  try {
    return JSON.parse(value) as T;
  } catch {
    return undefined;
  }
}

export function mountUploads(app: Hono<{ Bindings: Env }>, config: Config): void {
  const upstream = config.upstream;
  const secret = config.cookieSecret ?? "";
  const maxBytes = config.uploads.maxBytes;
  const tooLarge = `The file is larger than ${(maxBytes / (1024 * 1024)).toFixed(0)} MiB, the most one upload takes; nothing was kept. Split it, or save only the address columns as CSV.`;

  const page = (c: AppContext, status: 200 | 400 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 502 | 503, title: string, message: string) =>
    c.html(<MessagePage title={title} message={message} />, status, { "cache-control": "no-store" });

  function refusedAudit(c: AppContext, row: UploadRow | undefined, reason: string, bytes?: number) {
    recordAudit(c.env, {
      kind: "portfolio.upload_refused",
      outcome: reason === "other_user" ? "denied" : "error",
      actor: "user",
      reason,
      ...(row && { userKey: row.owner_key, tenantId: row.tenant_id }),
      details: { ...(row && { uploadId: row.id }), ...(bytes !== undefined && { bytes }) },
    });
  }

  /** The file of a request: the raw body, or the first file of a multipart form. Null when over the limit. */
  async function fileOf(request: Request): Promise<{ bytes: Uint8Array } | { tooLarge: true } | { problem: string }> {
    const multipart = mediaType(request.headers.get("content-type")) === "multipart/form-data";
    const body = await readBounded(request, multipart ? maxBytes + MULTIPART_OVERHEAD : maxBytes);
    if (body === null) return { tooLarge: true };
    if (!multipart) return { bytes: body };
    let form: FormData;
    try {
      form = await new Response(body, { headers: { "content-type": request.headers.get("content-type") ?? "" } }).formData();
    } catch {
      return { problem: "The form data could not be read. Choose the file again and send it." };
    }
    const file = [form.get("file"), ...form.values()].find((v): v is File => typeof v === "object" && v !== null && "arrayBuffer" in v);
    if (!file) return { problem: "No file was chosen. Choose a CSV or .xlsx file and send it." };
    if (file.size > maxBytes) return { tooLarge: true };
    return { bytes: new Uint8Array(await file.arrayBuffer()) };
  }

  async function session(c: AppContext): Promise<Session | undefined> {
    if (!secret) return undefined;
    const s = await readCookie<Session>(c, secret, SESSION_COOKIE);
    return s && typeof s.userKey === "string" && typeof s.expires === "number" && s.expires > Date.now() ? s : undefined;
  }

  /** Sends the browser to the identity provider, to come back to `back`. */
  async function startSignIn(c: AppContext, back: string): Promise<Response> {
    if (!upstream || !secret) {
      return page(
        c,
        503,
        "Sign-in is not configured",
        "This server has no identity provider configured, so the upload form cannot be used. Send the file with an HTTP PUT to this link instead.",
      );
    }
    try {
      const doc = await discover(upstream);
      const leg: SignInLeg = { state: `${UPLOAD_STATE_PREFIX}${random(24)}`, nonce: random(24), verifier: random(48), back };
      await setSignedCookie(c, SIGNIN_COOKIE, JSON.stringify(leg), secret, cookieOptions(SIGNIN_SECONDS));
      const location = authorizeUrl(doc, upstream, {
        state: leg.state,
        nonce: leg.nonce,
        codeChallenge: await sha256Base64Url(leg.verifier),
      });
      c.header("cache-control", "no-store");
      return c.redirect(location, 302);
    } catch (error) {
      if (error instanceof SignInError) return page(c, 502, "Sign-in is unavailable", error.message);
      throw error;
    }
  }

  // The link's secret is in its path: no answer under it (the form, the receipt, a refusal, the
  // redirect to sign in, a 405 or a 500) lets the browser send that path on as a referrer, to the
  // identity provider or anywhere a page links to. Set after the route, on whatever it answered.
  // (secureHeaders in ./app.tsx sends the same by default; this keeps it here whatever that says.)
  app.use("/uploads/*", async (c, next) => {
    await next();
    c.header("referrer-policy", "no-referrer");
  });

  // The identity provider sends every sign-in back to /oauth/callback; an upload sign-in is told
  // by its state and finished here, any other goes on to the MCP sign-in (./signin.tsx).
  app.get("/oauth/callback", async (c, next) => {
    const state = c.req.query("state") ?? "";
    if (!state.startsWith(UPLOAD_STATE_PREFIX) || !upstream || !secret) return next();
    // Its answers lead back to the upload link (the redirect's Location is the link's path).
    c.header("referrer-policy", "no-referrer");
    const leg = await readCookie<SignInLeg>(c, secret, SIGNIN_COOKIE);
    deleteCookie(c, SIGNIN_COOKIE, { path: "/", secure: true, prefix: "host" });
    if (!leg || leg.state !== state || !LINK_PATH.test(leg.back)) {
      return page(
        c,
        400,
        "This sign-in link cannot be used",
        "It has expired, was already used, or was opened in another browser than the one that started it. Open the upload link again.",
      );
    }
    const code = c.req.query("code");
    if (!code) {
      log("warn", "upload_signin_upstream_error", { error: c.req.query("error")?.slice(0, 64) ?? "missing_code" });
      return page(c, 403, "Sign-in did not complete", "The identity provider did not sign you in. Open the upload link again to retry.");
    }
    try {
      const { identity } = await upstreamIdentity(upstream, code, leg);
      refuseForeignTenant(upstream, identity);
      const s: Session = { userKey: identity.userKey, tenantId: identity.tenantId, expires: Date.now() + SESSION_SECONDS * 1000 };
      await setSignedCookie(c, SESSION_COOKIE, JSON.stringify(s), secret, cookieOptions(SESSION_SECONDS));
      c.header("cache-control", "no-store");
      return c.redirect(leg.back, 302);
    } catch (error) {
      const refusal = signInRefusal(error);
      if (!refusal) throw error;
      log("warn", "upload_signin_refused", { reason: refusal.reason });
      return page(c, refusal.status, "Sign-in refused", refusal.message);
    }
  });

  app.put("/uploads/:id/:secret", async (c) => {
    const opened = await openLink(c.env.DB, c.req.param("id"), c.req.param("secret"));
    if ("status" in opened) {
      refusedAudit(c, undefined, opened.reason);
      return c.json({ error: opened.reason, message: opened.message }, opened.status);
    }
    const file = await fileOf(c.req.raw);
    if ("tooLarge" in file) {
      refusedAudit(c, opened.row, "too_large");
      return c.json({ error: "too_large", message: tooLarge }, 413);
    }
    if ("problem" in file) return c.json({ error: "no_file", message: file.problem }, 400);
    const receipt = await receiveFile(c.env, config, opened.row, file.bytes);
    return c.json(receipt.body, receipt.status, { "cache-control": "no-store" });
  });

  app.get("/uploads/:id/:secret", async (c) => {
    const opened = await openLink(c.env.DB, c.req.param("id"), c.req.param("secret"));
    if ("status" in opened) return page(c, opened.status, "This upload link cannot be used", opened.message);
    const who = await session(c);
    if (!who) return startSignIn(c, new URL(c.req.url).pathname);
    if (who.userKey !== opened.row.owner_key) {
      refusedAudit(c, opened.row, "other_user");
      return page(
        c,
        403,
        "This upload link is someone else's",
        "It was made for another user. Ask your own assistant for an upload link (Create_Portfolio_Upload).",
      );
    }
    return c.html(<UploadForm row={opened.row} maxBytes={maxBytes} maxRows={config.uploads.maxRows} />, 200, {
      "cache-control": "no-store",
    });
  });

  app.post("/uploads/:id/:secret", async (c) => {
    const opened = await openLink(c.env.DB, c.req.param("id"), c.req.param("secret"));
    if ("status" in opened) return page(c, opened.status, "This upload link cannot be used", opened.message);
    const who = await session(c);
    if (!who || who.userKey !== opened.row.owner_key) {
      refusedAudit(c, opened.row, "other_user");
      return page(
        c,
        403,
        "Sign in as the link's owner first",
        "Open the upload link again: you will be asked to sign in, and only the user the link was made for can send a file with this form.",
      );
    }
    const file = await fileOf(c.req.raw);
    if ("tooLarge" in file) {
      refusedAudit(c, opened.row, "too_large");
      return page(c, 413, "The file is too large", tooLarge);
    }
    if ("problem" in file) return page(c, 400, "No file was received", file.problem);
    const receipt = await receiveFile(c.env, config, opened.row, file.bytes);
    return c.html(<ReceiptPage receipt={receipt} again={new URL(c.req.url).pathname} />, receipt.status, { "cache-control": "no-store" });
  });

  app.on(["DELETE", "PATCH"], "/uploads/:id/:secret", (c) =>
    c.json({ error: "method_not_allowed", message: "An upload link takes PUT (a file), or GET and POST in a browser." }, 405, {
      allow: "GET, PUT, POST",
    }),
  );
}

function UploadForm(props: { row: UploadRow; maxBytes: number; maxRows: number }) {
  const expires = new Date(props.row.expires_at).toISOString().slice(0, 16).replace("T", " ");
  return (
    <Page title={`Upload a portfolio · ${SERVER_NAME}`}>
      <h1>Upload a portfolio spreadsheet</h1>
      <p>
        Choose a CSV or Excel (.xlsx) file of up to {props.maxRows.toLocaleString("en-GB")} addresses and{" "}
        {Math.floor(props.maxBytes / (1024 * 1024))} MiB. This link takes one file and works until {expires} UTC.
      </p>
      {(props.row.error_count ?? 0) > 0 ? (
        <p class="notice">The last file sent had {props.row.error_count} rows that could not be read; send the corrected file.</p>
      ) : null}
      <form method="post" enctype="multipart/form-data">
        <label class="field" for="file">
          Spreadsheet (CSV or .xlsx)
        </label>
        <input
          id="file"
          name="file"
          type="file"
          required
          accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          aria-describedby="columns"
        />
        <div class="actions">
          <button class="button button-primary" type="submit">
            Upload
          </button>
        </div>
      </form>
      <h2 id="columns">Columns</h2>
      <p>The first row names the columns. Give addressId, or postcode and houseNumber; other columns are ignored.</p>
      <table class="stack">
        <thead>
          <tr>
            <th scope="col">Column</th>
            <th scope="col">What it holds</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(UPLOAD_COLUMNS).map(([name, what]) => (
            <tr>
              <th scope="row">{name}</th>
              <td data-label="What it holds">{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Page>
  );
}

function ReceiptPage(props: { receipt: Receipt; again: string }) {
  const b = props.receipt.body;
  return (
    <Page title={`${b.accepted ? "File received" : "File not accepted"} · ${SERVER_NAME}`}>
      <h1>{b.accepted ? "File received" : "The file was not accepted"}</h1>
      <p class={b.accepted ? undefined : "notice"} role="status">
        {b.message}
      </p>
      {b.errors && b.errors.length > 0 ? (
        <table class="stack">
          <caption>
            Rows that cannot be read{(b.errorCount ?? 0) > b.errors.length ? ` (the first ${ERRORS_SHOWN} of ${b.errorCount})` : ""}
          </caption>
          <thead>
            <tr>
              <th scope="col">Row</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {b.errors.map((e) => (
              <tr>
                <th scope="row">{e.row}</th>
                <td data-label="Why">{e.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {b.duplicates && b.duplicates.length > 0 ? (
        <details>
          <summary>Rows naming an address an earlier row named ({b.duplicateCount}), assessed once</summary>
          <ul>
            {b.duplicates.map((d) => (
              <li>
                row {d.row}: same address as row {d.sameAs}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {b.accepted ? null : (
        <p>
          <a href={props.again}>Send a corrected file</a>
        </p>
      )}
    </Page>
  );
}

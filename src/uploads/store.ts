import type { AuditInput } from "../audit/events";
import { recordAudit } from "../audit/record";
import type { Config } from "../config";
import { base64url, sha256Base64Url } from "../encoding";
import { UserError } from "../errors";
import type { UPLOAD_FIELDS, UploadInput } from "./columns";
import { type ParsedUpload, parseUpload, type RowError, UploadRefused } from "./parse";

/**
 * Portfolio uploads: the link Create_Portfolio_Upload hands out, the file it takes, and the
 * addresses a portfolio job takes from it once (`takeUpload`).
 *
 * - D1 `portfolio_uploads` (migrations/0012) keeps each upload's owner, tenant, the SHA-256 of
 *   its link's secret, expiry, state and what the last file came to (counts, row errors).
 * - The addresses of an accepted file are one JSON object in R2 (`FILES`, `uploads/<id>/<n>.json`):
 *   50 000 addresses are about 3 MB, one read.
 * - A file refused as a whole (too large, not a spreadsheet, no address columns) or with row
 *   errors leaves the upload open for a corrected file until it expires; a file without row errors
 *   closes it (`received`); a job that takes it makes it `used`.
 */

export type UploadState = "waiting" | "received" | "used";

export interface UploadRow {
  id: string;
  owner_key: string;
  tenant_id: string;
  secret_hash: string;
  created_at: number;
  expires_at: number;
  state: UploadState;
  kind: "csv" | "xlsx" | null;
  bytes: number | null;
  good_rows: number | null;
  error_count: number | null;
  row_errors: string | null;
  duplicate_count: number | null;
  duplicates: string | null;
  empty_rows: number | null;
  columns: string | null;
  ignored_columns: string | null;
  object_key: string | null;
  received_at: number | null;
  used_at: number | null;
}

/** The columns a file may have, as the tool and the upload page name them. */
export const UPLOAD_COLUMNS = {
  addressId: "the 16-digit BAG address (nummeraanduiding) id; also read under nummeraanduiding, bag id, adres id",
  postcode: "postcode, e.g. 3817 AC (also pc); with houseNumber, when there is no addressId",
  houseNumber: "house number, e.g. 12, 12A or 12-2 (also huisnummer, huisnr, nr)",
  letter: "house letter, optional (also huisletter)",
  addition: "house number addition, optional (also toevoeging, huisnummertoevoeging)",
} as const satisfies Record<(typeof UPLOAD_FIELDS)[number], string>;

/** Where the link lives: `PUBLIC_URL/uploads/<id>/<secret>`. */
export function uploadPath(id: string, secret: string): string {
  return `/uploads/${id}/${secret}`;
}

export interface CreatedUpload {
  uploadId: string;
  uploadUrl: string;
  expiresAt: string;
  maxRows: number;
  maxBytes: number;
}

interface Owner {
  userKey: string;
  tenantId: string;
}

type Bindings = Pick<Env, "DB" | "FILES"> & Partial<Pick<Env, "AUDIT_QUEUE">>;

/** The uploads as a tool sees them (`Services.uploads`): create a link for the caller, take an upload for a job. */
export interface Uploads {
  create(owner: Owner): Promise<CreatedUpload>;
  take(ownerKey: string, uploadId: string): Promise<TakenUpload>;
}

export function createUploads(env: Bindings, config: Config): Uploads {
  return {
    create: (owner) => createUpload(env, config, owner),
    take: (ownerKey, uploadId) => takeUpload(env, ownerKey, uploadId),
  };
}

function audit(env: Bindings, owner: Owner, event: Omit<AuditInput, "actor" | "userKey" | "tenantId">): void {
  recordAudit(env, { actor: "user", userKey: owner.userKey, tenantId: owner.tenantId, ...event });
}

/** A new upload link for `owner`, valid for the configured minutes. */
export async function createUpload(env: Bindings, config: Config, owner: Owner, now = Date.now()): Promise<CreatedUpload> {
  const id = crypto.randomUUID();
  const secret = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const expires = now + config.uploads.ttlMinutes * 60_000;
  await env.DB.prepare(
    "INSERT INTO portfolio_uploads (id, owner_key, tenant_id, secret_hash, created_at, expires_at, state) VALUES (?, ?, ?, ?, ?, ?, 'waiting')",
  )
    .bind(id, owner.userKey, owner.tenantId, await sha256Base64Url(secret), now, expires)
    .run();
  audit(env, owner, { kind: "portfolio.upload_created", outcome: "success", details: { uploadId: id } });
  return {
    uploadId: id,
    uploadUrl: `${config.publicOrigin}${uploadPath(id, secret)}`,
    expiresAt: new Date(expires).toISOString(),
    maxRows: config.uploads.maxRows,
    maxBytes: config.uploads.maxBytes,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function findUpload(db: D1Database, id: string): Promise<UploadRow | null> {
  if (!UUID.test(id)) return null;
  return await db.prepare("SELECT * FROM portfolio_uploads WHERE id = ?").bind(id).first<UploadRow>();
}

function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Why a link cannot take a file, as an HTTP status and a sentence for the person. */
export interface LinkProblem {
  status: 403 | 404 | 409 | 410;
  reason: string;
  message: string;
}

const NEW_LINK = "Ask your assistant for a new upload link (Create_Portfolio_Upload).";

/** The upload a link names, when its secret matches; or why it cannot be used (unknown, expired, already received or used). */
export async function openLink(db: D1Database, id: string, secret: string, now = Date.now()): Promise<{ row: UploadRow } | LinkProblem> {
  const row = await findUpload(db, id);
  // A wrong secret answers as an unknown id: the link tells nothing about uploads it does not name.
  if (!row || !/^[A-Za-z0-9_-]{43}$/.test(secret) || !sameText(row.secret_hash, await sha256Base64Url(secret))) {
    return {
      status: 404,
      reason: "unknown",
      message: `There is no upload at this link. Check that the whole link was copied. ${NEW_LINK}`,
    };
  }
  if (row.state === "used") {
    return { status: 409, reason: "used", message: `This upload link was already used for a portfolio job. ${NEW_LINK}` };
  }
  if (row.state === "received") {
    return {
      status: 409,
      reason: "already_received",
      message: `This upload link already received a file with ${row.good_rows ?? 0} addresses; a link takes one file. ${NEW_LINK}`,
    };
  }
  if (row.expires_at <= now) {
    return {
      status: 410,
      reason: "expired",
      message: `This upload link expired at ${new Date(row.expires_at).toISOString()}. ${NEW_LINK}`,
    };
  }
  return { row };
}

/** What reading a file came to, as the PUT answers it. */
export interface Receipt {
  status: 200 | 413 | 415 | 422 | 409;
  body: {
    uploadId: string;
    accepted: boolean;
    /** A sentence for the person: what happened and what to do next. */
    message: string;
    kind?: "csv" | "xlsx";
    /** Different addresses the file names (rows without errors, repeats dropped). */
    goodRows?: number;
    errorCount?: number;
    /** The first row errors, by row number. */
    errors?: RowError[];
    duplicateCount?: number;
    duplicates?: Array<{ row: number; sameAs: number }>;
    emptyRows?: number;
    columns?: Partial<Record<(typeof UPLOAD_FIELDS)[number], string>>;
    ignoredColumns?: string[];
  };
}

/** Row errors and repeats shown in an answer; the upload's stored state keeps up to 1000 of each. */
export const ERRORS_SHOWN = 50;

/** Reads `bytes` into the upload `row` (opened by `openLink`), storing the addresses when the file has no row errors. */
export async function receiveFile(env: Bindings, config: Config, row: UploadRow, bytes: Uint8Array): Promise<Receipt> {
  const owner = { userKey: row.owner_key, tenantId: row.tenant_id };
  let parsed: ParsedUpload;
  try {
    parsed = parseUpload(bytes, { maxRows: config.uploads.maxRows, maxUnpackedBytes: config.uploads.maxUnpackedBytes });
  } catch (error) {
    if (!(error instanceof UploadRefused)) throw error;
    audit(env, owner, {
      kind: "portfolio.upload_refused",
      outcome: "error",
      reason: error.reason,
      details: { uploadId: row.id, bytes: bytes.length },
    });
    return {
      status: error.status,
      body: {
        uploadId: row.id,
        accepted: false,
        message: `${error.message} Nothing was kept; the link takes a corrected file until it expires.`,
      },
    };
  }
  const facts = {
    kind: parsed.kind,
    goodRows: parsed.inputs.length,
    errorCount: parsed.errorCount,
    errors: parsed.errors.slice(0, ERRORS_SHOWN),
    duplicateCount: parsed.duplicateCount,
    duplicates: parsed.duplicates.slice(0, ERRORS_SHOWN),
    emptyRows: parsed.emptyRows,
    columns: parsed.columns,
    ignoredColumns: parsed.ignoredColumns,
  };
  const details = {
    uploadId: row.id,
    fileKind: parsed.kind,
    bytes: bytes.length,
    rows: parsed.inputs.length,
    rowErrors: parsed.errorCount,
    duplicates: parsed.duplicateCount,
  };
  const stats = [
    parsed.kind,
    bytes.length,
    parsed.inputs.length,
    parsed.errorCount,
    JSON.stringify(parsed.errors),
    parsed.duplicateCount,
    JSON.stringify(parsed.duplicates),
    parsed.emptyRows,
    JSON.stringify(parsed.columns),
    JSON.stringify(parsed.ignoredColumns),
  ] as const;
  const setStats =
    "kind = ?, bytes = ?, good_rows = ?, error_count = ?, row_errors = ?, duplicate_count = ?, duplicates = ?, empty_rows = ?, columns = ?, ignored_columns = ?";
  if (parsed.errorCount > 0) {
    await env.DB.prepare(`UPDATE portfolio_uploads SET ${setStats} WHERE id = ? AND state = 'waiting'`)
      .bind(...stats, row.id)
      .run();
    audit(env, owner, { kind: "portfolio.upload_refused", outcome: "error", reason: "row_errors", details });
    return {
      status: 422,
      body: {
        uploadId: row.id,
        accepted: false,
        message: `${rowErrorsSentence(parsed.errorCount)} Nothing was started. Fix ${parsed.errorCount === 1 ? "that row" : "those rows"} (or delete ${parsed.errorCount === 1 ? "it" : "them"}) and upload the file again to the same link before it expires.`,
        ...facts,
      },
    };
  }
  // The addresses go to R2 under a key of this file's own, so two files raced onto one link never mix.
  const objectKey = `uploads/${row.id}/${crypto.randomUUID()}.json`;
  await env.FILES.put(objectKey, JSON.stringify({ inputs: parsed.inputs, rows: parsed.rows }), {
    httpMetadata: { contentType: "application/json" },
  });
  const now = Date.now();
  const stored = await env.DB.prepare(
    `UPDATE portfolio_uploads SET ${setStats}, state = 'received', received_at = ?, object_key = ? WHERE id = ? AND state = 'waiting' AND expires_at > ?`,
  )
    .bind(...stats, now, objectKey, row.id, now)
    .run();
  if (stored.meta.changes !== 1) {
    await env.FILES.delete(objectKey);
    audit(env, owner, { kind: "portfolio.upload_refused", outcome: "error", reason: "already_received", details });
    return {
      status: 409,
      body: { uploadId: row.id, accepted: false, message: `This upload link took another file in the meantime, or expired. ${NEW_LINK}` },
    };
  }
  audit(env, owner, { kind: "portfolio.upload_received", outcome: "success", details });
  const dup =
    parsed.duplicateCount > 0
      ? ` ${parsed.duplicateCount} row${parsed.duplicateCount === 1 ? "" : "s"} named an address an earlier row named and ${parsed.duplicateCount === 1 ? "was" : "were"} dropped (each address is assessed once).`
      : "";
  const ignored = parsed.ignoredColumns.length > 0 ? ` Ignored columns: ${parsed.ignoredColumns.join(", ")}.` : "";
  return {
    status: 200,
    body: {
      uploadId: row.id,
      accepted: true,
      message: `Received ${parsed.inputs.length} address${parsed.inputs.length === 1 ? "" : "es"} (${parsed.kind.toUpperCase()}).${dup}${ignored} Go back to your assistant and ask it to assess the portfolio from upload ${row.id}.`,
      ...facts,
    },
  };
}

function rowErrorsSentence(n: number): string {
  return `${n} row${n === 1 ? "" : "s"} of the file ${n === 1 ? "does" : "do"} not name an address that can be read, so the file was not accepted.`;
}

/**
 * What a portfolio job takes from an upload: the addresses in file order, with their spreadsheet
 * row numbers. Each input is a `JobItemInput` (src/jobs/portfolio.ts): `{ addressId }` or
 * `{ postcode, houseNumber, houseLetter?, houseNumberAddition? }`, already normalised.
 */
export interface TakenUpload {
  inputs: UploadInput[];
  rows: number[];
  /** Rows dropped because they named an address an earlier row named. */
  duplicatesDropped: number;
}

/**
 * The addresses of `uploadId` for one portfolio job of `ownerKey`, marking the upload used so no
 * second job starts from it. Refuses with a UserError an upload that is unknown or another
 * user's, expired before a file arrived, still waiting for its file (with the last file's row
 * errors, when it had some), or already used.
 */
export async function takeUpload(
  env: Pick<Bindings, "DB" | "FILES">,
  ownerKey: string,
  uploadId: string,
  now = Date.now(),
): Promise<TakenUpload> {
  const id = uploadId.trim().toLowerCase();
  const row = await findUpload(env.DB, id);
  if (!row || row.owner_key !== ownerKey) {
    throw new UserError(
      `You have no upload with id ${uploadId.trim().slice(0, 64)}. Create_Portfolio_Upload gives an upload link and its id.`,
    );
  }
  if (row.state === "used")
    throw new UserError(`Upload ${id} was already used for a portfolio job; upload the file again to start another.`);
  if (row.state === "waiting") {
    if ((row.error_count ?? 0) > 0) {
      const errors = JSON.parse(row.row_errors ?? "[]") as RowError[];
      throw new UserError(
        [
          `Upload ${id} has no accepted file: the last file sent had ${row.error_count} row${row.error_count === 1 ? "" : "s"} that name no address that can be read. Fix them and upload the file again${row.expires_at > now ? " to the same link" : " (the link expired: ask for a new one)"}:`,
          ...errors.slice(0, 20).map((e) => `- row ${e.row}: ${e.reason}`),
          ...((row.error_count ?? 0) > 20 ? [`- … and ${(row.error_count ?? 0) - 20} more`] : []),
        ].join("\n"),
      );
    }
    if (row.expires_at <= now) throw new UserError(`Upload ${id} expired before a file was sent to it. Ask for a new upload link.`);
    throw new UserError(
      `Upload ${id} has not received a file yet. Send the spreadsheet to its upload link (HTTP PUT, or open the link in a browser), then call again.`,
    );
  }
  const object = row.object_key ? await env.FILES.get(row.object_key) : null;
  if (!object) throw new UserError(`The addresses of upload ${id} are no longer kept. Upload the file again.`);
  const stored = (await object.json()) as { inputs: UploadInput[]; rows: number[] };
  const marked = await env.DB.prepare(
    "UPDATE portfolio_uploads SET state = 'used', used_at = ? WHERE id = ? AND owner_key = ? AND state = 'received'",
  )
    .bind(now, id, ownerKey)
    .run();
  if (marked.meta.changes !== 1)
    throw new UserError(`Upload ${id} was already used for a portfolio job; upload the file again to start another.`);
  return { inputs: stored.inputs, rows: stored.rows, duplicatesDropped: row.duplicate_count ?? 0 };
}

/** The stored state of one of `ownerKey`'s uploads (for a tool that reports on it), or null. */
export async function uploadOf(db: D1Database, ownerKey: string, uploadId: string): Promise<UploadRow | null> {
  const row = await findUpload(db, uploadId.trim().toLowerCase());
  return row && row.owner_key === ownerKey ? row : null;
}

/**
 * Reads a request body of at most `max` bytes as it streams in; `null` as soon as it is larger
 * (the rest is not read, nothing is kept). A `Content-Length` above the limit is refused unread.
 */
export async function readBounded(request: Request, max: number): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > max) return null;
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

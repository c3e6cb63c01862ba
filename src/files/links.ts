import { type Config, parseConfig } from "../config";
import { base64url } from "../encoding";
import { UserError } from "../errors";
import type { DownloadLinks } from "../jobs/summary";
import { type FileFormat, JOB_ID, ownerTag } from "./portfolio-files";

/**
 * Signed download links for a portfolio job's result files:
 *
 *   <PUBLIC_URL>/files/<job id>.<csv|xlsx>?o=<owner tag>&e=<expiry, unix seconds>&s=<signature>
 *
 * The link is the capability: it works in a plain browser, without sign-in or an MCP client, until
 * it expires (DOWNLOAD_LINK_TTL_MINUTES, default 60; asking for the result again gives fresh
 * links). The signature is HMAC-SHA-256 over the purpose, the owner tag (SHA-256 of the user key,
 * ../files/portfolio-files.ts), the job id, the format and the expiry, so changing any of them,
 * or putting one user's tag with another's job, breaks it. The HMAC key is derived with HKDF from
 * DOWNLOAD_LINK_SECRET, or from COOKIE_SECRET under its own label, so it signs nothing else.
 */

const PURPOSE = "pandgate download link v1";
const HKDF_INFO = "pandgate/download-links/v1";
/** The parameters a link has, and no others. */
const PARAMS = ["o", "e", "s"] as const;
const TAG = /^[A-Za-z0-9_-]{22}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;
const EXPIRY = /^[1-9][0-9]{0,11}$/;

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    const encoder = new TextEncoder();
    key = crypto.subtle
      .importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(HKDF_INFO) },
          base,
          { name: "HMAC", hash: "SHA-256", length: 256 },
          false,
          ["sign"],
        ),
      );
    keys.set(secret, key);
  }
  return key;
}

async function sign(secret: string, tag: string, jobId: string, format: FileFormat, expires: number): Promise<Uint8Array> {
  const message = new TextEncoder().encode(`${PURPOSE}\n${tag}\n${jobId}\n${format}\n${expires}`);
  return new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), message));
}

export type { DownloadLinks };

/** Links for a job's two files, valid from `now` for the configured time. */
export async function downloadLinks(config: Config, ownerKey: string, jobId: string, now: Date = new Date()): Promise<DownloadLinks> {
  const secret = config.downloadLinkSecret;
  if (secret === undefined) {
    throw new UserError("Download links are not available: the server has no COOKIE_SECRET or DOWNLOAD_LINK_SECRET set.");
  }
  if (!JOB_ID.test(jobId)) throw new TypeError("downloadLinks: the job id must be 1-64 letters, digits, - or _");
  const tag = await ownerTag(ownerKey);
  const expires = Math.floor(now.getTime() / 1000) + config.downloadLinkTtlS;
  const link = async (format: FileFormat) => {
    const url = new URL(`/files/${jobId}.${format}`, config.publicOrigin);
    url.search = new URLSearchParams({
      o: tag,
      e: String(expires),
      s: base64url(await sign(secret, tag, jobId, format, expires)),
    }).toString();
    return url.href;
  };
  const [csv, xlsx] = await Promise.all([link("csv"), link("xlsx")]);
  return { csv, xlsx, expiresAt: new Date(expires * 1000).toISOString() };
}

const configs = new WeakMap<object, Config>();

/**
 * The job's download links, for `Get_Portfolio_Result` (src/mcp/tools/portfolio.ts): `env` is the
 * Worker's or the agent's bindings; the settings are read from it once per `env`.
 */
export async function portfolioDownloadLinks(env: Env, ownerKey: string, jobId: string, now: Date = new Date()): Promise<DownloadLinks> {
  let config = configs.get(env);
  if (!config) {
    config = parseConfig(env as unknown as Record<string, unknown>);
    configs.set(env, config);
  }
  return downloadLinks(config, ownerKey, jobId, now);
}

/** What a link says, once its signature is checked. */
export type LinkCheck =
  | { ok: true; tag: string; jobId: string; format: FileFormat; expires: number }
  /** `invalid`: malformed, altered or signed for something else; `expired`: genuine but past its time. */
  | { ok: false; reason: "invalid" | "expired"; jobId?: string; format?: FileFormat };

/**
 * Checks a request's link: the file name (`<job id>.<format>`), exactly the parameters `o`, `e`,
 * `s` once each, the signature (compared in constant time), then the expiry. A link whose
 * signature fails is `invalid` whatever its expiry, so the answer says nothing more about it.
 */
export async function checkLink(config: Config, url: URL, now: Date = new Date()): Promise<LinkCheck> {
  const match = /^\/files\/([^/.]+)\.(csv|xlsx)$/.exec(url.pathname);
  const jobId = match?.[1] !== undefined && JOB_ID.test(match[1]) ? match[1] : undefined;
  const format = match?.[2] as FileFormat | undefined;
  const invalid: LinkCheck = { ok: false, reason: "invalid", ...(jobId && format && { jobId, format }) };
  const secret = config.downloadLinkSecret;
  if (!jobId || !format || secret === undefined) return invalid;
  const names = [...url.searchParams.keys()];
  if (names.length !== PARAMS.length || !PARAMS.every((name) => url.searchParams.getAll(name).length === 1)) return invalid;
  const tag = url.searchParams.get("o") ?? "";
  const expiry = url.searchParams.get("e") ?? "";
  const signature = url.searchParams.get("s") ?? "";
  if (!TAG.test(tag) || !EXPIRY.test(expiry) || !SIGNATURE.test(signature)) return invalid;
  const expires = Number(expiry);
  // The text is compared, not its decoded bytes: base64url has several spellings of the same last
  // bits, and a link with any character changed is an altered link.
  const encoder = new TextEncoder();
  const expected = encoder.encode(base64url(await sign(secret, tag, jobId, format, expires)));
  const given = encoder.encode(signature);
  if (given.length !== expected.length || !crypto.subtle.timingSafeEqual(given, expected)) return invalid;
  if (now.getTime() >= expires * 1000) return { ok: false, reason: "expired", jobId, format };
  return { ok: true, tag, jobId, format, expires };
}

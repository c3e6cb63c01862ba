import { csvHeader, csvLine } from "./csv";
import { DEFAULT_PART_BYTES, R2ObjectWriter } from "./r2-writer";
import type { PortfolioResultRow } from "./result-row";
import { XlsxBuilder } from "./xlsx";

/**
 * A portfolio job's result as two files in R2 (`FILES`): a CSV and an XLSX with one row per input
 * address, in input order, built in one pass over the rows. Written by the job's last step; read
 * only through signed links (src/http/files.ts).
 */

export const FILE_FORMATS = ["csv", "xlsx"] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export const CONTENT_TYPES: Record<FileFormat, string> = {
  csv: "text/csv; charset=utf-8",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

/** A job id as the links and keys accept it (the job engine's ids are UUIDs). */
export const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * The owner's part of a file's key and link: the first 128 bits of SHA-256 over the user key,
 * base64url (22 characters). It names the owner without putting their tenant and object id into a
 * link that may be pasted anywhere; an operator finds a user's files with the same function.
 */
export async function ownerTag(ownerKey: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`pandgate owner\n${ownerKey}`)));
  return btoa(String.fromCharCode(...digest.subarray(0, 16)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** The R2 key of a job's result file: `portfolios/<owner tag>/<job id>/result.<csv|xlsx>`. */
export function portfolioFileKey(tag: string, jobId: string, format: FileFormat): string {
  return `portfolios/${tag}/${jobId}/result.${format}`;
}

export interface PortfolioFilesInput {
  ownerKey: string;
  jobId: string;
  /** The result rows in input order (read once). */
  rows: AsyncIterable<PortfolioResultRow> | Iterable<PortfolioResultRow>;
  /** Multipart part size (tests and the bench); default 8 MiB, at least 5 MiB. */
  partBytes?: number;
}

export interface PortfolioFiles {
  csvKey: string;
  xlsxKey: string;
  rows: number;
  bytes: { csv: number; xlsx: number };
}

/** Rows are encoded into a CSV piece of about this many characters before it is written. */
const CSV_PIECE_CHARS = 64 * 1024;

/**
 * Builds both files from `rows` and stores them, replacing any earlier ones under the same keys
 * (a retried workflow step writes the same files again). Throws when R2 fails, after aborting
 * what it had started.
 */
export async function writePortfolioFiles(env: { FILES: R2Bucket }, input: PortfolioFilesInput): Promise<PortfolioFiles> {
  if (!JOB_ID.test(input.jobId)) throw new TypeError("writePortfolioFiles: the job id must be 1-64 letters, digits, - or _");
  const tag = await ownerTag(input.ownerKey);
  const csvKey = portfolioFileKey(tag, input.jobId, "csv");
  const xlsxKey = portfolioFileKey(tag, input.jobId, "xlsx");
  const builtAt = new Date().toISOString();
  const metadata = (format: FileFormat): R2PutOptions => ({
    httpMetadata: { contentType: CONTENT_TYPES[format] },
    customMetadata: { owner: input.ownerKey, job: input.jobId, builtAt },
  });
  const partBytes = input.partBytes ?? DEFAULT_PART_BYTES;
  const csv = new R2ObjectWriter(env.FILES, csvKey, metadata("csv"), partBytes);
  const xlsx = new R2ObjectWriter(env.FILES, xlsxKey, metadata("xlsx"), partBytes);
  const encoder = new TextEncoder();
  try {
    const xlsxBuilder = new XlsxBuilder();
    let piece = csvHeader();
    let count = 0;
    for await (const row of input.rows) {
      count++;
      piece += csvLine(row);
      xlsxBuilder.addRow(row);
      if (piece.length >= CSV_PIECE_CHARS) {
        await csv.write(encoder.encode(piece));
        piece = "";
      }
      for (const chunk of xlsxBuilder.take()) await xlsx.write(chunk);
    }
    await csv.write(encoder.encode(piece));
    xlsxBuilder.finish();
    for (const chunk of xlsxBuilder.take()) await xlsx.write(chunk);
    const [csvBytes, xlsxBytes] = [await csv.close(), await xlsx.close()];
    return { csvKey, xlsxKey, rows: count, bytes: { csv: csvBytes, xlsx: xlsxBytes } };
  } catch (error) {
    await Promise.all([csv.abort(), xlsx.abort()]);
    throw error;
  }
}

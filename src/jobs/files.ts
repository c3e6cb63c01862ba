import { writePortfolioFiles } from "../files/portfolio-files";
import { resultRows } from "./engine";

/**
 * Writes a job's result files (one CSV and one XLSX row per item, src/files/) into R2 from its
 * items in D1, then marks the job's files as there. Idempotent: a retried step rewrites the same
 * objects. Run by the job's workflow once no further batch will run (completed or cancelled), so
 * a cancelled job's files hold what was done, the rest marked "not assessed".
 */
export async function buildResultFiles(
  env: { DB: D1Database; FILES: R2Bucket },
  jobId: string,
  ownerKey: string,
  now: Date,
): Promise<{ rows: number; bytes: { csv: number; xlsx: number } }> {
  const written = await writePortfolioFiles(env, { ownerKey, jobId, rows: resultRows(env.DB, jobId) });
  await env.DB.prepare("UPDATE portfolio_jobs SET files_at = ?2 WHERE id = ?1").bind(jobId, now.toISOString()).run();
  return { rows: written.rows, bytes: written.bytes };
}

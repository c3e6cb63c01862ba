import type { AuditInput } from "../audit/events";
import type { D1Queryable } from "../data/types";
import { compareLabelClasses } from "../domain/energy-label";
import { UserError } from "../errors";
import { log } from "../log";
import { type D1JobRow, describeInput, type ItemStatus, type JobCounts, type JobItemInput } from "./engine";
import { type DownloadLinks, type JobState, type JobSummary, SECTOR_WORDS, type SectorClass, type SectorCounts } from "./summary";

export { BATCH_SIZE, type JobItemInput } from "./engine";
export type { JobState, JobSummary } from "./summary";

/**
 * Portfolio jobs as the user's agent sees them: the job index, progress and cancel.
 *
 * Where each fact lives:
 * - the agent's SQLite storage (`portfolio_jobs` here): the user's jobs, their state, counts as
 *   last reported, the starting request (for `notifications/cancelled`), the workflow instance
 *   that runs each and when it last reported progress. Every tool reads a job here first, so
 *   another user's job is "not found".
 * - D1 (migration 0011): the job row the workflow reads (owner, state, counts; the tenant-wide
 *   count of running jobs) and one row per item with its outcome, the source of summaries,
 *   progress lines and result rows.
 * - Cloudflare Workflows (`PORTFOLIO_WORKFLOW`, ./workflow.ts) runs the batches; the agent starts
 *   an instance per job and, from its alarm, starts a new one for a job whose instance stopped
 *   reporting (./engine.ts makes a batch run twice write nothing twice).
 */

/** The most addresses one job can ever hold (the input schema's bound; MAX_ADDRESSES_PER_JOB may set less). */
export const MAX_ADDRESSES_CEILING = 50_000;
/** How often a caller waiting on a job (a streamed tool call, `tasks/result`) looks at it again. */
export const JOB_POLL_MS = 150;
/** At most this many failures and assessment ids are listed in a summary; the rest are counted. */
export const LISTED_MAX = 500;

export function untilNextPoll(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS));
}

type Sql = <T = Record<string, string | number | boolean | null>>(
  strings: TemplateStringsArray,
  ...values: (string | number | boolean | null)[]
) => T[];

/** What a workflow instance of a job is given. */
export interface PortfolioParams {
  jobId: string;
  ownerKey: string;
  total: number;
  batchSize: number;
}

export interface JobHost {
  /** The Durable Object's SQLite storage as a tagged template: the strings joined with `?`, the values bound. */
  sql: Sql;
  /** D1 (the primary: what the workflow wrote is read back at once). */
  db: D1Queryable;
  /** Starts a workflow instance with this id for the job. */
  start(instanceId: string, params: PortfolioParams): Promise<void>;
  /** Records an audit event (the agent's outbox: durable before the answer leaves). */
  record(event: AuditInput): void;
  /** Makes sure the agent's alarm watches its running jobs. */
  watch(): Promise<void>;
  /** Signed, expiring links to a job's result files (src/files/links.ts); without it, summaries give none. */
  links?(ownerKey: string, jobId: string): Promise<DownloadLinks>;
}

export interface JobLimits {
  /** Running jobs per user (MAX_CONCURRENT_JOBS). */
  maxConcurrent: number;
  /** Running jobs per tenant (MAX_RUNNING_JOBS_PER_TENANT). */
  maxPerTenant: number;
  /** Addresses per job (MAX_ADDRESSES_PER_JOB). */
  maxAddresses: number;
  /** Addresses per workflow step. */
  batchSize: number;
}

export interface JobRow {
  id: string;
  owner_key: string;
  tenant_id: string;
  state: JobState;
  total: number;
  done: number;
  failed: number;
  created_at: string;
  finished_at: string | null;
  cancel_requested: number;
  rpc_id: string | null;
  last_label: string | null;
  /** Repeats dropped when the job was created (each address is assessed once). */
  duplicates: number;
  /** The owner's name and e-mail as signed in when the job was created (null for jobs created before they were kept). */
  owner_name: string | null;
  owner_email: string | null;
  /** The workflow instance running the job, its batch size, and when it last reported (ms since the epoch). */
  instance_id: string | null;
  batch_size: number | null;
  progress_at: number | null;
}

/** Who started a job: the identity's key and tenant, and its name and e-mail as signed in (kept with every assessment). */
export interface JobOwner {
  userKey: string;
  tenantId: string;
  displayName?: string | undefined;
  email?: string | undefined;
}

/** One processed item of a job, in the order the job processes them (a waiting tool call reports each). */
export interface ItemProgress {
  seq: number;
  status: "done" | "failed" | "duplicate";
  /** The address as found (done, duplicate), or the input as given (failed). */
  what: string;
  error: string | null;
}

/** Value bands of the midpoints, low to high; the summary lists them in this order, then "no value". */
export const VALUE_BANDS: Array<[number, string]> = [
  [200_000, "< €200k"],
  [300_000, "€200k–300k"],
  [400_000, "€300k–400k"],
  [500_000, "€400k–500k"],
  [750_000, "€500k–750k"],
  [Number.POSITIVE_INFINITY, "≥ €750k"],
];

/** The band of a value midpoint in SQL, in VALUE_BANDS's words. */
const BAND_SQL = `CASE WHEN value_mid IS NULL THEN 'no value' ${VALUE_BANDS.map(([upper, band]) =>
  Number.isFinite(upper) ? `WHEN value_mid < ${upper} THEN '${band}'` : `ELSE '${band}'`,
).join(" ")} END`;

/** Every WWS class with its count (0 where none), in SECTOR_WORDS's order, and the dwellings per most likely sector. */
function sectorCountsOf(rows: ReadonlyArray<Record<string, unknown>>): SectorCounts {
  const classes = new Map<string, number>();
  const mostLikely = { social: 0, middle: 0, free: 0 };
  for (const row of rows) {
    const [k, sector, n] = [String(row.k), row.s, Number(row.n)];
    classes.set(k, (classes.get(k) ?? 0) + n);
    if (
      (k === "social" || k === "middle" || k === "free" || k === "undecided") &&
      (sector === "social" || sector === "middle" || sector === "free")
    )
      mostLikely[sector] += n;
  }
  const out = { mostLikely } as SectorCounts;
  for (const key of Object.keys(SECTOR_WORDS) as SectorClass[]) out[key] = classes.get(key) ?? 0;
  return out;
}

/** Items per D1 statement when a job's items are stored (one JSON array each, one batch for all). */
const ITEMS_PER_STATEMENT = 1000;

export class PortfolioJobs {
  constructor(
    private readonly host: JobHost,
    readonly limits: JobLimits,
  ) {
    host.sql`CREATE TABLE IF NOT EXISTS portfolio_jobs (
      id TEXT PRIMARY KEY, owner_key TEXT NOT NULL, tenant_id TEXT NOT NULL, state TEXT NOT NULL,
      total INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL, finished_at TEXT, cancel_requested INTEGER NOT NULL DEFAULT 0,
      rpc_id TEXT, last_label TEXT, duplicates INTEGER NOT NULL DEFAULT 0)`;
    // list() reads a user's jobs newest first; cancelByRequest() finds a job by its starting request.
    host.sql`CREATE INDEX IF NOT EXISTS portfolio_jobs_by_owner ON portfolio_jobs (owner_key, created_at DESC)`;
    host.sql`CREATE INDEX IF NOT EXISTS portfolio_jobs_by_request ON portfolio_jobs (rpc_id)`;
    // runningJobs(): the alarm's watch over the running jobs.
    host.sql`CREATE INDEX IF NOT EXISTS portfolio_jobs_by_state ON portfolio_jobs (state)`;
    // Columns added since the table was first created: each once (null or 0 for older jobs).
    const columns = new Set(host.sql<{ name: string }>`SELECT name FROM pragma_table_info('portfolio_jobs')`.map((c) => c.name));
    if (!columns.has("duplicates")) host.sql`ALTER TABLE portfolio_jobs ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0`;
    if (!columns.has("owner_name")) {
      host.sql`ALTER TABLE portfolio_jobs ADD COLUMN owner_name TEXT`;
      host.sql`ALTER TABLE portfolio_jobs ADD COLUMN owner_email TEXT`;
    }
    if (!columns.has("instance_id")) {
      host.sql`ALTER TABLE portfolio_jobs ADD COLUMN instance_id TEXT`;
      host.sql`ALTER TABLE portfolio_jobs ADD COLUMN batch_size INTEGER`;
      host.sql`ALTER TABLE portfolio_jobs ADD COLUMN progress_at INTEGER`;
    }
  }

  running(ownerKey: string): number {
    return Number(
      this.host.sql<{ n: number }>`SELECT count(*) AS n FROM portfolio_jobs WHERE owner_key = ${ownerKey} AND state = 'running'`[0]?.n ?? 0,
    );
  }

  /** Every running job of this agent (the alarm watches them). */
  runningJobs(): JobRow[] {
    return this.host.sql<JobRow>`SELECT * FROM portfolio_jobs WHERE state = 'running'`;
  }

  /**
   * Records a job and its items (D1), indexes it here, starts its workflow and records the
   * `portfolio.job_started` audit event. `rows` gives each item's 1-based place in what the user
   * gave (default: its place in `inputs`).
   */
  async create(
    owner: JobOwner,
    inputs: JobItemInput[],
    rpcId: string | number | null,
    duplicates = 0,
    rows?: readonly number[],
  ): Promise<JobRow> {
    const { maxAddresses, maxConcurrent, maxPerTenant, batchSize } = this.limits;
    if (inputs.length === 0) throw new UserError("The portfolio is empty: give at least one address or postcode with addresses.");
    if (inputs.length > maxAddresses) {
      throw new UserError(
        `That is ${inputs.length} addresses; one portfolio job takes at most ${maxAddresses} (MAX_ADDRESSES_PER_JOB). Split it into smaller jobs.`,
      );
    }
    const running = this.running(owner.userKey);
    if (running >= maxConcurrent) {
      throw new UserError(
        `You already have ${running} portfolio job(s) running, the most allowed at once is ${maxConcurrent} (MAX_CONCURRENT_JOBS, per user). Wait for one to finish (Get_Portfolio_Status) or stop one with Cancel_Portfolio.`,
      );
    }
    const id = crypto.randomUUID();
    const now = new Date().toISOString();
    const { db } = this.host;
    const mixedForms = inputs.some((input) => !("addressId" in input && input.addressId)) ? 1 : 0;
    // The tenant-wide limit, checked and taken in one statement (two users of a tenant starting at once cannot both pass it).
    const inserted = await db
      .prepare(
        `INSERT INTO portfolio_jobs (id, owner_key, tenant_id, owner_name, owner_email, state, total, mixed_forms, instance_id, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, 'running', ?6, ?7, ?1, ?8
         WHERE (SELECT count(*) FROM portfolio_jobs WHERE tenant_id = ?3 AND state = 'running') < ?9`,
      )
      .bind(id, owner.userKey, owner.tenantId, owner.displayName ?? "", owner.email ?? "", inputs.length, mixedForms, now, maxPerTenant)
      .run();
    if ((inserted.meta.changes ?? 0) === 0) {
      throw new UserError(
        `Your organisation already has ${maxPerTenant} portfolio job(s) running, the most allowed at once for one tenant (MAX_RUNNING_JOBS_PER_TENANT). Wait for one to finish, or ask a colleague to stop one.`,
      );
    }
    try {
      const statements: D1PreparedStatement[] = [];
      for (let from = 0; from < inputs.length; from += ITEMS_PER_STATEMENT) {
        const chunk = inputs
          .slice(from, from + ITEMS_PER_STATEMENT)
          .map((input, i) => [rows?.[from + i] ?? from + i + 1, JSON.stringify(input)]);
        statements.push(
          db
            .prepare(
              `INSERT OR IGNORE INTO portfolio_items (job_id, seq, row, input, status)
               SELECT ?1, ?2 + key, json_extract(value, '$[0]'), json_extract(value, '$[1]'), 'pending' FROM json_each(?3)`,
            )
            .bind(id, from, JSON.stringify(chunk)),
        );
      }
      await db.batch(statements);
    } catch (error) {
      await db.prepare("DELETE FROM portfolio_jobs WHERE id = ?1").bind(id).run();
      throw error;
    }
    // An identity without a name or e-mail claim is kept as "" (known to be absent), not null (not recorded).
    this.host
      .sql`INSERT INTO portfolio_jobs (id, owner_key, tenant_id, state, total, created_at, rpc_id, duplicates, owner_name, owner_email, instance_id, batch_size, progress_at)
      VALUES (${id}, ${owner.userKey}, ${owner.tenantId}, 'running', ${inputs.length}, ${now}, ${rpcId === null ? null : String(rpcId)}, ${duplicates},
        ${owner.displayName ?? ""}, ${owner.email ?? ""}, ${id}, ${batchSize}, ${Date.now()})`;
    try {
      await this.host.start(id, { jobId: id, ownerKey: owner.userKey, total: inputs.length, batchSize });
    } catch (error) {
      await this.#end(id, "cancelled", false);
      throw error;
    }
    this.host.record({
      kind: "portfolio.job_started",
      actor: "user",
      outcome: "success",
      tenantId: owner.tenantId,
      userKey: owner.userKey,
      details: { jobId: id, count: inputs.length },
    });
    await this.host.watch();
    return this.#byId(id) as JobRow;
  }

  /** Any user's job, for the workflow's reports and this class only; callers on a user's behalf use `owned`. */
  #byId(jobId: string): JobRow | null {
    return this.host.sql<JobRow>`SELECT * FROM portfolio_jobs WHERE id = ${jobId}`[0] ?? null;
  }

  /** The job if it belongs to this user; another user's job is simply not found. */
  owned(ownerKey: string, jobId: string): JobRow | null {
    const job = this.#byId(jobId);
    return job && job.owner_key === ownerKey ? job : null;
  }

  /**
   * Cancels a running job: it is marked cancelled at once, here and in D1, and the workflow
   * starts no further batch (each batch reads the job's state first); the batch in progress, if
   * any, finishes its addresses. Finished assessments stay.
   */
  async cancel(ownerKey: string, jobId: string): Promise<JobRow | null> {
    const job = this.owned(ownerKey, jobId);
    if (!job) return null;
    if (job.state === "running") await this.#end(jobId, "cancelled", true);
    return this.#byId(jobId);
  }

  /** A client's notifications/cancelled for the tools/call that started a job cancels that job. */
  async cancelByRequest(rpcId: string | number): Promise<number> {
    const rows = this.host.sql<{ id: string }>`SELECT id FROM portfolio_jobs WHERE rpc_id = ${String(rpcId)} AND state = 'running'`;
    for (const { id } of rows) await this.#end(id, "cancelled", true);
    return rows.length;
  }

  /** The user's jobs, newest first. */
  list(ownerKey: string, limit = 100): JobRow[] {
    return this.host.sql<JobRow>`SELECT * FROM portfolio_jobs WHERE owner_key = ${ownerKey} ORDER BY created_at DESC LIMIT ${limit}`;
  }

  /** Which of these jobs have their result files written (D1 `files_at`), in one query. */
  async filesWritten(jobIds: readonly string[]): Promise<Set<string>> {
    if (jobIds.length === 0) return new Set();
    const { results } = await this.host.db
      .prepare("SELECT id FROM portfolio_jobs WHERE files_at IS NOT NULL AND id IN (SELECT value FROM json_each(?1))")
      .bind(JSON.stringify(jobIds))
      .all<{ id: string }>();
    return new Set(results.map((r) => r.id));
  }

  /** The workflow reports a batch written (counts from D1): kept, never going backwards. */
  progress(jobId: string, counts: JobCounts): void {
    this.host.sql`UPDATE portfolio_jobs SET done = max(done, ${counts.done}), failed = max(failed, ${counts.failed}),
      last_label = coalesce(${counts.lastLabel}, last_label), progress_at = ${Date.now()} WHERE id = ${jobId}`;
  }

  /** The workflow reports the job's end: completed unless it was cancelled meanwhile. */
  finished(jobId: string, counts: JobCounts): void {
    this.progress(jobId, counts);
    if (counts.state === "completed" && this.#byId(jobId)?.state === "running") {
      this.host.sql`UPDATE portfolio_jobs SET state = 'completed', finished_at = ${new Date().toISOString()} WHERE id = ${jobId}`;
      log("info", "portfolio_finished", { jobId, state: "completed" });
    }
  }

  /** A running job's workflow stopped reporting: a new instance takes over (it skips what is done). */
  async resume(job: JobRow): Promise<string> {
    const generation = Number(/-r(\d+)$/.exec(job.instance_id ?? "")?.[1] ?? 0) + 1;
    const instanceId = `${job.id}-r${generation}`;
    this.host.sql`UPDATE portfolio_jobs SET instance_id = ${instanceId}, progress_at = ${Date.now()} WHERE id = ${job.id}`;
    await this.host.db.prepare("UPDATE portfolio_jobs SET instance_id = ?2 WHERE id = ?1").bind(job.id, instanceId).run();
    await this.host.start(instanceId, {
      jobId: job.id,
      ownerKey: job.owner_key,
      total: job.total,
      batchSize: job.batch_size ?? this.limits.batchSize,
    });
    log("warn", "portfolio_resumed", { jobId: job.id, instanceId, done: job.done });
    return instanceId;
  }

  /** Brings this index in line with D1 (a lost report): the job's counts and state as D1 has them. */
  async syncFromD1(jobId: string): Promise<void> {
    const row = await this.host.db.prepare("SELECT * FROM portfolio_jobs WHERE id = ?1").bind(jobId).first<D1JobRow>();
    if (!row) return;
    this.finished(jobId, { state: row.state, done: row.done, failed: row.failed, lastLabel: null });
  }

  /**
   * The items of a job processed from item `fromSeq` on, in order, up to the first one still
   * pending. Batches take items in order and write a batch's outcomes at once, so the processed
   * items are always the first ones: a caller that has reported the first k asks for
   * `fromSeq = k` and gets each later item exactly once (the job row's `done` bounds the read,
   * so pass a row read just before). Only for a job the caller holds (found through `owned`).
   */
  async processedSince(job: JobRow, fromSeq: number): Promise<ItemProgress[]> {
    if (job.done <= fromSeq) return [];
    const { results } = await this.host.db
      .prepare(
        "SELECT seq, status, label, input, error FROM portfolio_items WHERE job_id = ?1 AND seq >= ?2 AND seq < ?3 ORDER BY seq LIMIT 5000",
      )
      .bind(job.id, fromSeq, job.done)
      .all<{ seq: number; status: ItemStatus; label: string | null; input: string; error: string | null }>();
    const out: ItemProgress[] = [];
    for (const row of results) {
      if (row.status === "pending") break;
      out.push({
        seq: row.seq,
        status: row.status,
        what:
          row.status === "failed"
            ? describeInput(JSON.parse(row.input) as JobItemInput)
            : (row.label ?? describeInput(JSON.parse(row.input) as JobItemInput)),
        error: row.error,
      });
    }
    return out;
  }

  async #end(jobId: string, state: JobState, requested: boolean): Promise<void> {
    const now = new Date().toISOString();
    this.host
      .sql`UPDATE portfolio_jobs SET state = ${state}, finished_at = ${now}, cancel_requested = ${requested ? 1 : 0} WHERE id = ${jobId}`;
    await this.host.db
      .prepare("UPDATE portfolio_jobs SET state = ?2, finished_at = ?3 WHERE id = ?1 AND state = 'running'")
      .bind(jobId, state, now)
      .run();
    log("info", "portfolio_finished", { jobId, state });
  }

  /**
   * What a status needs while a job runs, without the summary's aggregates (labels, bands,
   * risks): the repeats found so far and the first LISTED_MAX failures. Clients poll this, so it
   * reads only the failed and duplicate items (index on job, status), never every item.
   */
  async progressFacts(job: JobRow): Promise<Pick<JobSummary, "duplicatesDropped" | "failures" | "moreFailures">> {
    const { db } = this.host;
    const [failures, counts] = await db.batch<Record<string, unknown>>([
      db
        .prepare("SELECT input, error FROM portfolio_items WHERE job_id = ?1 AND status = 'failed' ORDER BY seq LIMIT ?2")
        .bind(job.id, LISTED_MAX),
      db
        .prepare(
          `SELECT (SELECT count(*) FROM portfolio_items WHERE job_id = ?1 AND status = 'failed') AS failed,
                  (SELECT count(*) FROM portfolio_items WHERE job_id = ?1 AND status = 'duplicate') AS duplicates`,
        )
        .bind(job.id),
    ]);
    const c = (counts?.results[0] as { failed: number; duplicates: number } | undefined) ?? { failed: 0, duplicates: 0 };
    const failureList = ((failures?.results ?? []) as Array<{ input: string; error: string | null }>).map((f) => ({
      input: describeInput(JSON.parse(f.input) as JobItemInput),
      reason: f.error ?? "failed",
    }));
    return {
      duplicatesDropped: job.duplicates + c.duplicates,
      failures: failureList,
      ...(c.failed > failureList.length && { moreFailures: c.failed - failureList.length }),
    };
  }

  /**
   * What a job came to, from its items in D1, aggregated there (one round trip whatever the
   * job's size): counts per label, value band and risk rule, and the first LISTED_MAX failures
   * and assessment ids with the number of the rest.
   */
  async summary(job: JobRow): Promise<JobSummary> {
    const { db } = this.host;
    const [labels, bands, risks, sectors, failures, ids, counts, files] = await db.batch<Record<string, unknown>>([
      db
        .prepare(
          "SELECT coalesce(energy_label, 'none') AS k, count(*) AS n FROM portfolio_items WHERE job_id = ?1 AND status = 'done' GROUP BY 1",
        )
        .bind(job.id),
      db
        .prepare(`SELECT ${BAND_SQL} AS k, count(*) AS n FROM portfolio_items WHERE job_id = ?1 AND status = 'done' GROUP BY 1`)
        .bind(job.id),
      // Each rule in the order it was first flagged (item order, then its place among the item's rules).
      db
        .prepare(
          `SELECT r.value AS k, count(*) AS n FROM portfolio_items AS i, json_each(i.risk_rules) AS r
           WHERE i.job_id = ?1 AND i.status = 'done' GROUP BY r.value ORDER BY min(i.seq * 1000 + r.key)`,
        )
        .bind(job.id),
      // Items assessed before their WWS estimate was stored (migration 0014) count as not available.
      db
        .prepare(
          "SELECT coalesce(rent_class, 'notAvailable') AS k, rent_sector AS s, count(*) AS n FROM portfolio_items WHERE job_id = ?1 AND status = 'done' GROUP BY 1, 2",
        )
        .bind(job.id),
      db
        .prepare("SELECT input, error FROM portfolio_items WHERE job_id = ?1 AND status = 'failed' ORDER BY seq LIMIT ?2")
        .bind(job.id, LISTED_MAX),
      db
        .prepare("SELECT assessment_id FROM portfolio_items WHERE job_id = ?1 AND status = 'done' ORDER BY seq LIMIT ?2")
        .bind(job.id, LISTED_MAX),
      db
        .prepare(
          `SELECT (SELECT count(*) FROM portfolio_items WHERE job_id = ?1 AND status = 'done') AS assessed,
                  (SELECT count(*) FROM portfolio_items WHERE job_id = ?1 AND status = 'failed') AS failed,
                  (SELECT count(*) FROM portfolio_items WHERE job_id = ?1 AND status = 'duplicate') AS duplicates`,
        )
        .bind(job.id),
      db.prepare("SELECT files_at FROM portfolio_jobs WHERE id = ?1").bind(job.id),
    ]);
    const rowsOf = <T>(r: { results: unknown[] } | undefined) => (r?.results ?? []) as T[];
    const pairs = (r: { results: unknown[] } | undefined) => rowsOf<{ k: string; n: number }>(r).map(({ k, n }) => [k, n] as const);
    const c = rowsOf<{ assessed: number; failed: number; duplicates: number }>(counts)[0] ?? { assessed: 0, failed: 0, duplicates: 0 };
    const bandCounts = new Map(pairs(bands));
    const failureList = rowsOf<{ input: string; error: string | null }>(failures).map((f) => ({
      input: describeInput(JSON.parse(f.input) as JobItemInput),
      reason: f.error ?? "failed",
    }));
    const filesAt = rowsOf<{ files_at: string | null }>(files)[0]?.files_at ?? null;
    const assessmentIds = rowsOf<{ assessment_id: string | null }>(ids).flatMap((r) => (r.assessment_id ? [r.assessment_id] : []));
    return {
      jobId: job.id,
      state: job.state,
      total: job.total,
      done: job.done,
      failed: job.failed,
      duplicatesDropped: job.duplicates + c.duplicates,
      createdAt: job.created_at,
      finishedAt: job.finished_at,
      durationMs: job.finished_at ? new Date(job.finished_at).getTime() - new Date(job.created_at).getTime() : null,
      assessed: c.assessed,
      // Best class first (A+++++ … G), then "none" and "unknown".
      labelCounts: Object.fromEntries(pairs(labels).sort(([a], [b]) => compareLabelClasses(a, b) || a.localeCompare(b))),
      // Every band low to high, then "no value"; empty bands left out.
      valueBands: Object.fromEntries(
        [...VALUE_BANDS.map(([, band]) => band), "no value"].flatMap((band) =>
          bandCounts.has(band) ? [[band, bandCounts.get(band) as number]] : [],
        ),
      ),
      riskCounts: Object.fromEntries(pairs(risks)),
      sectorCounts: sectorCountsOf(rowsOf<Record<string, unknown>>(sectors)),
      failures: failureList,
      ...(c.failed > failureList.length && { moreFailures: c.failed - failureList.length }),
      assessmentIds,
      ...(c.assessed > assessmentIds.length && { moreAssessmentIds: c.assessed - assessmentIds.length }),
      downloads: filesAt && this.host.links ? await this.host.links(job.owner_key, job.id) : null,
    };
  }
}

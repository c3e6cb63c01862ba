import { ASSESSMENT_FACTS, assessProperty } from "../data/assess-address";
import type { SavedAssessment } from "../data/assessments";
import { type AddressSelectorInput, lookupOf, notFound } from "../data/resolve-address";
import type { Services } from "../data/services";
import type { Address, AddressLookup, PropertyFacts } from "../data/types";
import { ENGINE_VERSION } from "../domain/assessment";
import { compareLabelClasses } from "../domain/energy-label";
import { UserError, userFacingMessage } from "../errors";
import { log } from "../log";

/**
 * Portfolio jobs: many quick assessments, run by the user's agent in batches under its scheduler
 * (Durable Object alarms), with the job and every address's outcome in the agent's own SQLite
 * storage. A batch that is retried after an eviction or restart writes each assessment once: its
 * id is derived from the job and the item, and the D1 insert ignores an id it already has.
 *
 * A batch of 25 addresses costs two D1 round trips (one batch resolving every address and reading
 * its facts, one batch saving every assessment; test/data/round-trips.test.ts counts them) and a
 * handful of statements on the agent's own storage, one of them writing every item's outcome.
 * One scheduled run goes through the batches back to back, so a 500-address job does not wait
 * for the scheduler between its batches.
 */
export const MAX_ADDRESSES_PER_JOB = 500;
export const BATCH_SIZE = 25;
/** How long one `runBatch` call goes on with further batches before it hands back to the scheduler. */
export const RUN_BUDGET_MS = 10_000;
/** How often a caller waiting on a job (a streamed tool call, `tasks/result`) looks at it again. */
export const JOB_POLL_MS = 150;

export function untilNextPoll(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS));
}

export type JobState = "running" | "completed" | "cancelled";

type Sql = <T = Record<string, string | number | boolean | null>>(
  strings: TemplateStringsArray,
  ...values: (string | number | boolean | null)[]
) => T[];

export interface JobHost {
  /** The Durable Object's SQLite storage as a tagged template: the strings joined with `?`, the values bound. */
  sql: Sql;
  /**
   * Runs `runBatch(jobId)` soon, durably (survives eviction and restarts), and again while it
   * returns true; a run interrupted by an eviction must run again.
   */
  scheduleBatch(jobId: string): Promise<void>;
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

interface ItemRow {
  job_id: string;
  seq: number;
  input: string;
  /** `duplicate`: the item named an address an earlier item of the job already assessed. */
  status: "pending" | "done" | "failed" | "duplicate";
  address_id: string | null;
  label: string | null;
  assessment_id: string | null;
  value_mid: number | null;
  energy_label: string | null;
  risk_rules: string | null;
  error: string | null;
}

export type JobItemInput = { addressId: string } | AddressSelectorInput;

/** What a batch decided about one item, written back to its row in one statement. */
interface ItemOutcome {
  seq: number;
  status: "done" | "failed" | "duplicate";
  addressId?: string;
  label?: string;
  assessmentId?: string;
  valueMid?: number | null;
  energyLabel?: string | null;
  /** JSON array of the rules flagged. */
  riskRules?: string;
  error?: string;
}

export interface JobSummary {
  jobId: string;
  state: JobState;
  total: number;
  done: number;
  failed: number;
  /** Addresses named more than once: dropped when the job was created, or found when it ran. */
  duplicatesDropped: number;
  createdAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  /** Addresses assessed and saved (processed minus failed minus duplicates found while running). */
  assessed: number;
  labelCounts: Record<string, number>;
  valueBands: Record<string, number>;
  riskCounts: Record<string, number>;
  failures: Array<{ input: string; reason: string }>;
  assessmentIds: string[];
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

async function itemAssessmentId(jobId: string, seq: number): Promise<string> {
  const hex = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${jobId}:${seq}`)))]
    .slice(0, 16)
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function describeInput(input: JobItemInput): string {
  if ("addressId" in input && input.addressId) return input.addressId;
  const s = input as AddressSelectorInput;
  return [s.postcode, s.houseNumber, s.houseLetter, s.houseNumberAddition].filter((x) => x !== undefined && x !== "").join(" ");
}

export class PortfolioJobs {
  /**
   * How long one `runBatch` call goes on with further batches (`RUN_BUDGET_MS`). The tests set 0
   * to make every batch a scheduled run of its own, so they can evict the agent between batches.
   */
  static runBudgetMs = RUN_BUDGET_MS;

  constructor(
    private readonly host: JobHost,
    readonly maxConcurrent: number,
  ) {
    host.sql`CREATE TABLE IF NOT EXISTS portfolio_jobs (
      id TEXT PRIMARY KEY, owner_key TEXT NOT NULL, tenant_id TEXT NOT NULL, state TEXT NOT NULL,
      total INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL, finished_at TEXT, cancel_requested INTEGER NOT NULL DEFAULT 0,
      rpc_id TEXT, last_label TEXT, duplicates INTEGER NOT NULL DEFAULT 0)`;
    host.sql`CREATE TABLE IF NOT EXISTS portfolio_items (
      job_id TEXT NOT NULL, seq INTEGER NOT NULL, input TEXT NOT NULL, status TEXT NOT NULL,
      address_id TEXT, label TEXT, assessment_id TEXT, value_mid REAL, energy_label TEXT, risk_rules TEXT, error TEXT,
      PRIMARY KEY (job_id, seq))`;
    // list() reads a user's jobs newest first; cancelByRequest() finds a job by its starting request.
    host.sql`CREATE INDEX IF NOT EXISTS portfolio_jobs_by_owner ON portfolio_jobs (owner_key, created_at DESC)`;
    host.sql`CREATE INDEX IF NOT EXISTS portfolio_jobs_by_request ON portfolio_jobs (rpc_id)`;
    // Jobs stored before duplicates were counted: add the column once.
    const columns = host.sql<{ name: string }>`SELECT name FROM pragma_table_info('portfolio_jobs')`;
    if (!columns.some((column) => column.name === "duplicates")) {
      host.sql`ALTER TABLE portfolio_jobs ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0`;
    }
    // Jobs stored before the owner's name and e-mail were kept: add the columns once (null for those jobs).
    if (!columns.some((column) => column.name === "owner_name")) {
      host.sql`ALTER TABLE portfolio_jobs ADD COLUMN owner_name TEXT`;
      host.sql`ALTER TABLE portfolio_jobs ADD COLUMN owner_email TEXT`;
    }
  }

  running(ownerKey: string): number {
    return Number(
      this.host.sql<{ n: number }>`SELECT count(*) AS n FROM portfolio_jobs WHERE owner_key = ${ownerKey} AND state = 'running'`[0]?.n ?? 0,
    );
  }

  /** Records a job and its items and schedules its first batch. */
  async create(owner: JobOwner, inputs: JobItemInput[], rpcId: string | number | null, duplicates = 0): Promise<JobRow> {
    if (inputs.length === 0) throw new UserError("The portfolio is empty: give at least one address or postcode with addresses.");
    if (inputs.length > MAX_ADDRESSES_PER_JOB) {
      throw new UserError(
        `That is ${inputs.length} addresses; one portfolio job takes at most ${MAX_ADDRESSES_PER_JOB}. Split it into smaller jobs.`,
      );
    }
    const running = this.running(owner.userKey);
    if (running >= this.maxConcurrent) {
      throw new UserError(
        `You already have ${running} portfolio job(s) running, the most allowed at once is ${this.maxConcurrent}. Wait for one to finish (Get_Portfolio_Status) or stop one with Cancel_Portfolio.`,
      );
    }
    const id = crypto.randomUUID();
    const now = new Date().toISOString();
    // An identity without a name or e-mail claim is kept as "" (known to be absent), not null (not recorded).
    this.host
      .sql`INSERT INTO portfolio_jobs (id, owner_key, tenant_id, state, total, created_at, rpc_id, duplicates, owner_name, owner_email)
      VALUES (${id}, ${owner.userKey}, ${owner.tenantId}, 'running', ${inputs.length}, ${now}, ${rpcId === null ? null : String(rpcId)}, ${duplicates},
        ${owner.displayName ?? ""}, ${owner.email ?? ""})`;
    // Every item in one statement: item `seq` is the input's place in the list.
    const items = JSON.stringify(inputs.map((input) => JSON.stringify(input)));
    this.host.sql`INSERT INTO portfolio_items (job_id, seq, input, status) SELECT ${id}, key, value, 'pending' FROM json_each(${items})`;
    await this.host.scheduleBatch(id);
    return this.#byId(id) as JobRow;
  }

  /** Any user's job, for the scheduler and this class only; callers on a user's behalf use `owned`. */
  #byId(jobId: string): JobRow | null {
    return this.host.sql<JobRow>`SELECT * FROM portfolio_jobs WHERE id = ${jobId}`[0] ?? null;
  }

  /** The job if it belongs to this user; another user's job is simply not found. */
  owned(ownerKey: string, jobId: string): JobRow | null {
    const job = this.#byId(jobId);
    return job && job.owner_key === ownerKey ? job : null;
  }

  /**
   * Cancels a running job: it is marked cancelled at once and no further batch starts; the batch
   * in progress, if any, finishes its addresses. Finished assessments stay.
   */
  cancel(ownerKey: string, jobId: string): JobRow | null {
    const job = this.owned(ownerKey, jobId);
    if (!job) return null;
    if (job.state === "running") this.finish(jobId, "cancelled", true);
    return this.#byId(jobId);
  }

  /** A client's notifications/cancelled for the tools/call that started a job cancels that job. */
  cancelByRequest(rpcId: string | number): number {
    const rows = this.host.sql<{ id: string }>`SELECT id FROM portfolio_jobs WHERE rpc_id = ${String(rpcId)} AND state = 'running'`;
    for (const { id } of rows) this.finish(id, "cancelled", true);
    return rows.length;
  }

  /** The user's jobs, newest first. */
  list(ownerKey: string, limit = 100): JobRow[] {
    return this.host.sql<JobRow>`SELECT * FROM portfolio_jobs WHERE owner_key = ${ownerKey} ORDER BY created_at DESC LIMIT ${limit}`;
  }

  /**
   * The items of a job processed from item `fromSeq` on, in order, up to the first one still
   * pending. Batches take pending items in item order and write a batch's outcomes at once, so
   * the processed items are always the first ones: a caller that has reported the first k asks
   * for `fromSeq = k` and gets each later item exactly once (the job row's `done` bounds the read,
   * so pass a row read just before). Only for a job the caller holds (found through `owned`).
   */
  processedSince(job: JobRow, fromSeq: number): ItemProgress[] {
    const rows = this.host.sql<Pick<ItemRow, "seq" | "status" | "label" | "input" | "error">>`SELECT seq, status, label, input, error
      FROM portfolio_items WHERE job_id = ${job.id} AND seq >= ${fromSeq} AND seq < ${job.done} ORDER BY seq`;
    const out: ItemProgress[] = [];
    for (const row of rows) {
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

  /** Jobs whose batches this instance is running now: a second run of the same job returns at once. */
  readonly #active = new Set<string>();

  /**
   * Runs the job's batches back to back until it is done or cancelled, or `runBudgetMs` has
   * passed; returns whether more remain (the host then schedules another call). Safe to run again
   * after a crash: items done stay done, and an assessment saved before its item was marked done
   * is not saved twice. A call while another runs the same job here returns false at once.
   */
  async runBatch(jobId: string, services: Services): Promise<boolean> {
    if (this.#active.has(jobId)) return false;
    this.#active.add(jobId);
    try {
      const started = Date.now();
      for (;;) {
        if (!(await this.#nextBatch(jobId, services))) return false;
        if (Date.now() - started >= PortfolioJobs.runBudgetMs) return true;
      }
    } finally {
      this.#active.delete(jobId);
    }
  }

  /** Processes the next batch of up to `BATCH_SIZE` items; returns whether more remain. */
  async #nextBatch(jobId: string, services: Services): Promise<boolean> {
    const job = this.#byId(jobId);
    if (job?.state !== "running") return false;
    const batch = this.host
      .sql<ItemRow>`SELECT * FROM portfolio_items WHERE job_id = ${jobId} AND status = 'pending' ORDER BY seq LIMIT ${BATCH_SIZE}`;
    const outcomes = await this.#assessBatch(job, batch, services);
    const lastDone = outcomes.filter((o) => o.status === "done").at(-1)?.label ?? null;
    // Every item's outcome in one statement, after the assessments are in D1; then the job's counts.
    this.host.sql`WITH outcome AS MATERIALIZED (
        SELECT json_extract(value, '$.seq') AS seq, json_extract(value, '$.status') AS status,
               json_extract(value, '$.addressId') AS address_id, json_extract(value, '$.label') AS label,
               json_extract(value, '$.assessmentId') AS assessment_id, json_extract(value, '$.valueMid') AS value_mid,
               json_extract(value, '$.energyLabel') AS energy_label, json_extract(value, '$.riskRules') AS risk_rules,
               json_extract(value, '$.error') AS error
        FROM json_each(${JSON.stringify(outcomes)}))
      UPDATE portfolio_items SET status = outcome.status, address_id = outcome.address_id, label = outcome.label,
        assessment_id = outcome.assessment_id, value_mid = outcome.value_mid, energy_label = outcome.energy_label,
        risk_rules = outcome.risk_rules, error = outcome.error
      FROM outcome WHERE portfolio_items.job_id = ${jobId} AND portfolio_items.seq = outcome.seq`;
    this.host.sql`UPDATE portfolio_jobs SET last_label = coalesce(${lastDone}, last_label),
      done = (SELECT count(*) FROM portfolio_items WHERE job_id = ${jobId} AND status != 'pending'),
      failed = (SELECT count(*) FROM portfolio_items WHERE job_id = ${jobId} AND status = 'failed')
      WHERE id = ${jobId}`;
    if (this.#byId(jobId)?.state !== "running") return false; // cancelled while this batch ran
    const left = Number(
      this.host.sql<{ n: number }>`SELECT count(*) AS n FROM portfolio_items WHERE job_id = ${jobId} AND status = 'pending'`[0]?.n ?? 0,
    );
    if (left === 0) {
      this.finish(jobId, "completed");
      return false;
    }
    return true;
  }

  /**
   * Assesses a batch's items in two D1 round trips: every address resolved and its facts read at
   * once, every assessment saved at once. An item fails alone (bad input, no such address, a
   * register failing for its address); a read or save that fails as a whole fails the items it
   * was for. Only a failing lookup by postcode and number costs one more read, for its message.
   */
  async #assessBatch(job: JobRow, batch: ItemRow[], services: Services): Promise<ItemOutcome[]> {
    const outcomes = new Map<number, ItemOutcome>();
    const fail = (item: ItemRow, error: unknown) => {
      const { message } = userFacingMessage(error, "The assessment", {
        event: "portfolio_item_failed",
        reference: `job ${job.id}`,
        fields: { seq: item.seq },
      });
      outcomes.set(item.seq, { seq: item.seq, status: "failed", error: message });
    };
    const inputs = new Map(batch.map((item) => [item.seq, JSON.parse(item.input) as JobItemInput]));

    // 1. Resolve every address and read what its assessment needs, at once.
    const asked: Array<{ item: ItemRow; lookup: AddressLookup }> = [];
    for (const item of batch) {
      try {
        asked.push({ item, lookup: lookupOf(inputs.get(item.seq) as JobItemInput) });
      } catch (error) {
        fail(item, error);
      }
    }
    const found: Array<{ item: ItemRow; facts: PropertyFacts }> = [];
    try {
      const answers =
        asked.length > 0
          ? await services.data.properties(
              asked.map((a) => a.lookup),
              ASSESSMENT_FACTS,
            )
          : [];
      for (const [i, { item, lookup }] of asked.entries()) {
        const answer = answers[i];
        try {
          if (!answer?.ok) throw answer ? answer.error : new Error("no answer for the lookup");
          found.push({ item, facts: answer.value ?? (await notFound(services, lookup)) });
        } catch (error) {
          fail(item, error);
        }
      }
    } catch (error) {
      for (const { item } of asked) fail(item, error);
    }

    // The same address under another name (a BAG id and its postcode and number) is assessed
    // once: items after the first, in this batch or an earlier one, are duplicates.
    const ids = [...new Set(found.map((f) => f.facts.address.id))];
    const earlier = new Set(
      this.host.sql<{ address_id: string }>`SELECT address_id FROM portfolio_items
          WHERE job_id = ${job.id} AND status = 'done' AND address_id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`.map(
        (row) => row.address_id,
      ),
    );
    const first = new Map<string, ItemRow>();
    const repeats: Array<{ item: ItemRow; address: Address }> = [];
    const toAssess: Array<{ item: ItemRow; facts: PropertyFacts }> = [];
    for (const f of found) {
      const { address } = f.facts;
      if (earlier.has(address.id)) outcomes.set(f.item.seq, { seq: f.item.seq, status: "duplicate", addressId: address.id });
      else if (first.has(address.id)) repeats.push({ item: f.item, address });
      else {
        first.set(address.id, f.item);
        toAssess.push(f);
      }
    }

    // 2. Assess each (no I/O).
    const now = services.now();
    const assessmentIds = await Promise.all(toAssess.map(({ item }) => itemAssessmentId(job.id, item.seq)));
    const assessed: Array<{ item: ItemRow; saved: Omit<SavedAssessment, "createdAt">; outcome: ItemOutcome }> = [];
    for (const [i, { item, facts }] of toAssess.entries()) {
      try {
        const { address } = facts;
        const { label, result } = assessProperty(facts, now);
        const assessmentId = assessmentIds[i] as string;
        const risks = [...result.registerChecks, ...result.risks, ...result.locationFlags].map((r) => r.rule);
        assessed.push({
          item,
          saved: {
            id: assessmentId,
            ownerKey: job.owner_key,
            tenantId: job.tenant_id,
            ownerName: job.owner_name,
            ownerEmail: job.owner_email,
            addressId: address.id,
            addressLabel: label,
            engineVersion: ENGINE_VERSION,
            jobId: job.id,
            inputs: { addressId: address.id, request: inputs.get(item.seq), portfolioJob: job.id },
            result,
          },
          outcome: {
            seq: item.seq,
            status: "done",
            addressId: address.id,
            label,
            assessmentId,
            valueMid: result.value?.mid ?? null,
            // "unknown" when EP-Online could not be asked, so the summary does not count it as no label.
            energyLabel: result.energy.label ?? (result.energy.status === "unknown" ? "unknown" : null),
            riskRules: JSON.stringify(risks),
          },
        });
      } catch (error) {
        fail(item, error);
      }
    }

    // 3. Save every assessment at once; the items are marked done (by the caller) only after this.
    try {
      await services.assessments.saveAllOnce(assessed.map((a) => a.saved));
      for (const { outcome } of assessed) outcomes.set(outcome.seq, outcome);
    } catch (error) {
      for (const { item } of assessed) fail(item, error);
    }

    // A repeat within the batch is a duplicate of its first item if that was assessed; otherwise it shares its fate.
    for (const { item, address } of repeats) {
      const firstOutcome = outcomes.get((first.get(address.id) as ItemRow).seq);
      outcomes.set(
        item.seq,
        firstOutcome?.status === "done"
          ? { seq: item.seq, status: "duplicate", addressId: address.id }
          : { seq: item.seq, status: "failed", error: firstOutcome?.error ?? "failed" },
      );
    }
    return batch.map((item) => outcomes.get(item.seq) ?? { seq: item.seq, status: "failed", error: "failed" });
  }

  private finish(jobId: string, state: JobState, requested = false): void {
    this.host
      .sql`UPDATE portfolio_jobs SET state = ${state}, finished_at = ${new Date().toISOString()}, cancel_requested = ${requested ? 1 : 0},
      done = (SELECT count(*) FROM portfolio_items WHERE job_id = ${jobId} AND status != 'pending'),
      failed = (SELECT count(*) FROM portfolio_items WHERE job_id = ${jobId} AND status = 'failed')
      WHERE id = ${jobId}`;
    log("info", "portfolio_finished", { jobId, state });
  }

  summary(job: JobRow): JobSummary {
    const items = this.host.sql<ItemRow>`SELECT * FROM portfolio_items WHERE job_id = ${job.id} AND status != 'pending' ORDER BY seq`;
    const labelCounts: Record<string, number> = {};
    // Every band low to high, then "no value"; empty bands are left out below.
    const valueBands: Record<string, number> = Object.fromEntries([...VALUE_BANDS.map(([, band]) => [band, 0]), ["no value", 0]]);
    const riskCounts: Record<string, number> = {};
    const failures: JobSummary["failures"] = [];
    const assessmentIds: string[] = [];
    for (const item of items) {
      if (item.status === "duplicate") continue;
      if (item.status === "failed") {
        failures.push({ input: describeInput(JSON.parse(item.input) as JobItemInput), reason: item.error ?? "failed" });
        continue;
      }
      if (item.assessment_id) assessmentIds.push(item.assessment_id);
      const label = item.energy_label ?? "none";
      labelCounts[label] = (labelCounts[label] ?? 0) + 1;
      const band =
        item.value_mid === null ? "no value" : (VALUE_BANDS.find(([upper]) => (item.value_mid as number) < upper)?.[1] ?? "≥ €750k");
      valueBands[band] = (valueBands[band] ?? 0) + 1;
      for (const rule of JSON.parse(item.risk_rules ?? "[]") as string[]) riskCounts[rule] = (riskCounts[rule] ?? 0) + 1;
    }
    return {
      jobId: job.id,
      state: job.state,
      total: job.total,
      done: job.done,
      failed: job.failed,
      duplicatesDropped: job.duplicates + items.filter((item) => item.status === "duplicate").length,
      createdAt: job.created_at,
      finishedAt: job.finished_at,
      durationMs: job.finished_at ? new Date(job.finished_at).getTime() - new Date(job.created_at).getTime() : null,
      assessed: assessmentIds.length,
      // Best class first (A+++++ … G), then "none" and "unknown".
      labelCounts: Object.fromEntries(Object.entries(labelCounts).sort(([a], [b]) => compareLabelClasses(a, b) || a.localeCompare(b))),
      valueBands: Object.fromEntries(Object.entries(valueBands).filter(([, n]) => n > 0)),
      riskCounts,
      failures,
      assessmentIds,
    };
  }
}

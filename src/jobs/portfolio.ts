import { assessAddress } from "../data/assess-address";
import type { AssessmentStore } from "../data/assessments";
import { type AddressSelectorInput, resolveAddress } from "../data/resolve-address";
import type { Services } from "../data/services";
import { ENGINE_VERSION } from "../domain/assessment";
import { UserError, userFacingMessage } from "../errors";
import { log } from "../log";

/**
 * Portfolio jobs: many quick assessments, run by the user's agent in batches under its scheduler
 * (Durable Object alarms), with the job and every address's outcome in the agent's own SQLite
 * storage. A batch that is retried after an eviction or restart writes each assessment once: its
 * id is derived from the job and the item, and the D1 insert ignores an id it already has.
 */
export const MAX_ADDRESSES_PER_JOB = 500;
export const BATCH_SIZE = 25;
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
  sql: Sql;
  /** Runs `runBatch(jobId)` again soon, durably (survives eviction and restarts). */
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
  labelCounts: Record<string, number>;
  valueBands: Record<string, number>;
  riskCounts: Record<string, number>;
  failures: Array<{ input: string; reason: string }>;
  assessmentIds: string[];
}

const VALUE_BANDS: Array<[number, string]> = [
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
    // Jobs stored before duplicates were counted: add the column once.
    const columns = host.sql<{ name: string }>`SELECT name FROM pragma_table_info('portfolio_jobs')`;
    if (!columns.some((column) => column.name === "duplicates")) {
      host.sql`ALTER TABLE portfolio_jobs ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0`;
    }
  }

  running(ownerKey: string): number {
    return Number(
      this.host.sql<{ n: number }>`SELECT count(*) AS n FROM portfolio_jobs WHERE owner_key = ${ownerKey} AND state = 'running'`[0]?.n ?? 0,
    );
  }

  /** Records a job and its items and schedules its first batch. */
  async create(
    owner: { userKey: string; tenantId: string },
    inputs: JobItemInput[],
    rpcId: string | number | null,
    duplicates = 0,
  ): Promise<JobRow> {
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
    this.host.sql`INSERT INTO portfolio_jobs (id, owner_key, tenant_id, state, total, created_at, rpc_id, duplicates)
      VALUES (${id}, ${owner.userKey}, ${owner.tenantId}, 'running', ${inputs.length}, ${now}, ${rpcId === null ? null : String(rpcId)}, ${duplicates})`;
    inputs.forEach((input, seq) => {
      this.host.sql`INSERT INTO portfolio_items (job_id, seq, input, status) VALUES (${id}, ${seq}, ${JSON.stringify(input)}, 'pending')`;
    });
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

  /** Processes the next batch; returns whether more remain. Safe to run again after a crash. */
  async runBatch(jobId: string, services: Services & { assessments: AssessmentStore }): Promise<boolean> {
    const job = this.#byId(jobId);
    if (job?.state !== "running") return false;
    const batch = this.host
      .sql<ItemRow>`SELECT * FROM portfolio_items WHERE job_id = ${jobId} AND status = 'pending' ORDER BY seq LIMIT ${BATCH_SIZE}`;
    for (const item of batch) {
      const input = JSON.parse(item.input) as JobItemInput;
      try {
        const address = await resolveAddress(services, input);
        // The same address under another name (a BAG id and its postcode and number): assessed once.
        const earlier = this.host.sql<{ seq: number }>`SELECT seq FROM portfolio_items
          WHERE job_id = ${jobId} AND address_id = ${address.id} AND seq != ${item.seq} AND status = 'done' LIMIT 1`[0];
        if (earlier) {
          this.host.sql`UPDATE portfolio_items SET status = 'duplicate', address_id = ${address.id}
            WHERE job_id = ${jobId} AND seq = ${item.seq}`;
          continue;
        }
        const { label, result } = await assessAddress(services, address);
        const assessmentId = await itemAssessmentId(jobId, item.seq);
        await services.assessments.saveOnce({
          id: assessmentId,
          ownerKey: job.owner_key,
          tenantId: job.tenant_id,
          addressId: address.id,
          addressLabel: label,
          engineVersion: ENGINE_VERSION,
          jobId,
          inputs: { addressId: address.id, request: input, portfolioJob: jobId },
          result,
        });
        const risks = JSON.stringify([...result.registerChecks, ...result.risks, ...result.locationFlags].map((r) => r.rule));
        this.host
          .sql`UPDATE portfolio_items SET status = 'done', address_id = ${address.id}, label = ${label}, assessment_id = ${assessmentId},
          value_mid = ${result.value?.mid ?? null}, energy_label = ${result.energy.label}, risk_rules = ${risks}
          WHERE job_id = ${jobId} AND seq = ${item.seq}`;
        this.host.sql`UPDATE portfolio_jobs SET last_label = ${label} WHERE id = ${jobId}`;
      } catch (error) {
        const { message: reason } = userFacingMessage(error, "The assessment", {
          event: "portfolio_item_failed",
          reference: `job ${jobId}`,
          fields: { seq: item.seq },
        });
        this.host.sql`UPDATE portfolio_items SET status = 'failed', error = ${reason} WHERE job_id = ${jobId} AND seq = ${item.seq}`;
      }
    }
    this.host.sql`UPDATE portfolio_jobs SET
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
    const valueBands: Record<string, number> = {};
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
      labelCounts,
      valueBands,
      riskCounts,
      failures,
      assessmentIds,
    };
  }
}

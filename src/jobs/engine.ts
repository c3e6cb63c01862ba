import { ASSESSMENT_FACTS, assessProperty } from "../data/assess-address";
import { AssessmentStore, type SavedAssessment } from "../data/assessments";
import { type PortfolioRent, portfolioRent, type RentClass, withoutFigures } from "../data/rent-estimate";
import { type AddressSelectorInput, lookupOf, notFound } from "../data/resolve-address";
import type { Services } from "../data/services";
import type { AddressLookup, D1Queryable, PropertyFacts, PropertySource } from "../data/types";
import { ENGINE_VERSION } from "../domain/assessment";
import { userFacingMessage } from "../errors";
import type { PortfolioResultRow } from "../files/result-row";
import { log } from "../log";

/**
 * The work of a portfolio job, on D1: what one workflow step does with one batch of a job's items
 * (src/jobs/workflow.ts), the end of a job, and the job's result rows for the downloads.
 *
 * Exactly once per address: an item's assessment id is a hash of job id and item number; one
 * batch's assessments, its items' outcomes and the job's counts are written in one D1 batch (one
 * transaction), the assessments with `ON CONFLICT (id) DO NOTHING` and the items only where they
 * are still pending. A step that is run again (a retry, a workflow resumed after a crash, even a
 * second instance of the same job) finds its items done and writes nothing.
 *
 * A batch costs two D1 round trips plus one: the job's state and the batch's pending items (one
 * batch), every address resolved with its facts (one batch, `PropertySource.properties`), and the
 * write; a job that names addresses by postcode and number as well reads one more time, for items
 * that name an address an earlier batch already assessed.
 */

/** Addresses per workflow step: synthetic reads are one D1 batch for all; live ones ask registers (concurrently). */
export const BATCH_SIZE = { synthetic: 500, live: 50 } as const;

export type JobItemInput = { addressId: string } | AddressSelectorInput;

export type ItemStatus = "pending" | "done" | "failed" | "duplicate";

/** A job as D1 holds it (migration 0011). */
export interface D1JobRow {
  id: string;
  owner_key: string;
  tenant_id: string;
  owner_name: string | null;
  owner_email: string | null;
  state: "running" | "completed" | "cancelled";
  total: number;
  done: number;
  failed: number;
  mixed_forms: number;
  instance_id: string;
  created_at: string;
  finished_at: string | null;
}

/** What a batch decided about one item, written back to its row in one statement. */
interface ItemOutcome {
  seq: number;
  status: "done" | "failed" | "duplicate";
  addressId?: string;
  label?: string;
  assessmentId?: string;
  energyLabel?: string | null;
  valueLow?: number | null;
  valueMid?: number | null;
  valueHigh?: number | null;
  valueNote?: string | null;
  /** JSON arrays. */
  riskRules?: string;
  dataGaps?: string;
  duplicateOf?: number;
  error?: string;
  /** The WWS estimate (src/data/rent-estimate.ts); rentSectors a JSON array. */
  rentClass?: RentClass;
  rentPoints?: number | null;
  rentPointsMin?: number | null;
  rentPointsMax?: number | null;
  rentSector?: string | null;
  rentSectors?: string;
  rentMaxEur?: number | null;
  rentMaxEurMin?: number | null;
  rentMaxEurMax?: number | null;
  rentNote?: string;
}

interface PendingItem {
  seq: number;
  row: number;
  input: string;
}

/** Where a job stands after a batch: counted in D1 in the same transaction as the batch's writes. */
export interface JobCounts {
  state: D1JobRow["state"];
  done: number;
  failed: number;
  /** The last address assessed in this batch, for progress messages (null when none was). */
  lastLabel: string | null;
}

export interface EngineDeps {
  /** One D1 session (or the binding): jobs, items and assessments. */
  db: D1Queryable;
  /** The property source (synthetic or live) the addresses are read from. */
  data: PropertySource;
  now: () => Date;
}

export async function itemAssessmentId(jobId: string, seq: number): Promise<string> {
  const hex = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${jobId}:${seq}`)))]
    .slice(0, 16)
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function describeInput(input: JobItemInput): string {
  if ("addressId" in input && input.addressId) return input.addressId;
  const s = input as AddressSelectorInput;
  return [s.postcode, s.houseNumber, s.houseLetter, s.houseNumberAddition].filter((x) => x !== undefined && x !== "").join(" ");
}

const COUNTS_SQL = `SELECT state,
    (SELECT count(*) FROM portfolio_items WHERE job_id = ?1 AND status != 'pending') AS done,
    (SELECT count(*) FROM portfolio_items WHERE job_id = ?1 AND status = 'failed') AS failed
  FROM portfolio_jobs WHERE id = ?1`;

/**
 * Runs batch `index` (items `index × batchSize` up to the next batch) of a job, if the job is
 * still running; returns the job's counts after it. Idempotent: items already done are skipped.
 */
export async function runJobBatch(deps: EngineDeps, jobId: string, index: number, batchSize: number): Promise<JobCounts> {
  const { db } = deps;
  const from = index * batchSize;
  const [jobs, pending] = await db.batch<D1JobRow | PendingItem>([
    db.prepare("SELECT * FROM portfolio_jobs WHERE id = ?1").bind(jobId),
    db
      .prepare(
        "SELECT seq, row, input FROM portfolio_items WHERE job_id = ?1 AND seq >= ?2 AND seq < ?3 AND status = 'pending' ORDER BY seq",
      )
      .bind(jobId, from, from + batchSize),
  ]);
  const job = jobs?.results[0] as D1JobRow | undefined;
  if (!job) throw new Error(`portfolio job ${jobId} is not in D1`);
  const items = (pending?.results ?? []) as PendingItem[];
  if (job.state !== "running" || items.length === 0) return { state: job.state, done: job.done, failed: job.failed, lastLabel: null };

  const outcomes = await assessBatch(deps, job, items);
  const saved = outcomes.filter((o) => o.status === "done");
  const lastLabel = saved.at(-1)?.label ?? null;
  const store = new AssessmentStore(db);
  const createdAt = deps.now().toISOString();
  const results = await db.batch([
    ...store.insertOnceStatements(outcomes.flatMap((o) => (o.saved ? [{ ...o.saved, createdAt }] : []))),
    // Each outcome's item by its primary key. The unary + keeps SQLite from using the (job,
    // status) index instead: it then searched every pending item of the job for each outcome,
    // and a batch's write grew with the job (test/data/query-plans.test.ts pins the plan).
    db
      .prepare(
        `WITH outcome AS MATERIALIZED (
          SELECT json_extract(value, '$.seq') AS seq, json_extract(value, '$.status') AS status,
                 json_extract(value, '$.addressId') AS address_id, json_extract(value, '$.label') AS label,
                 json_extract(value, '$.assessmentId') AS assessment_id, json_extract(value, '$.energyLabel') AS energy_label,
                 json_extract(value, '$.valueLow') AS value_low, json_extract(value, '$.valueMid') AS value_mid,
                 json_extract(value, '$.valueHigh') AS value_high, json_extract(value, '$.valueNote') AS value_note,
                 json_extract(value, '$.riskRules') AS risk_rules, json_extract(value, '$.dataGaps') AS data_gaps,
                 json_extract(value, '$.duplicateOf') AS duplicate_of, json_extract(value, '$.error') AS error,
                 json_extract(value, '$.rentClass') AS rent_class, json_extract(value, '$.rentPoints') AS rent_points,
                 json_extract(value, '$.rentPointsMin') AS rent_points_min, json_extract(value, '$.rentPointsMax') AS rent_points_max,
                 json_extract(value, '$.rentSector') AS rent_sector, json_extract(value, '$.rentSectors') AS rent_sectors,
                 json_extract(value, '$.rentMaxEur') AS rent_max_eur, json_extract(value, '$.rentMaxEurMin') AS rent_max_eur_min,
                 json_extract(value, '$.rentMaxEurMax') AS rent_max_eur_max, json_extract(value, '$.rentNote') AS rent_note
          FROM json_each(?2))
        UPDATE portfolio_items SET status = outcome.status, address_id = outcome.address_id, label = outcome.label,
          assessment_id = outcome.assessment_id, energy_label = outcome.energy_label, value_low = outcome.value_low,
          value_mid = outcome.value_mid, value_high = outcome.value_high, value_note = outcome.value_note,
          risk_rules = outcome.risk_rules, data_gaps = outcome.data_gaps, duplicate_of = outcome.duplicate_of, error = outcome.error,
          rent_class = outcome.rent_class, rent_points = outcome.rent_points, rent_points_min = outcome.rent_points_min,
          rent_points_max = outcome.rent_points_max, rent_sector = outcome.rent_sector, rent_sectors = outcome.rent_sectors,
          rent_max_eur = outcome.rent_max_eur, rent_max_eur_min = outcome.rent_max_eur_min, rent_max_eur_max = outcome.rent_max_eur_max,
          rent_note = outcome.rent_note
        FROM outcome WHERE portfolio_items.job_id = ?1 AND portfolio_items.seq = outcome.seq AND +portfolio_items.status = 'pending'`,
      )
      .bind(jobId, JSON.stringify(outcomes.map(({ saved: _, ...o }) => o))),
    db
      .prepare(
        `UPDATE portfolio_jobs SET
          done = (SELECT count(*) FROM portfolio_items WHERE job_id = ?1 AND status != 'pending'),
          failed = (SELECT count(*) FROM portfolio_items WHERE job_id = ?1 AND status = 'failed')
        WHERE id = ?1`,
      )
      .bind(jobId),
    db.prepare(COUNTS_SQL).bind(jobId),
  ]);
  const counts = results.at(-1)?.results[0] as { state: D1JobRow["state"]; done: number; failed: number };
  return { ...counts, lastLabel };
}

/**
 * Marks a job completed in D1 unless it was cancelled meanwhile; returns its final counts.
 * Idempotent.
 */
export async function completeJob(db: D1Queryable, jobId: string, now: Date): Promise<JobCounts> {
  const [, counts] = await db.batch([
    db
      .prepare(
        `UPDATE portfolio_jobs SET state = 'completed', finished_at = ?2,
          done = (SELECT count(*) FROM portfolio_items WHERE job_id = ?1 AND status != 'pending'),
          failed = (SELECT count(*) FROM portfolio_items WHERE job_id = ?1 AND status = 'failed')
        WHERE id = ?1 AND state = 'running'`,
      )
      .bind(jobId, now.toISOString()),
    db.prepare(COUNTS_SQL).bind(jobId),
  ]);
  const row = counts?.results[0] as { state: D1JobRow["state"]; done: number; failed: number } | undefined;
  if (!row) throw new Error(`portfolio job ${jobId} is not in D1`);
  return { ...row, lastLabel: null };
}

type Outcome = ItemOutcome & { saved?: Omit<SavedAssessment, "createdAt"> };

/**
 * Assesses a batch's items: every address resolved and its facts read at once, each assessed (no
 * I/O). An item fails alone (bad input, no such address, a register failing for its address); a
 * read that fails as a whole fails the items it was for. Only a failing lookup by postcode and
 * number costs one more read, for its message.
 */
async function assessBatch(deps: EngineDeps, job: D1JobRow, batch: PendingItem[]): Promise<Outcome[]> {
  const outcomes = new Map<number, Outcome>();
  const fail = (item: PendingItem, error: unknown) => {
    const { message } = userFacingMessage(error, "The assessment", {
      event: "portfolio_item_failed",
      reference: `job ${job.id}`,
      fields: { seq: item.seq },
    });
    outcomes.set(item.seq, { seq: item.seq, status: "failed", error: message });
  };
  const inputs = new Map(batch.map((item) => [item.seq, JSON.parse(item.input) as JobItemInput]));

  // 1. Resolve every address and read what its assessment needs, at once.
  const asked: Array<{ item: PendingItem; lookup: AddressLookup }> = [];
  for (const item of batch) {
    try {
      asked.push({ item, lookup: lookupOf(inputs.get(item.seq) as JobItemInput) });
    } catch (error) {
      fail(item, error);
    }
  }
  const found: Array<{ item: PendingItem; facts: PropertyFacts }> = [];
  const services = { data: deps.data } as Services;
  try {
    const answers =
      asked.length > 0
        ? await deps.data.properties(
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
  // once: items after the first, in this batch or an earlier one, are duplicates. Only a job
  // that names addresses by postcode and number can have such repeats across batches (repeats of
  // the same form were dropped when the job was created).
  const ids = [...new Set(found.map((f) => f.facts.address.id))];
  const earlier = new Map<string, number>();
  if (job.mixed_forms && ids.length > 0) {
    const { results } = await deps.db
      .prepare(
        `SELECT address_id, min(row) AS row FROM portfolio_items
         WHERE job_id = ?1 AND status = 'done' AND address_id IN (SELECT value FROM json_each(?2)) GROUP BY address_id`,
      )
      .bind(job.id, JSON.stringify(ids))
      .all<{ address_id: string; row: number }>();
    for (const r of results) earlier.set(r.address_id, r.row);
  }
  const first = new Map<string, PendingItem>();
  const repeats: Array<{ item: PendingItem; addressId: string }> = [];
  const toAssess: Array<{ item: PendingItem; facts: PropertyFacts }> = [];
  for (const f of found) {
    const { id } = f.facts.address;
    const before = earlier.get(id);
    if (before !== undefined) outcomes.set(f.item.seq, { seq: f.item.seq, status: "duplicate", addressId: id, duplicateOf: before });
    else if (first.has(id)) repeats.push({ item: f.item, addressId: id });
    else {
      first.set(id, f.item);
      toAssess.push(f);
    }
  }

  // 2. Assess each (no I/O).
  const now = deps.now();
  const referenceDate = now.toISOString().slice(0, 10);
  const assessmentIds = await Promise.all(toAssess.map(({ item }) => itemAssessmentId(job.id, item.seq)));
  for (const [i, { item, facts }] of toAssess.entries()) {
    try {
      const { address } = facts;
      const { label, result } = assessProperty(facts, now);
      const assessmentId = assessmentIds[i] as string;
      const risks = [...result.registerChecks, ...result.risks, ...result.locationFlags].map((r) => r.rule);
      const value = result.value;
      // The WWS estimate from the same facts (no register asked again), as the summary and the spreadsheets count it.
      const rent = rentOf(facts, referenceDate, job.id, item.seq);
      outcomes.set(item.seq, {
        seq: item.seq,
        status: "done",
        addressId: address.id,
        label,
        assessmentId,
        // "unknown" when EP-Online could not be asked, so the summary does not count it as no label.
        energyLabel: result.energy.label ?? (result.energy.status === "unknown" ? "unknown" : null),
        valueLow: value?.low ?? null,
        valueMid: value?.mid ?? null,
        valueHigh: value?.high ?? null,
        valueNote: value ? `${value.basis.method}; ${value.basis.eurPerM2Source}` : (result.valueUnavailableReason ?? null),
        riskRules: JSON.stringify(risks),
        dataGaps: JSON.stringify(result.dataGaps),
        rentClass: rent.class,
        rentPoints: rent.points,
        rentPointsMin: rent.pointsMin,
        rentPointsMax: rent.pointsMax,
        rentSector: rent.sector,
        rentSectors: JSON.stringify(rent.sectorsInRange),
        rentMaxEur: rent.maxRentEur,
        rentMaxEurMin: rent.maxRentMinEur,
        rentMaxEurMax: rent.maxRentMaxEur,
        rentNote: rent.note,
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
      });
    } catch (error) {
      fail(item, error);
    }
  }

  // A repeat within the batch is a duplicate of its first item if that was assessed; otherwise it shares its fate.
  for (const { item, addressId } of repeats) {
    const firstItem = first.get(addressId) as PendingItem;
    const firstOutcome = outcomes.get(firstItem.seq);
    outcomes.set(
      item.seq,
      firstOutcome?.status === "done"
        ? { seq: item.seq, status: "duplicate", addressId, duplicateOf: firstItem.row }
        : { seq: item.seq, status: "failed", error: firstOutcome?.error ?? "failed" },
    );
  }
  return batch.map((item) => outcomes.get(item.seq) ?? { seq: item.seq, status: "failed", error: "failed" });
}

/** The item's WWS estimate; one that cannot be made leaves the item assessed, its estimate "not available". */
function rentOf(facts: PropertyFacts, referenceDate: string, jobId: string, seq: number): PortfolioRent {
  try {
    return portfolioRent(facts, referenceDate);
  } catch (error) {
    log("error", "portfolio_rent_failed", { jobId, seq, error: error instanceof Error ? error.message : String(error) });
    return withoutFigures("notAvailable", "Not available: the WWS estimate could not be made for this address.");
  }
}

interface ItemRow {
  seq: number;
  row: number;
  input: string;
  status: ItemStatus;
  address_id: string | null;
  label: string | null;
  assessment_id: string | null;
  energy_label: string | null;
  value_low: number | null;
  value_mid: number | null;
  value_high: number | null;
  value_note: string | null;
  risk_rules: string | null;
  data_gaps: string | null;
  duplicate_of: number | null;
  error: string | null;
  rent_class: RentClass | null;
  rent_points: number | null;
  rent_points_min: number | null;
  rent_points_max: number | null;
  rent_sector: string | null;
  rent_sectors: string | null;
  rent_max_eur: number | null;
  rent_max_eur_min: number | null;
  rent_max_eur_max: number | null;
  rent_note: string | null;
}

/** Rows per page `resultRows` reads. */
export const RESULT_PAGE_ROWS = 1000;

/**
 * A job's result, one `PortfolioResultRow` per item in input order, read from D1 a page at a time
 * (keyset on the item number), so 50 000 rows never sit in one query or in memory at once. Items
 * not yet processed (a running or cancelled job) are yielded as failed with "not assessed: …".
 * The caller must have checked that the job is the user's (the agent's job index).
 */
export async function* resultRows(db: D1Queryable, jobId: string, pageRows = RESULT_PAGE_ROWS): AsyncGenerator<PortfolioResultRow> {
  let after = -1;
  for (;;) {
    const { results } = await db
      .prepare("SELECT * FROM portfolio_items WHERE job_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3")
      .bind(jobId, after, pageRows)
      .all<ItemRow>();
    for (const item of results) yield toResultRow(item);
    if (results.length < pageRows) return;
    after = (results.at(-1) as ItemRow).seq;
  }
}

function toResultRow(item: ItemRow): PortfolioResultRow {
  const input = describeInput(JSON.parse(item.input) as JobItemInput);
  const pending = item.status === "pending";
  return {
    row: item.row,
    input,
    status: item.status === "pending" ? "failed" : item.status,
    addressId: item.address_id,
    address: item.label,
    energyLabel: item.status === "done" ? (item.energy_label ?? "none") : null,
    valueLow: item.value_low,
    valueMid: item.value_mid,
    valueHigh: item.value_high,
    valueNote: item.value_note,
    risks: JSON.parse(item.risk_rules ?? "[]") as string[],
    dataGaps: JSON.parse(item.data_gaps ?? "[]") as string[],
    assessmentId: item.assessment_id,
    duplicateOf: item.duplicate_of,
    rentClass: item.rent_class,
    rentPoints: item.rent_points,
    rentPointsMin: item.rent_points_min,
    rentPointsMax: item.rent_points_max,
    rentSector: item.rent_sector,
    rentSectorsInRange: JSON.parse(item.rent_sectors ?? "[]") as string[],
    maxRentEur: item.rent_max_eur,
    maxRentMinEur: item.rent_max_eur_min,
    maxRentMaxEur: item.rent_max_eur_max,
    rentNote: item.rent_note,
    error: pending ? "not assessed: the job was cancelled or has not reached this address yet" : item.error,
  };
}

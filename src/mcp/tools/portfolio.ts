import { z } from "zod";
import { SCOPE_READ, SCOPE_WRITE } from "../../auth/scopes";
import { type AddressSelectorInput, lookupOf, selectorKey } from "../../data/resolve-address";
import { parseAddressId, parsePostcode } from "../../domain/address-input";
import { UserError } from "../../errors";
import {
  type ItemProgress,
  type JobItemInput,
  type JobRow,
  type JobSummary,
  MAX_ADDRESSES_CEILING,
  type PortfolioJobs,
  untilNextPoll,
} from "../../jobs/portfolio";
import { SECTOR_WORDS, type SectorClass, type SectorCounts } from "../../jobs/summary";
import { PORTFOLIO_DASHBOARD } from "../apps";
import type { ToolContext, ToolSpec } from "../catalog";
import { AddressSelector, parseUuid } from "./shared";

/** What every view of a job says about it. */
const JobFacts = z.object({
  jobId: z.string(),
  state: z.enum(["running", "completed", "cancelled"]),
  total: z.number(),
  done: z.number(),
  failed: z.number(),
  duplicatesDropped: z.number(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  failures: z.array(z.object({ input: z.string(), reason: z.string() })),
  moreFailures: z.number().optional(),
});

const StatusOut = JobFacts.extend({
  cancelRequested: z.boolean(),
  elapsedMs: z.number(),
});

const SummaryOut = JobFacts.extend({
  durationMs: z.number().nullable(),
  labelCounts: z.record(z.string(), z.number()).describe('Per label class, then "none", "unknown".'),
  assessed: z.number(),
  valueBands: z.record(z.string(), z.number()).describe("Per value-midpoint band."),
  riskCounts: z.record(z.string(), z.number()),
  sectorCounts: z
    .object({
      social: z.number(),
      middle: z.number(),
      free: z.number(),
      undecided: z.number(),
      outsideWws: z.number(),
      notAvailable: z.number(),
      mostLikely: z.object({ social: z.number(), middle: z.number(), free: z.number() }),
    })
    .describe("WWS estimates; undecided: range spans a sector boundary; mostLikely: every estimate by its likeliest sector."),
  assessmentIds: z.array(z.string()),
  moreAssessmentIds: z.number().optional(),
  downloads: z
    .object({
      csv: z.string().describe("The result as CSV (UTF-8, comma-separated): one row per address of the job, in input order."),
      xlsx: z.string().describe("The same rows as an Excel workbook."),
      expiresAt: z.string().describe("When both links stop working; ask for the result again for fresh ones."),
    })
    .nullable()
    .describe("Signed links, yours only, until expiresAt; null until written."),
});

function jobId(raw: string): string {
  return parseUuid(raw, "a job id: job ids");
}

function findJob(ctx: ToolContext, raw: string): JobRow {
  const job = ctx.jobs.owned(ctx.caller.identity.userKey, jobId(raw));
  if (!job) throw new UserError(`You have no portfolio job with id ${raw.trim()}.`);
  return job;
}

async function status(ctx: ToolContext, job: JobRow): Promise<z.infer<typeof StatusOut>> {
  const { duplicatesDropped, failures, moreFailures } = await ctx.jobs.progressFacts(job);
  const end = job.finished_at ? new Date(job.finished_at).getTime() : Date.now();
  const createdAt = job.created_at;
  return {
    jobId: job.id,
    state: job.state,
    total: job.total,
    done: job.done,
    failed: job.failed,
    duplicatesDropped,
    cancelRequested: job.cancel_requested === 1,
    createdAt,
    finishedAt: job.finished_at,
    elapsedMs: end - new Date(createdAt).getTime(),
    failures,
    ...(moreFailures !== undefined && { moreFailures }),
  };
}

/** Addresses processed but neither assessed nor failed: repeats found while the job ran. */
function duplicatesFound(s: Pick<JobSummary, "done" | "failed" | "assessed">): number {
  return Math.max(0, s.done - s.failed - s.assessed);
}

/**
 * What a job came to, counting failures: "31 of 31 assessed", "27 of 27 failed",
 * "25 assessed, 2 failed (27 addresses)"; for a job still running or cancelled, how far it got.
 */
export function outcomeSentence(s: Pick<JobSummary, "state" | "total" | "done" | "failed" | "assessed">): string {
  const dup = duplicatesFound(s);
  const counts = [
    `${s.assessed} assessed`,
    ...(s.failed > 0 ? [`${s.failed} failed`] : []),
    ...(dup > 0 ? [`${dup} skipped as duplicate${dup === 1 ? "" : "s"}`] : []),
  ].join(", ");
  if (s.state === "running") return `running: ${s.done} of ${s.total} processed so far (${counts})`;
  if (s.state === "cancelled") {
    const left = s.total - s.done;
    return `cancelled after ${s.done} of ${s.total} (${counts})${left > 0 ? `; the other ${left} were not started` : ""}`;
  }
  if (s.failed === s.total) return `completed: ${s.total} of ${s.total} failed`;
  if (s.assessed === s.total) return `completed: ${s.total} of ${s.total} assessed`;
  return `completed: ${counts} (${s.total} addresses)`;
}

const FAILURES_SHOWN = 20;

/** What the sector counts are (Calculate_Rent_Points's disclaimer, for a job). */
const SECTOR_NOTE =
  "estimates from registers and stated defaults, not formal points counts: that needs an inspection; per address the points, range and maximum rent are in the spreadsheets";

/** Where the ranges leave the sector open: every dwelling with an estimate by the sector of its most likely total. */
function mostLikelyLine(c: SectorCounts): string {
  const m = c.mostLikely;
  return `WWS sectors by most likely total (every dwelling with an estimate, undecided ones included): social: ${m.social}, middle: ${m.middle}, free: ${m.free}`;
}

export function renderSummary(s: JobSummary): string {
  const counts = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, v]) => `${k}: ${v}`)
      .join(", ") || "none";
  return [
    `Portfolio job ${s.jobId} ${outcomeSentence(s)}${s.durationMs !== null ? ` in ${(s.durationMs / 1000).toFixed(1)} s` : ""}.`,
    ...(s.duplicatesDropped > 0 ? [`Duplicates dropped: ${s.duplicatesDropped} (each address is assessed once)`] : []),
    `Energy labels: ${counts(s.labelCounts)}`,
    `Value midpoints, low to high (midpoints of indicative ranges: indications, not valuations): ${counts(s.valueBands)}`,
    `Risk and location flags: ${counts(s.riskCounts)}`,
    `WWS sectors (${SECTOR_NOTE}): ${(Object.keys(SECTOR_WORDS) as SectorClass[]).map((k) => `${SECTOR_WORDS[k]}: ${s.sectorCounts[k]}`).join(", ")}`,
    mostLikelyLine(s.sectorCounts),
    timesLine(s),
    ...failureLines(s.failures, s.moreFailures),
    s.assessmentIds.length <= MAX_IDS_IN_TEXT && !s.moreAssessmentIds
      ? `Saved assessments: ${s.assessmentIds.join(", ") || "none"}`
      : `Saved assessments: ${s.assessed} (${s.moreAssessmentIds ? `the first ${s.assessmentIds.length} ids` : "their ids"} are in the structured result; Get_Property_Assessments shows each)`,
    ...downloadLines(s),
  ].join("\n");
}

/** Where the result spreadsheets are, or why there are none (yet). */
function downloadLines(s: JobSummary): string[] {
  if (s.downloads) {
    const until = `${s.downloads.expiresAt.slice(0, 10)} ${s.downloads.expiresAt.slice(11, 16)} UTC`;
    return [
      `Result spreadsheets, one row per address (links for you only, valid until ${until}; ask for the result again for fresh ones):`,
      `- Excel: ${s.downloads.xlsx}`,
      `- CSV: ${s.downloads.csv}`,
    ];
  }
  return [
    s.state === "running"
      ? "Result spreadsheets: written when the job ends."
      : "Result spreadsheets: being written; ask for the result again in a moment.",
  ];
}

/** Up to this many assessment ids are listed in the text; more would bury the summary. */
const MAX_IDS_IN_TEXT = 25;

function timesLine(s: { createdAt: string; finishedAt: string | null }): string {
  const at = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
  return `Started ${at(s.createdAt)}${s.finishedAt ? `, finished ${at(s.finishedAt)}` : ", not finished yet"}`;
}

function failureLines(failures: ReadonlyArray<{ input: string; reason: string }>, more = 0): string[] {
  const rest = failures.length - FAILURES_SHOWN + more;
  return [
    ...failures.slice(0, FAILURES_SHOWN).map((f) => `- failed ${f.input}: ${f.reason}`),
    ...(rest > 0 ? [`- … and ${rest} more failures (${more > 0 ? `the first ${failures.length}` : "all"} are in failures)`] : []),
  ];
}

/** A job's status in words: state, counts, timing and every failure with its reason. */
function renderStatus(r: z.infer<typeof StatusOut>): string {
  return [
    `Portfolio job ${r.jobId}: ${r.state}${r.cancelRequested && r.state === "running" ? " (stopping)" : ""}, ${r.done} of ${r.total} done, ${r.failed} failed, ${(r.elapsedMs / 1000).toFixed(1)} s`,
    ...(r.duplicatesDropped > 0 ? [`Duplicates dropped: ${r.duplicatesDropped} (each address is assessed once)`] : []),
    timesLine(r),
    ...failureLines(r.failures, r.moreFailures),
  ].join("\n");
}

export const assessInput = z.object({
  addresses: z
    .array(z.object(AddressSelector))
    .max(MAX_ADDRESSES_CEILING, `A portfolio job takes at most ${MAX_ADDRESSES_CEILING} addresses; split the list.`)
    .optional()
    .describe("addressId or postcode + houseNumber each."),
  postcodes: z.array(z.string().max(40)).max(100).optional().describe("Assess every address at these postcodes."),
  uploadId: z.string().max(64).optional().describe("From Create_Portfolio_Upload (used once, alone)."),
});
export const assessOutput = z.object({
  jobId: z.string(),
  state: z.enum(["running", "completed", "cancelled"]),
  total: z.number().describe("Distinct addresses in the job."),
  duplicatesDropped: z.number(),
  message: z.string(),
  summary: SummaryOut.nullable(),
});

/**
 * The forms under which an address can be named, once normalised: its BAG id, and its postcode
 * with house number, letter and addition. Inputs that do not parse are keyed as written (they
 * fail on their own when the job runs).
 */
function addressKeys(input: AddressSelectorInput): string[] {
  if (input.addressId !== undefined && input.addressId.trim() !== "") {
    const id = parseAddressId(input.addressId);
    return [id.ok ? `id:${id.value}` : `raw:${input.addressId.trim()}`];
  }
  const key = selectorKey(input);
  return key?.ok ? [placeKey(key.value)] : [];
}

function placeKey(a: { postcode: string; houseNumber: number; houseLetter: string | null; houseNumberAddition: string | null }): string {
  return `at:${a.postcode}|${a.houseNumber}|${a.houseLetter ?? ""}|${a.houseNumberAddition ?? ""}`;
}

/**
 * What is wrong with an address entry before anything is read, or null when it names an
 * address (which may still not exist: that is found when the job runs).
 */
function entryProblem(input: AddressSelectorInput): string | null {
  const given = (v: unknown) => v !== undefined && !(typeof v === "string" && v.trim() === "");
  if (!given(input.addressId)) {
    if (!given(input.postcode) && !given(input.houseNumber)) return "names no address: give addressId, or postcode and houseNumber";
    if (!given(input.postcode)) return "postcode is missing (houseNumber alone does not name an address)";
    if (!given(input.houseNumber))
      return "houseNumber is missing (a postcode alone names no address; list whole postcodes under postcodes)";
  }
  try {
    lookupOf(input);
    return null;
  } catch (error) {
    if (error instanceof UserError) return error.message;
    throw error;
  }
}

/** Refuses the whole request, before any job exists, when an address entry names no address; lists each by its index. */
function refuseBadEntries(addresses: readonly AddressSelectorInput[]): void {
  const bad = addresses.flatMap((input, i) => {
    const problem = entryProblem(input);
    return problem === null ? [] : [`- addresses[${i}]: ${problem}`];
  });
  if (bad.length === 0) return;
  const shown = bad.slice(0, FAILURES_SHOWN);
  throw new UserError(
    [
      `No job was started: ${bad.length} of the ${addresses.length} address entries ${bad.length === 1 ? "does" : "do"} not name an address (index from 0). Fix or remove ${bad.length === 1 ? "it" : "them"} and call again:`,
      ...shown,
      ...(bad.length > shown.length ? [`- … and ${bad.length - shown.length} more`] : []),
    ].join("\n"),
  );
}

/**
 * Validates the request, expands postcodes, drops every address named more than once (after
 * normalising: "1234 ab" and "1234AB" are one postcode, an address listed and also inside a listed
 * postcode is one address) and starts the job. Shared with the MCP tasks path.
 */
export async function startPortfolio(
  { addresses, postcodes, uploadId }: z.output<typeof assessInput>,
  ctx: Pick<ToolContext, "services" | "jobs" | "caller" | "rpcId">,
): Promise<JobRow> {
  if (uploadId !== undefined) {
    if ((addresses?.length ?? 0) > 0 || (postcodes?.length ?? 0) > 0) {
      throw new UserError("Give either an uploadId or addresses and postcodes, not both; nothing was started.");
    }
    // The upload's rows, checked when the file arrived (row errors refuse it there) and used once.
    const upload = await ctx.services.uploads.take(ctx.caller.identity.userKey, parseUuid(uploadId, "an upload id: upload ids"));
    return ctx.jobs.create(ctx.caller.identity, upload.inputs, ctx.rpcId, upload.duplicatesDropped, upload.rows);
  }
  refuseBadEntries(addresses ?? []);
  const items: JobItemInput[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  const add = (item: JobItemInput, keys: string[]) => {
    if (keys.some((key) => seen.has(key))) {
      duplicates += 1;
      return;
    }
    for (const key of keys) seen.add(key);
    items.push(item);
  };
  for (const address of addresses ?? []) add(address, addressKeys(address));
  for (const raw of postcodes ?? []) {
    const pc = parsePostcode(raw);
    if (!pc.ok) throw new UserError(pc.error);
    const found = await ctx.services.data.addressesForPostcode(pc.value);
    if (found.length === 0) throw new UserError(`No addresses are known at postcode ${pc.value}; nothing was started.`);
    for (const a of found) add({ addressId: a.id }, [`id:${a.id}`, placeKey({ ...a, postcode: pc.value })]);
    if (items.length > ctx.jobs.limits.maxAddresses) {
      throw new UserError(
        `These postcodes hold more than ${ctx.jobs.limits.maxAddresses} different addresses, the most one portfolio job takes (MAX_ADDRESSES_PER_JOB). Use fewer postcodes per job.`,
      );
    }
  }
  return ctx.jobs.create(ctx.caller.identity, items, ctx.rpcId, duplicates);
}

/** A job that has ended, as the tool (and `tasks/result`) returns it. */
async function finalResult(job: JobRow, jobs: PortfolioJobs): Promise<{ structured: z.output<typeof assessOutput>; text: string }> {
  const summary = await jobs.summary(job);
  return {
    structured: {
      jobId: job.id,
      state: job.state,
      total: job.total,
      duplicatesDropped: summary.duplicatesDropped,
      message: `Portfolio job ${job.id} ${outcomeSentence(summary)}.`,
      summary,
    },
    text: renderSummary(summary),
  };
}

/** One address's progress line: "Assessed Polluxstraat 1, 3817 AC Amersfoort (3 of 31)", or why it failed. */
function progressMessage(item: ItemProgress, k: number, total: number, failedSoFar: number): string {
  const at = `(${k} of ${total}${failedSoFar > 0 ? `, ${failedSoFar} failed so far` : ""})`;
  if (item.status === "failed") return `Could not assess ${item.what}: ${item.error ?? "failed"} ${at}`;
  if (item.status === "duplicate") return `Skipped ${item.what}: already assessed in this job ${at}`;
  return `Assessed ${item.what} ${at}`;
}

/** "Started … for N addresses", saying how many repeats were dropped. */
export function startedMessage(job: JobRow): string {
  const dropped =
    job.duplicates > 0 ? ` (${job.duplicates} duplicate${job.duplicates === 1 ? "" : "s"} dropped: each address is assessed once)` : "";
  return `Started portfolio job ${job.id} for ${job.total} address${job.total === 1 ? "" : "es"}${dropped}.`;
}

export const assessPortfolio: ToolSpec<typeof assessInput, typeof assessOutput> = {
  name: "Assess_Portfolio",
  title: "Assess a portfolio (background job)",
  description:
    "Background job quick-assessing many addresses (a list, postcodes or an uploadId). Use for more than a few; then Get_Portfolio_Status. With a progress token it waits for the summary.",
  input: assessInput,
  output: assessOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  readsRegisters: true,
  requiredScopes: [SCOPE_READ, SCOPE_WRITE],
  async run(args, ctx) {
    const job = await startPortfolio(args, ctx);
    const started = startedMessage(job);
    if (!ctx.progress.enabled) {
      return { jobId: job.id, state: job.state, total: job.total, duplicatesDropped: job.duplicates, message: started, summary: null };
    }
    const goneOn = {
      jobId: job.id,
      state: "running" as const,
      total: job.total,
      duplicatesDropped: job.duplicates,
      message: "The connection closed; the job goes on.",
      summary: null,
    };
    // The job runs in its workflow, batch by batch; this call waits beside it and, while the
    // client keeps the stream open, sends one notification per address as each batch is written.
    // A notification that cannot be sent means the client went away: the job goes on.
    const sent = (progress: number, message: string) =>
      ctx.progress.report(progress, job.total, message).then(
        () => true,
        () => false,
      );
    if (!(await sent(0, `${started} Progress follows for every address, as each batch of up to ${ctx.jobs.limits.batchSize} is assessed.`)))
      return goneOn;
    let reported = 0;
    let failed = 0;
    let current: JobRow = job;
    for (;;) {
      if (ctx.signal.aborted) return goneOn;
      current = ctx.jobs.owned(ctx.caller.identity.userKey, job.id) ?? current;
      for (const item of await ctx.jobs.processedSince(current, reported)) {
        if (item.status === "failed") failed += 1;
        reported = item.seq + 1;
        if (!(await sent(reported, progressMessage(item, reported, job.total, failed)))) return goneOn;
      }
      if (current.state !== "running") break;
      await untilNextPoll();
    }
    return (await finalResult(current, ctx.jobs)).structured;
  },
  task: {
    start: startPortfolio,
    result: finalResult,
  },
  render(r) {
    return r.summary ? renderSummary(r.summary) : r.message;
  },
};

const jobInput = z.object({ jobId: z.string().max(64).describe("From Assess_Portfolio.") });

export const getPortfolioStatus: ToolSpec<typeof jobInput, typeof StatusOut> = {
  name: "Get_Portfolio_Status",
  title: "Portfolio job status",
  description: "Progress of your portfolio job. Use while it runs.",
  input: jobInput,
  output: StatusOut,
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
  requiredScopes: [SCOPE_READ],
  async run({ jobId: raw }, ctx) {
    return await status(ctx, findJob(ctx, raw));
  },
  render: renderStatus,
};

export const getPortfolioResult: ToolSpec<typeof jobInput, typeof SummaryOut> = {
  name: "Get_Portfolio_Result",
  app: PORTFOLIO_DASHBOARD.uri,
  title: "Portfolio job result",
  description: "Summary and CSV/Excel links of your portfolio job. Use once Get_Portfolio_Status says it ended.",
  input: jobInput,
  output: SummaryOut,
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
  requiredScopes: [SCOPE_READ],
  async run({ jobId: raw }, ctx) {
    return ctx.jobs.summary(findJob(ctx, raw));
  },
  render: renderSummary,
};

export const cancelPortfolio: ToolSpec<typeof jobInput, typeof StatusOut> = {
  name: "Cancel_Portfolio",
  title: "Stop a portfolio job",
  description: "Stops your running portfolio job; made assessments stay. Use only when the user asks.",
  input: jobInput,
  output: StatusOut,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  requiredScopes: [SCOPE_READ, SCOPE_WRITE],
  async run({ jobId: raw }, ctx) {
    const job = await ctx.jobs.cancel(ctx.caller.identity.userKey, jobId(raw));
    if (!job) throw new UserError(`You have no portfolio job with id ${raw.trim()}.`);
    return await status(ctx, job);
  },
  render(r) {
    const head =
      r.state === "running"
        ? `Stopping portfolio job ${r.jobId} after its current batch.`
        : `Portfolio job ${r.jobId} is already ${r.state}.`;
    return `${head}\n${renderStatus(r)}`;
  },
};

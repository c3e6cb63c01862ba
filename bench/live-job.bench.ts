import { env } from "cloudflare:workers";
import type { Client } from "@modelcontextprotocol/client";
import { bench, describe } from "vitest";
import { clearResolvedColumns } from "../src/data/live/cbs-properties";
import { ADDRESS_CONCURRENCY } from "../src/data/live/live-source";
import { BATCH_SIZE } from "../src/jobs/portfolio";
import { connectClient } from "../test/helpers/mcp";
import { config, mintToken, newIdentity } from "../test/helpers/oauth";
import { bulkAddressId, bulkStandIn, pacing } from "../test/helpers/register-pacing";
import { everyRegisterStandIn } from "../test/helpers/registers";
import { median, quantile, table } from "./harness";

/*
 * A live portfolio job end to end (issue 18: "with a 200 ms stand-in and the default budgets a
 * live job sustains at least 10 addresses per second"). Project "bench-live" (vitest.config.ts):
 * the real Worker in live mode (DATA_SOURCE=live), its agent, D1, R2 and the job's Cloudflare
 * Workflow (local), with the register stand-ins of test/helpers/ (MSW, the registers' wire
 * formats) answering every request after LATENCY_MS. Each run: a fresh user calls
 * Assess_Portfolio with JOB distinct addresses none of which is cached (distinct per run, and the
 * live cache emptied before), then follows it with Get_Portfolio_Status until it is completed.
 * Reported: addresses per second over the job's own time (created → finished, the summary's
 * durationMs: every batch, the result files, the report to the agent) and over the wall time the
 * client saw (the call until the status said completed, polled every POLL_MS), median and spread
 * over RUNS runs after one small warm-up job. Nothing fails on speed; a job with a failure or a
 * data gap fails the bench (it would not measure what it claims to).
 */

const LATENCY_MS = 200;
const JOB = 250;
const RUNS = 5;
const WARMUP = 10;
const POLL_MS = 250;
const REPORT = (env as unknown as { BENCH_REPORT: Fetcher }).BENCH_REPORT;
const ONCE = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

function standIns() {
  everyRegisterStandIn();
  bulkStandIn();
}

/**
 * Makes the next job cold: without a fetch record the live source asks the register again (its
 * rows in D1 are only read back under a fresh record), and the CBS column keys are forgotten.
 * Each run's addresses are new anyway; this makes the buurt's and gemeente's reads cold too.
 */
async function coldCache() {
  await env.DB.batch([env.DB.prepare("DELETE FROM register_fetches"), env.DB.prepare("DELETE FROM value_basis")]);
  clearResolvedColumns();
}

interface Summary {
  state: string;
  total: number;
  done: number;
  failed: number;
  assessed: number;
  durationMs: number | null;
  labelCounts: Record<string, number>;
  failures: Array<{ input: string; reason: string }>;
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed in the bench: ${JSON.stringify(result.content).slice(0, 400)}`);
  return result.structuredContent as Record<string, unknown>;
}

/** One live job over addresses `from` … `from + count - 1` of the bulk world: its times and what it asked. */
async function liveJob(from: number, count: number) {
  await coldCache();
  const { accessToken } = await mintToken(newIdentity(), ["mcp:read", "mcp:write"]);
  const client = await connectClient(accessToken);
  try {
    pacing.set({ mode: "latency", latencyMs: LATENCY_MS });
    const addresses = Array.from({ length: count }, (_, i) => ({ addressId: bulkAddressId(from + i) }));
    const began = performance.now();
    const { jobId } = (await call(client, "Assess_Portfolio", { addresses })) as { jobId: string };
    for (;;) {
      const status = await call(client, "Get_Portfolio_Status", { jobId });
      if (status.state !== "running") break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const wallMs = performance.now() - began;
    const summary = (await call(client, "Get_Portfolio_Result", { jobId })) as unknown as Summary;
    // A register gap (a register that could not be asked) is a sentence in the item's data gaps (src/data/types.ts describeGap).
    const gaps = await env.DB.prepare(
      "SELECT count(*) AS n FROM portfolio_items WHERE job_id = ?1 AND data_gaps LIKE '%could not be asked%'",
    )
      .bind(jobId)
      .first<{ n: number }>();
    const labelled = Object.entries(summary.labelCounts).filter(([label]) => label !== "none" && label !== "unknown");
    if (
      summary.state !== "completed" ||
      summary.assessed !== count ||
      summary.failed !== 0 ||
      labelled.reduce((sum, [, n]) => sum + n, 0) !== count ||
      gaps?.n !== 0
    ) {
      throw new Error(`the live job did not assess every address from the registers: ${JSON.stringify(summary).slice(0, 600)}`);
    }
    const requests = new Map<string, number>();
    for (const { register } of pacing.log) requests.set(register, (requests.get(register) ?? 0) + 1);
    return { jobMs: summary.durationMs ?? Number.NaN, wallMs, requests, maxInFlight: new Map(pacing.maxInFlight) };
  } finally {
    pacing.set({ mode: "now" });
    await client.close();
  }
}

const spread = (values: number[], digits = 1) =>
  `${median(values).toFixed(digits)} (IQR ${quantile(values, 0.25).toFixed(digits)}–${quantile(values, 0.75).toFixed(digits)}, min–max ${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;

describe("live-job: a live portfolio job against register stand-ins with a fixed latency", () => {
  bench(
    "live job throughput (table printed above)",
    async () => {
      standIns();
      // Warm-up: the workflow engine, the agent and the Worker's modules; not measured.
      await liveJob(90_000, WARMUP);
      const perJob: number[] = [];
      const perWall: number[] = [];
      let last: Awaited<ReturnType<typeof liveJob>> | undefined;
      for (let run = 0; run < RUNS; run++) {
        last = await liveJob(run * JOB, JOB);
        perJob.push(JOB / (last.jobMs / 1000));
        perWall.push(JOB / (last.wallMs / 1000));
      }
      const budgets = config.registerBudgets;
      const perRegister = [...(last?.requests ?? [])]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([register, n]) => `${register} ${n} (≤ ${last?.maxInFlight.get(register) ?? 0} at once)`)
        .join(", ");
      const text = table(
        `live-job: Assess_Portfolio of ${JOB} distinct cold addresses, DATA_SOURCE=live, every register answer after ${LATENCY_MS} ms, default budgets`,
        ["", "addresses per second: median (IQR, min–max)"],
        [
          ["job time: created → finished (the summary's durationMs)", spread(perJob)],
          [`client's wall time: the call → status completed (polled every ${POLL_MS} ms)`, spread(perWall)],
        ],
        [
          `${RUNS} runs after a ${WARMUP}-address warm-up; each a new user, new addresses and an emptied live cache; target ≥ 10 addresses per second.`,
          `The real Worker, agent, D1, R2 and Cloudflare Workflows (local) in workerd; ${BATCH_SIZE.live} addresses per workflow step, ${ADDRESS_CONCURRENCY} under way at once in properties().`,
          `Budgets ${budgets.defaults.concurrency} under way and ${budgets.defaults.perSecond}/s per register (EP-Online ${budgets.overrides["ep-online"]?.concurrency} and ${budgets.overrides["ep-online"]?.perSecond}/s).`,
          `Requests in the last run: ${perRegister}.`,
        ],
      );
      console.log(text);
      const answer = await REPORT.fetch("http://bench-report/live-job", {
        method: "POST",
        body: `## A live portfolio job at a fixed register latency (\`npm run bench\`: \`bench/live-job.bench.ts\`)\n\n\`\`\`text\n${text.replace(/^\n+|\n+$/g, "")}\n\`\`\``,
      });
      if (!answer.ok) console.warn(`docs/benchmarks.md was not written: ${answer.status}`);
    },
    ONCE,
  );
});

/// <reference types="node" />
import { bench, describe } from "vitest";
import { LARGE_JOB_VARS, largeJob, mcpCall, waitForJob } from "../test/e2e/portfolio-job";
import { ANNA, type Stack, signInForToken, startStack } from "../test/e2e/stack";
// @ts-expect-error: a plain .mjs module without types
import { writeBenchSection } from "./report.mjs";

/*
 * `npm run bench` (project "bench-http"): a 50 000-address synthetic portfolio job under
 * `wrangler dev` on loopback, run by Cloudflare Workflows (local), from the Assess_Portfolio call
 * until Get_Portfolio_Status says completed (polled every 250 ms). The job is every address of the
 * synthetic seed by its BAG id, each named a second time by postcode and number (a repeat the job
 * finds when it runs: read and resolved like any address, then counted as a duplicate, no second
 * assessment), and BAG ids of no address to fill up to 50 000 (failures, "no address with BAG id
 * …"). Written into docs/benchmarks.md, section "portfolio-job". Nothing fails on speed.
 */

const ONCE = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
const TOTAL = 50_000;

describe("portfolio job at scale", () => {
  bench(
    "50 000-address synthetic job under wrangler dev",
    async () => {
      let stack: Stack | undefined;
      try {
        stack = await startStack({ vars: LARGE_JOB_VARS });
        const { accessToken } = await signInForToken(stack, ANNA, "mcp:read mcp:write");
        const { addresses, byId, byPlace, missing } = await largeJob(TOTAL);
        const began = performance.now();
        const started = await mcpCall(stack, accessToken, "Assess_Portfolio", { addresses });
        const acceptedMs = performance.now() - began;
        const jobId = started.jobId as string;
        const final = await waitForJob(stack, accessToken, jobId, (s) => s.state !== "running", { timeoutMs: 900_000, everyMs: 250 });
        const wallMs = performance.now() - began;
        const result = await mcpCall(stack, accessToken, "Get_Portfolio_Result", { jobId });
        const seconds = wallMs / 1000;
        const md = [
          "## Portfolio job: 50 000 synthetic addresses under wrangler dev",
          "",
          "| what | figure |",
          "| --- | --- |",
          `| items in the job | ${final.total} (${byId} seed addresses by BAG id, the same ${byPlace} by postcode and number, ${missing} BAG ids of no address) |`,
          `| outcome | ${final.state}: ${result.assessed} assessed, ${result.duplicatesDropped} repeats found while running, ${final.failed} failed |`,
          `| Assess_Portfolio answered | ${(acceptedMs / 1000).toFixed(1)} s |`,
          `| whole job, call to completed status | **${seconds.toFixed(1)} s** (target ≤ 60 s) |`,
          `| items per second | ${Math.round(final.total / seconds)} |`,
          `| assessed addresses per second | ${Math.round((result.assessed as number) / seconds)} |`,
          "",
          "One workflow step per 500 items (the synthetic batch size): the job's state and the batch's items, every address resolved with its facts, the earlier-repeat check (the job names addresses by postcode and number too), and one write (assessments, items, counts) in one D1 transaction; then a progress report to the user's agent. Measured once per run; the figure includes polling at 250 ms.",
        ].join("\n");
        writeBenchSection("portfolio-job", md);
        console.log(md);
      } finally {
        await stack?.stop();
      }
    },
    ONCE,
  );
});

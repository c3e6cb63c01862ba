/// <reference types="node" />
// Exactly once per address through `kill -9`: a portfolio job over every address of the seed
// under `wrangler dev`, killed (wrangler dev's whole process group, by its recorded pid) while the
// job is mid-way, restarted on the same local state; the job then completes (its workflow instance
// resumes, or the agent's alarm starts a new one for the stalled job), and D1 holds one
// assessment per address, each item processed once, done = total.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { d1Query, jobStatus, LARGE_JOB_VARS, largeJob, mcpCall, waitForJob } from "./portfolio-job";
import { ANNA, type Stack, signInForToken, startStack } from "./stack";

describe("a portfolio job and a crash", () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ processGroup: true, vars: LARGE_JOB_VARS });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("assesses every address exactly once through kill -9 mid-job and a restart", { timeout: 600_000 }, async () => {
    const { accessToken } = await signInForToken(stack, ANNA, "mcp:read mcp:write");
    // 50 000 items: every seed address by id, again by postcode and number (repeats found while running), and failures.
    const { addresses, byId, missing } = await largeJob();
    // Under wrangler dev the Assess_Portfolio answer of a job this large is held until the job
    // ends (seen, cause not found; see the report), so the job is watched in D1 while the call is
    // still open, and the kill comes while it runs.
    // The call answers at once with the running job (it used to be held until the job ended,
    // with every other request: see turnForOtherRequests in src/jobs/workflow.ts), and the job
    // is followed through MCP while it runs.
    const started = await mcpCall(stack, accessToken, "Assess_Portfolio", { addresses });
    expect(started.state).toBe("running");
    const jobId = started.jobId as string;
    const during = await waitForJob(stack, accessToken, jobId, (s) => s.done > 0 || s.state !== "running", {
      timeoutMs: 300_000,
      everyMs: 200,
    });
    expect(during.state).toBe("running");
    const before = during.done;
    expect(before).toBeLessThan(addresses.length);
    await stack.crash();
    const [atCrash] = await d1Query<{ done: number }>(
      stack,
      `SELECT count(*) AS done FROM portfolio_items WHERE job_id = '${jobId}' AND status != 'pending'`,
    );
    expect(atCrash?.done ?? 0).toBeLessThan(addresses.length);
    await stack.restart();

    const final = await waitForJob(stack, accessToken, jobId, (s) => s.state !== "running", { timeoutMs: 420_000, everyMs: 1000 });
    expect(final).toMatchObject({ state: "completed", total: addresses.length, done: addresses.length, failed: missing });

    // D1: every item processed once, one assessment per address and none twice.
    const [items] = await d1Query<{ n: number; done: number; duplicate: number; failed: number; pending: number }>(
      stack,
      `SELECT count(*) AS n, sum(status = 'done') AS done, sum(status = 'duplicate') AS duplicate, sum(status = 'failed') AS failed,
         sum(status = 'pending') AS pending FROM portfolio_items WHERE job_id = '${jobId}'`,
    );
    expect(items).toEqual({ n: addresses.length, done: byId, duplicate: addresses.length - byId - missing, failed: missing, pending: 0 });
    const [saved] = await d1Query<{ n: number; addresses: number; ids: number }>(
      stack,
      `SELECT count(*) AS n, count(DISTINCT address_id) AS addresses, count(DISTINCT id) AS ids FROM assessments WHERE job_id = '${jobId}'`,
    );
    expect(saved).toEqual({ n: byId, addresses: byId, ids: byId });
    const twice = await d1Query<{ address_id: string }>(
      stack,
      `SELECT address_id FROM assessments WHERE job_id = '${jobId}' GROUP BY address_id HAVING count(*) > 1 LIMIT 5`,
    );
    expect(twice).toEqual([]);
    const [job] = await d1Query<{ state: string; done: number; total: number }>(
      stack,
      `SELECT state, done, total FROM portfolio_jobs WHERE id = '${jobId}'`,
    );
    expect(job).toEqual({ state: "completed", done: addresses.length, total: addresses.length });
    // Each address once: every saved assessment's address is one of the seed's, counted once above.
    // Whether the instance resumed by itself or the agent started a new one, say which (the report reads it).
    const resumed = /portfolio_stalled/.test(stack.logs());
    console.log(
      `portfolio crash: ${before} of ${addresses.length} items done when first seen in D1, killed right after; resumed by ${resumed ? "the agent (new instance)" : "Workflows"}`,
    );
    expect((await jobStatus(stack, accessToken, jobId)).state).toBe("completed");

    // The whole result as a spreadsheet, from its signed link, in a plain HTTP client: one row per item.
    const result = await mcpCall(stack, accessToken, "Get_Portfolio_Result", { jobId });
    const downloads = result.downloads as { csv: string; xlsx: string };
    const csv = await fetch(downloads.csv);
    expect(csv.status).toBe(200);
    const lines = (await csv.text()).trimEnd().split("\r\n");
    expect(lines).toHaveLength(addresses.length + 1);
    expect(lines.filter((line) => line.includes(",done,")).length).toBe(byId);
    const xlsx = await fetch(downloads.xlsx);
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers.get("content-type")).toContain("spreadsheetml");
  });
});

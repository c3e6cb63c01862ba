import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PortfolioJobs } from "../src/jobs/portfolio";
import type { PandgateAgent } from "../src/mcp/agent";

/**
 * The agent's alarm runs portfolio batches from its list of due batches (`portfolio_batches`).
 * These tests take the alarm or the list away and check that a job still finishes, each address
 * assessed once. The end-to-end behaviour (progress, cancel, eviction mid-job) is in
 * test/portfolio.test.ts.
 */
const TIMEOUT = 60_000;
const owner = { userKey: "alarm-test-user", tenantId: "alarm-test-tenant" };

async function addressIds(count: number, offset: number): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT id FROM addresses WHERE is_synthetic = 1 ORDER BY id LIMIT ?1 OFFSET ?2")
    .bind(count, offset)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

function agentStub() {
  return env.MCP_AGENT.getByName(`alarm-test-${crypto.randomUUID()}`);
}

/** Waits for the job to leave `running`, reading the agent's storage; then its state and what is left. */
async function finished(stub: DurableObjectStub<PandgateAgent>, jobId: string) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const seen = await runInDurableObject(stub, (agent: PandgateAgent) => ({
      job: agent.jobs.owned(owner.userKey, jobId),
      listed: agent.sql<{ n: number }>`SELECT count(*) AS n FROM portfolio_batches`[0]?.n,
    }));
    if (seen.job?.state !== "running") return seen;
    if (Date.now() > deadline) throw new Error(`job ${jobId} stuck at ${JSON.stringify(seen.job)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function savedForJob(jobId: string): Promise<{ n: number; distinct: number }> {
  const row = await env.DB.prepare("SELECT count(*) AS n, count(DISTINCT address_id) AS d FROM assessments WHERE job_id = ?1")
    .bind(jobId)
    .first<{ n: number; d: number }>();
  return { n: row?.n ?? 0, distinct: row?.d ?? 0 };
}

describe("the agent's alarm", () => {
  it(
    "finishes a job whose alarm was lost, once the object starts again",
    async () => {
      const stub = agentStub();
      const ids = await addressIds(60, 9000);
      const jobId = await runInDurableObject(stub, async (agent: PandgateAgent, state) => {
        const job = await agent.jobs.create(
          owner,
          ids.map((addressId) => ({ addressId })),
          null,
        );
        await state.storage.deleteAlarm();
        return job.id;
      });
      await evictDurableObject(stub);
      const { job, listed } = await finished(stub, jobId);
      expect(job).toMatchObject({ state: "completed", total: 60, done: 60 });
      expect(listed).toBe(0);
      expect(await savedForJob(jobId)).toEqual({ n: 60 - (job?.failed ?? 0), distinct: 60 - (job?.failed ?? 0) });
    },
    TIMEOUT,
  );

  it(
    "goes on with the running jobs of storage written under the agents scheduler (no list of due batches)",
    async () => {
      const stub = agentStub();
      const ids = await addressIds(40, 9100);
      const jobId = await runInDurableObject(stub, async (agent: PandgateAgent) => {
        // Storage as the `agents` scheduler left it: the jobs and their items, no list, no alarm of ours.
        agent.sql`DROP TABLE portfolio_batches`;
        const before = new PortfolioJobs({ sql: agent.sql.bind(agent), scheduleBatch: async () => {} }, 2);
        return (
          await before.create(
            owner,
            ids.map((addressId) => ({ addressId })),
            null,
          )
        ).id;
      });
      await evictDurableObject(stub);
      const { job, listed } = await finished(stub, jobId);
      expect(job).toMatchObject({ state: "completed", total: 40, done: 40 });
      expect(listed).toBe(0);
      expect(await savedForJob(jobId)).toEqual({ n: 40 - (job?.failed ?? 0), distinct: 40 - (job?.failed ?? 0) });
    },
    TIMEOUT,
  );

  it("leaves a finished or cancelled job off the list", async () => {
    const stub = agentStub();
    const ids = await addressIds(200, 9200);
    const jobId = await runInDurableObject(stub, async (agent: PandgateAgent) => {
      const job = await agent.jobs.create(
        owner,
        ids.map((addressId) => ({ addressId })),
        null,
      );
      agent.jobs.cancel(owner.userKey, job.id);
      return job.id;
    });
    const { job, listed } = await finished(stub, jobId);
    expect(job?.state).toBe("cancelled");
    // The alarm drops a cancelled job's entry when it next runs.
    const deadline = Date.now() + 30_000;
    let left = listed;
    while (left !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      left = (await finished(stub, jobId)).listed;
    }
    expect(left).toBe(0);
  });
});

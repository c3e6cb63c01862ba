import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PandgateAgent } from "../src/mcp/agent";

/**
 * Portfolio jobs run on Cloudflare Workflows; the agent's alarm only watches them (and forwards
 * the audit outbox). These tests take the alarm away, or leave a job of the scheduler the
 * workflows replaced, and check what becomes of the job. Progress, cancel, eviction mid-job and a
 * stalled instance resumed are in test/portfolio.test.ts.
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

/** Waits for the job to leave `running`, reading the agent's storage. */
async function finished(stub: DurableObjectStub<PandgateAgent>, jobId: string) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const job = await runInDurableObject(stub, (agent: PandgateAgent) => agent.jobs.owned(owner.userKey, jobId));
    if (job?.state !== "running") return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} stuck at ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function savedForJob(jobId: string): Promise<{ n: number; distinct: number }> {
  const row = await env.DB.prepare("SELECT count(*) AS n, count(DISTINCT address_id) AS d FROM assessments WHERE job_id = ?1")
    .bind(jobId)
    .first<{ n: number; d: number }>();
  return { n: row?.n ?? 0, distinct: row?.d ?? 0 };
}

describe("the agent's alarm and portfolio jobs", () => {
  it(
    "does not run the job: a job whose alarm was lost finishes under its workflow",
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
      const job = await finished(stub, jobId);
      expect(job).toMatchObject({ state: "completed", total: 60, done: 60 });
      expect(await savedForJob(jobId)).toEqual({ n: 60 - (job?.failed ?? 0), distinct: 60 - (job?.failed ?? 0) });
    },
    TIMEOUT,
  );

  it(
    "ends a running job of the scheduler the workflows replaced (its items are not in D1), once the object starts again",
    async () => {
      const stub = agentStub();
      const jobId = crypto.randomUUID();
      await runInDurableObject(stub, async (agent: PandgateAgent, state) => {
        agent.jobs.running(owner.userKey); // creates the table
        agent.sql`INSERT INTO portfolio_jobs (id, owner_key, tenant_id, state, total, created_at)
          VALUES (${jobId}, ${owner.userKey}, ${owner.tenantId}, 'running', 3, ${new Date().toISOString()})`;
        await state.storage.deleteAlarm();
      });
      await evictDurableObject(stub);
      // Any request wakes the object; its constructor sets the alarm, which ends the job.
      const job = await finished(stub, jobId);
      expect(job).toMatchObject({ state: "cancelled", total: 3 });
    },
    TIMEOUT,
  );
});

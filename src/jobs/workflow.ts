import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { type Config, parseConfig } from "../config";
import { createPropertySource } from "../data/services";
import { completeJob, type EngineDeps, type JobCounts, runJobBatch } from "./engine";
import { buildResultFiles } from "./files";
import type { PortfolioParams } from "./portfolio";

/** How a failing step is retried: the batch is idempotent (./engine.ts), so a retry only costs time. */
const STEP_RETRIES = { retries: { limit: 8, delay: "1 second" as const, backoff: "exponential" as const }, timeout: "10 minutes" as const };

let config: Config | undefined;

/**
 * Lets the runtime answer other requests before the next batch. Under `wrangler dev` the Worker,
 * its agents, the local Workflows engine and D1 share one workerd process, whose event loop reads
 * its sockets only once no other work is ready; a job's steps never wait on a socket, so without
 * this turn no request (not even the one that started the job) was answered until the job ended
 * (a 50 000-address job held every answer for over a minute). A timer gives the loop that turn.
 * Deployed, a workflow runs apart from the Worker and this costs a millisecond per batch.
 */
function turnForOtherRequests(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1));
}

/**
 * A portfolio job on Cloudflare Workflows (binding PORTFOLIO_WORKFLOW, wrangler.toml). The user's
 * agent creates one instance per job (src/jobs/portfolio.ts); each batch of the job's items is one
 * step, named by its index, which reads the job's state first (a cancelled job stops before its
 * next batch), assesses the batch and writes it in one D1 transaction (src/jobs/engine.ts), then
 * reports the counts to the agent. Steps are retried and memoised by name; each is idempotent, so
 * a step run again, or a new instance the agent starts for a job whose instance stopped
 * reporting, assesses nothing twice.
 */
export class PortfolioWorkflow extends WorkflowEntrypoint<Env, PortfolioParams> {
  override async run(event: Readonly<WorkflowEvent<PortfolioParams>>, step: WorkflowStep): Promise<JobCounts> {
    const { jobId, ownerKey, total, batchSize } = event.payload;
    config ??= parseConfig(this.env as unknown as Record<string, unknown>);
    const agent = this.env.MCP_AGENT.getByName(ownerKey);
    // One D1 session per step, from the primary: the batch's reads see every earlier batch's writes.
    const deps = (db: D1DatabaseSession): EngineDeps => ({ db, data: createPropertySource(config as Config, db), now: () => new Date() });
    const batches = Math.ceil(total / batchSize);
    let stopped: JobCounts | undefined;
    for (let index = 0; index < batches; index++) {
      await turnForOtherRequests();
      const counts = await step.do(`batch ${index}`, STEP_RETRIES, async () => {
        const session = this.env.DB.withSession("first-primary");
        const result = await runJobBatch(deps(session), jobId, index, batchSize);
        // The user's next request reads at least this new a database (their saved assessments).
        await agent.portfolioProgress(jobId, result, session.getBookmark());
        return result;
      });
      if (counts.state !== "running") {
        stopped = counts;
        break;
      }
    }

    // The result files, once no further batch runs: a completed job's, and a cancelled one's
    // (what was done, the rest marked "not assessed"). Before "complete", so a completed job
    // always has its downloads.
    await step.do("files", STEP_RETRIES, () => buildResultFiles(this.env, jobId, ownerKey, new Date()));
    if (stopped) return stopped;

    return step.do("complete", STEP_RETRIES, async () => {
      const counts = await completeJob(this.env.DB, jobId, new Date());
      await agent.portfolioFinished(jobId, counts);
      return counts;
    });
  }
}

import { DurableObject } from "cloudflare:workers";
import { preloadSchemas } from "@modelcontextprotocol/server";
import { AuditOutbox, OUTBOX_FLUSH_DELAY_MS, outboxRetryDelay } from "../audit/outbox";
import { AuditStore } from "../audit/store";
import { type Config, parseConfig } from "../config";
import { agentServices, keepBookmark } from "../data/services";
import { downloadLinks } from "../files/links";
import type { JobCounts } from "../jobs/engine";
import { BATCH_SIZE, type JobRow, PortfolioJobs } from "../jobs/portfolio";
import { describeError, log } from "../log";
import { answerMcp } from "./answer";
import { type Caller, CallerSchema, type ToolCallRecorder, toolCallEvent } from "./caller";
import { LegacySessions } from "./session";

type SqlValue = string | number | boolean | null;

/** While a portfolio job runs, the alarm looks at it this often. */
const WATCH_MS = 5_000;
/** A running job whose workflow has not reported for this long is resumed by a new instance. */
export const STALL_MS = 30_000;

/**
 * One Durable Object per signed-in user, named by the user key. The gateway calls `serveMcp` with
 * each authenticated request it does not answer itself (`tools/list` and stateless read-only
 * tools it does, ./gateway.ts), the JSON-RPC message it already parsed, and the caller's identity
 * and scopes for that request; the agent answers it with the MCP SDK v2 handler (the `agents`
 * package's `createMcpHandler`, through ./answer.ts, the code the Worker answers with too). Nothing about the caller is kept between requests, so a
 * refreshed, narrowed or revoked grant is seen on the very next call. Every tools/call that
 * reaches the agent is recorded once in the audit trail: by the tool's own run (./server.ts), by a
 * task start (./tasks.ts), or here when the SDK will refuse it. The event is written to this
 * object's SQLite storage (the audit outbox, ../audit/outbox.ts) before the answer leaves, and the
 * alarm forwards the outbox to D1 in batches about a second later, retrying with backoff while D1
 * refuses; nothing is sent per call.
 *
 * Sessions: a 2025-era client whose `initialize` declares form elicitation gets an
 * `Mcp-Session-Id`, which this object keeps (the client id and the `initialize` parameters, not
 * the caller's scopes), so that a tool can ask that client during a call (./session.ts).
 *
 * Portfolio jobs: this object keeps the user's job index, progress and cancel
 * (../jobs/portfolio.ts) and starts each job's Cloudflare Workflows instance
 * (../jobs/workflow.ts), which reports every batch back here (`portfolioProgress`,
 * `portfolioFinished`). While a job runs, the alarm looks at it every few seconds: a job whose
 * instance has not reported for STALL_MS (an instance lost to a crash, an errored or terminated
 * one) gets a new instance, which skips the items already done; a job whose end was not reported
 * is read back from D1.
 *
 * This is a plain Durable Object. The `agents` package's `Agent` class is not used: it brings an
 * MCP client, e-mail, WebSocket and scheduling machinery pandgate does not need, which doubled the
 * bundle and its start-up time.
 */
export class PandgateAgent extends DurableObject<Env> {
  #config?: Config;
  #jobs?: PortfolioJobs;
  #sessions?: LegacySessions;
  /** Tool-call audit events waiting in this object's storage for the alarm to forward them to D1. */
  readonly #outbox: AuditOutbox;
  /** Whether an alarm is known to be due for the outbox (so recording a call sets none). */
  #outboxAlarmSet = false;
  /** Failed forwards in a row, and when the next may be tried (backoff while D1 refuses). */
  #outboxFailures = 0;
  #outboxRetryAt: number | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // The MCP SDK's wire schemas, built once per isolate before this agent's first request; the
    // Worker does not build them at start-up (shims/mcp-server-workerd.mjs).
    preloadSchemas();
    this.#outbox = new AuditOutbox(ctx.storage.sql);
    // The list of due batches of the scheduler the workflows replaced.
    ctx.storage.sql.exec("DROP TABLE IF EXISTS portfolio_batches");
    // Jobs running, or audit events not yet forwarded (a restart, a lost alarm): make sure the alarm runs.
    if (this.#hasRunningJobs() || this.#outbox.size() > 0) void ctx.blockConcurrencyWhile(() => this.#alarmBy(Date.now()));
  }

  /** The name this object was addressed by: the user key (`getByName`). */
  get name(): string | undefined {
    return this.ctx.id.name;
  }

  /** The Worker's settings, from this object's own bindings (validated as the Worker's are). */
  get config(): Config {
    this.#config ??= parseConfig(this.env as unknown as Record<string, unknown>);
    return this.#config;
  }

  /** The user's portfolio jobs: the index in this object's storage, the items in D1, the work in a workflow. */
  get jobs(): PortfolioJobs {
    const { config } = this;
    this.#jobs ??= new PortfolioJobs(
      {
        sql: this.sql.bind(this),
        db: this.env.DB,
        start: async (id, params) => {
          await this.env.PORTFOLIO_WORKFLOW.create({ id, params });
        },
        record: (event) => this.#recordCall(event),
        watch: () => this.#alarmBy(Date.now() + WATCH_MS),
        links: (ownerKey, jobId) => downloadLinks(config, ownerKey, jobId),
      },
      {
        maxConcurrent: config.maxConcurrentJobs,
        maxPerTenant: config.maxRunningJobsPerTenant,
        maxAddresses: config.maxAddressesPerJob,
        batchSize: PandgateAgent.batchSize ?? BATCH_SIZE[config.dataSource],
      },
    );
    return this.#jobs;
  }

  /** The user's 2025-era MCP sessions, for clients that can be asked during a call (./session.ts). */
  get sessions(): LegacySessions {
    this.#sessions ??= new LegacySessions(this.sql.bind(this));
    return this.#sessions;
  }

  /** Addresses per workflow step for jobs created from now on; unset, BATCH_SIZE of the data source. The tests set it. */
  static batchSize: number | undefined;

  /** A query on this object's SQLite storage with its values bound: sql`SELECT … WHERE id = ${id}`. */
  sql<T = Record<string, SqlStorageValue>>(strings: TemplateStringsArray, ...values: SqlValue[]): T[] {
    const bound = values.map((value) => (typeof value === "boolean" ? Number(value) : value));
    return this.ctx.storage.sql.exec(strings.join("?"), ...bound).toArray() as unknown as T[];
  }

  async serveMcp(request: Request, message: unknown, callerInput: Caller): Promise<Response> {
    const caller = CallerSchema.parse(callerInput);
    const { config, jobs } = this;
    // One D1 session per request, from the newest bookmark this user's writes left (read your own writes on replicas).
    const services = await agentServices(config, this.env, this.ctx.storage);
    const record: ToolCallRecorder = (call) => this.#recordCall(toolCallEvent(caller, call));
    const context = { caller, services, jobs, record, files: this.env.FILES };
    // What needs a session (a 2025-era client that can be asked) is answered there; the rest statelessly.
    return (await this.sessions.serve(request, message, context)) ?? answerMcp(request, message, context);
  }

  /** A client cancelled the tools/call that started a job: stop that job. */
  async cancelJobsForRequest(rpcId: string | number): Promise<number> {
    return this.jobs.cancelByRequest(rpcId);
  }

  /** A job's workflow wrote a batch: its counts (from D1), and the D1 bookmark after the write. */
  async portfolioProgress(jobId: string, counts: JobCounts, bookmark: string | null): Promise<void> {
    this.jobs.progress(jobId, counts);
    await keepBookmark(this.ctx.storage, bookmark);
  }

  /** A job's workflow ended the job (completed, or found it cancelled). */
  async portfolioFinished(jobId: string, counts: JobCounts): Promise<void> {
    this.jobs.finished(jobId, counts);
  }

  /**
   * The alarm: forwards the audit outbox, looks after running portfolio jobs, and sets itself
   * again while either has something waiting.
   */
  override async alarm(): Promise<void> {
    this.#outboxAlarmSet = false;
    await this.#forwardAudit();
    const running = this.#hasRunningJobs() ? this.jobs.runningJobs() : [];
    for (const job of running) {
      try {
        await this.#watchJob(job);
      } catch (error) {
        log("error", "portfolio_watch_failed", { jobId: job.id, error: describeError(error) });
      }
    }
    const due = [this.#hasRunningJobs() ? Date.now() + WATCH_MS : undefined, this.#outboxDueAt()].filter(
      (at): at is number => at !== undefined,
    );
    if (due.length > 0) await this.ctx.storage.setAlarm(Math.max(Math.min(...due), Date.now()));
  }

  /**
   * A running job that has not reported for STALL_MS: finished in D1 (its end was not reported)
   * → read back; otherwise its instance is lost, errored or stuck → a new instance resumes it.
   */
  async #watchJob(job: JobRow): Promise<void> {
    if (job.instance_id === null) {
      // Started by the scheduler the workflows replaced: its items are not in D1, so it cannot go on.
      this.sql`UPDATE portfolio_jobs SET state = 'cancelled', finished_at = ${new Date().toISOString()} WHERE id = ${job.id}`;
      log("warn", "portfolio_legacy_job_ended", { jobId: job.id });
      return;
    }
    if (Date.now() - (job.progress_at ?? 0) < STALL_MS) return;
    let status = "unknown";
    try {
      status = (await (await this.env.PORTFOLIO_WORKFLOW.get(job.instance_id)).status()).status;
    } catch (error) {
      log("warn", "portfolio_instance_unknown", { jobId: job.id, instanceId: job.instance_id, error: describeError(error) });
    }
    if (status === "complete") {
      await this.jobs.syncFromD1(job.id);
      return;
    }
    log("warn", "portfolio_stalled", { jobId: job.id, instanceId: job.instance_id, status });
    await this.jobs.resume(job);
  }

  #hasRunningJobs(): boolean {
    const exists = this.sql`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'portfolio_jobs'`.length > 0;
    return exists && this.sql`SELECT 1 FROM portfolio_jobs WHERE state = 'running' LIMIT 1`.length > 0;
  }

  /**
   * Records one tools/call's audit event: written to this object's storage now (durable before
   * the answer leaves, by the output gate), forwarded to D1 by the alarm shortly after.
   */
  #recordCall(input: Parameters<AuditOutbox["add"]>[0]): void {
    if (!this.#outbox.add(input) || this.#outboxAlarmSet) return;
    this.#outboxAlarmSet = true;
    const at = this.#outboxRetryAt ?? Date.now() + OUTBOX_FLUSH_DELAY_MS;
    this.#alarmBy(at).catch((error: unknown) => {
      this.#outboxAlarmSet = false;
      log("error", "audit_alarm_failed", { error: describeError(error) });
    });
  }

  /** Forwards the outbox to D1, unless a failed try asked to wait longer; on failure, waits longer next time. */
  async #forwardAudit(): Promise<void> {
    if (this.#outboxRetryAt !== undefined && this.#outboxRetryAt > Date.now()) return;
    try {
      await this.#outbox.forward((events) => new AuditStore(this.env.DB).insert(events));
      this.#outboxFailures = 0;
      this.#outboxRetryAt = undefined;
    } catch (error) {
      this.#outboxFailures += 1;
      const retryMs = outboxRetryDelay(this.#outboxFailures);
      this.#outboxRetryAt = Date.now() + retryMs;
      log("error", "audit_forward_failed", {
        events: this.#outbox.size(),
        attempts: this.#outboxFailures,
        retryMs,
        error: describeError(error),
      });
    }
  }

  /** When the alarm must next run for the outbox, if anything waits in it. */
  #outboxDueAt(): number | undefined {
    if (this.#outbox.size() === 0) return undefined;
    this.#outboxAlarmSet = true;
    return this.#outboxRetryAt ?? Date.now() + OUTBOX_FLUSH_DELAY_MS;
  }

  /** Sets the alarm to `at`, unless it is already set sooner. */
  async #alarmBy(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}

import { DurableObject } from "cloudflare:workers";
import { preloadSchemas } from "@modelcontextprotocol/server";
import { AuditOutbox, OUTBOX_FLUSH_DELAY_MS, outboxRetryDelay } from "../audit/outbox";
import { AuditStore } from "../audit/store";
import { type Config, parseConfig } from "../config";
import { agentServices } from "../data/services";
import { PortfolioJobs } from "../jobs/portfolio";
import { describeError, log } from "../log";
import { answerMcp } from "./answer";
import { type Caller, CallerSchema, type ToolCallRecorder, toolCallEvent } from "./caller";

type SqlValue = string | number | boolean | null;

/** The longest wait before a portfolio batch that threw is tried again (1 s, 2 s, 4 s, … this). */
const MAX_RETRY_MS = 5 * 60_000;

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
 * Long work (portfolio jobs) lives here too: each job and its items are in this object's SQLite
 * storage (../jobs/portfolio.ts), and `portfolio_batches` lists the jobs whose next batch is due.
 * The Durable Object alarm works through that list, one batch per job per round, and sets itself
 * again while any remain, so a job outlives the request, the connection, an eviction and a
 * restart: a batch cut short is run again (each assessment is written once, by its derived id),
 * and an object that starts with batches listed makes sure its alarm is set.
 *
 * This is a plain Durable Object. The `agents` package's `Agent` class is not used: it brings an
 * MCP client, e-mail, WebSocket and scheduling machinery pandgate does not need, which doubled the
 * bundle and its start-up time.
 */
export class PandgateAgent extends DurableObject<Env> {
  #config?: Config;
  #jobs?: PortfolioJobs;
  #batchesRunning = false;
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
    // Batches listed, or audit events not yet forwarded (a restart, a lost alarm): make sure the alarm runs.
    if (this.#openBatchList() || this.#outbox.size() > 0) void ctx.blockConcurrencyWhile(() => this.#wake());
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

  /** The user's portfolio jobs, in this object's storage; a due batch is queued for the alarm. */
  get jobs(): PortfolioJobs {
    this.#jobs ??= new PortfolioJobs(
      { sql: this.sql.bind(this), scheduleBatch: (jobId) => this.#queueBatch(jobId) },
      this.config.maxConcurrentJobs,
    );
    return this.#jobs;
  }

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
    return answerMcp(request, message, { caller, services, jobs, record });
  }

  /** A client cancelled the tools/call that started a job: stop that job. */
  async cancelJobsForRequest(rpcId: string | number): Promise<number> {
    return this.jobs.cancelByRequest(rpcId);
  }

  /**
   * The alarm: one batch of every job whose batch is due, then the alarm again while any job has
   * more. A batch that throws (its addresses' own failures are recorded, so this is storage or a
   * bug) is logged and tried again later, waiting longer each time.
   */
  override async alarm(): Promise<void> {
    this.#outboxAlarmSet = false;
    await this.#forwardAudit();
    // The platform may fire again while a round is still running here; that round sets the next alarm.
    if (this.#batchesRunning) {
      const audit = this.#outboxDueAt();
      if (audit !== undefined) await this.#alarmBy(audit);
      return;
    }
    this.#batchesRunning = true;
    try {
      const { jobs } = this;
      const services = await agentServices(this.config, this.env, this.ctx.storage);
      const due = this.sql<{ job_id: string; attempts: number }>`SELECT job_id, attempts FROM portfolio_batches
        WHERE not_before <= ${Date.now()} ORDER BY rowid`;
      for (const { job_id: jobId, attempts } of due) {
        try {
          if (await jobs.runBatch(jobId, services)) this.sql`UPDATE portfolio_batches SET attempts = 0 WHERE job_id = ${jobId}`;
          else this.sql`DELETE FROM portfolio_batches WHERE job_id = ${jobId}`;
        } catch (error) {
          const retryMs = Math.min(1000 * 2 ** attempts, MAX_RETRY_MS);
          log("error", "portfolio_batch_failed", { jobId, attempts: attempts + 1, retryMs, error: describeError(error) });
          this.sql`UPDATE portfolio_batches SET attempts = ${attempts + 1}, not_before = ${Date.now() + retryMs} WHERE job_id = ${jobId}`;
        }
      }
    } finally {
      this.#batchesRunning = false;
    }
    const [next] = this.sql<{ at: number | null }>`SELECT min(not_before) AS at FROM portfolio_batches`;
    const due = [next?.at ?? undefined, this.#outboxDueAt()].filter((at): at is number => at !== undefined);
    if (due.length > 0) await this.ctx.storage.setAlarm(Math.max(Math.min(...due), Date.now()));
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

  /** Lists a job's next batch as due and makes sure the alarm will run it. */
  async #queueBatch(jobId: string): Promise<void> {
    this.sql`INSERT INTO portfolio_batches (job_id) VALUES (${jobId})
      ON CONFLICT (job_id) DO UPDATE SET attempts = 0, not_before = 0`;
    await this.#wake();
  }

  /** Sets the alarm to now, unless it is already set sooner. */
  async #wake(): Promise<void> {
    await this.#alarmBy(Date.now());
  }

  /**
   * Creates the list of due batches the first time; says whether any batch is listed. Storage
   * written while the agents scheduler ran the batches has running jobs but no list: those jobs
   * are listed, so they go on under the alarm.
   */
  #openBatchList(): boolean {
    const exists = this.sql`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'portfolio_batches'`.length > 0;
    if (!exists) {
      this.sql`CREATE TABLE portfolio_batches (
        job_id TEXT PRIMARY KEY, attempts INTEGER NOT NULL DEFAULT 0, not_before INTEGER NOT NULL DEFAULT 0)`;
      if (this.sql`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'portfolio_jobs'`.length > 0) {
        this.sql`INSERT INTO portfolio_batches (job_id) SELECT id FROM portfolio_jobs WHERE state = 'running'`;
      }
    }
    return this.sql`SELECT 1 FROM portfolio_batches LIMIT 1`.length > 0;
  }
}

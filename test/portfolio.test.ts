import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Client } from "@modelcontextprotocol/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Identity } from "../src/auth/identity";
import { D1PropertyStore } from "../src/data/d1-store";
import { createPropertySource } from "../src/data/services";
import { runJobBatch } from "../src/jobs/engine";
import { type JobHost, PortfolioJobs, VALUE_BANDS } from "../src/jobs/portfolio";
import { PandgateAgent } from "../src/mcp/agent";
import { connectClient, LEGACY_HEADERS, postMcp, rpcMessages, structuredOf } from "./helpers/mcp";
import { config, mintToken, newIdentity } from "./helpers/oauth";

/** Portfolio jobs in the user's agent, on the synthetic dataset, through the real Worker. */
const TIMEOUT = 120_000;

/**
 * A job runs its batches back to back and finishes a few hundred addresses in well under a
 * second, faster than a test can cancel or evict it "mid-job". This holds every batch after the
 * first `free` ones at its read (the agent runs in this isolate, so it uses the same class)
 * until `release()`. Restored after each test.
 */
let held: { release: () => void; restore: () => void } | undefined;
function holdBatches(free = 0): { release: () => void } {
  const original = D1PropertyStore.prototype.properties;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let calls = 0;
  const spy = vi.spyOn(D1PropertyStore.prototype, "properties").mockImplementation(async function (this: D1PropertyStore, ...args) {
    calls += 1;
    if (calls > free) await gate;
    return original.apply(this, args);
  });
  held = {
    release: open,
    restore: () => {
      open();
      spy.mockRestore();
    },
  };
  return held;
}
// Batches of 25 addresses (the synthetic default is 500), so a few hundred addresses make several batches.
PandgateAgent.batchSize = 25;
afterEach(() => {
  held?.restore();
  held = undefined;
});

/** The DO's SQLite storage as the tagged template `JobHost.sql` expects. */
function taggedSql(storage: DurableObjectStorage) {
  return <T>(strings: TemplateStringsArray, ...values: (string | number | boolean | null)[]) =>
    storage.sql.exec(strings.join("?"), ...values).toArray() as T[];
}

/** A job index on a Durable Object's storage and the real D1 whose workflow never starts (the test runs the batches). */
function standaloneJobs(storage: DurableObjectStorage, limits: Partial<PortfolioJobs["limits"]> = {}): PortfolioJobs {
  const host: JobHost = { sql: taggedSql(storage), db: env.DB, start: async () => {}, record: () => {}, watch: async () => {} };
  return new PortfolioJobs(host, { maxConcurrent: 2, maxPerTenant: 10, maxAddresses: 50_000, batchSize: 25, ...limits });
}

/** Rows in D1 for a job: assessments in all, distinct addresses, and the items by status. */
async function d1Counts(jobId: string): Promise<{ assessments: number; addresses: number; pending: number }> {
  const row = await env.DB.prepare(
    `SELECT (SELECT count(*) FROM assessments WHERE job_id = ?1) AS assessments,
            (SELECT count(DISTINCT address_id) FROM assessments WHERE job_id = ?1) AS addresses,
            (SELECT count(*) FROM portfolio_items WHERE job_id = ?1 AND status = 'pending') AS pending`,
  )
    .bind(jobId)
    .first<{ assessments: number; addresses: number; pending: number }>();
  return row ?? { assessments: 0, addresses: 0, pending: -1 };
}

async function addressIds(count: number, offset = 0): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT id FROM addresses WHERE is_synthetic = 1 ORDER BY id LIMIT ?1 OFFSET ?2")
    .bind(count, offset)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

async function user(identity: Identity = newIdentity()): Promise<{ client: Client; token: string; identity: Identity }> {
  const { accessToken } = await mintToken(identity, ["mcp:read", "mcp:write"]);
  return { client: await connectClient(accessToken), token: accessToken, identity };
}

interface Status {
  jobId: string;
  state: string;
  total: number;
  done: number;
  failed: number;
}

async function status(c: Client, jobId: string): Promise<Status> {
  const r = await c.callTool({ name: "Get_Portfolio_Status", arguments: { jobId } });
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  return r.structuredContent as unknown as Status;
}

async function waitFor(c: Client, jobId: string, done: (s: Status) => boolean): Promise<Status> {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const s = await status(c, jobId);
    if (done(s)) return s;
    if (Date.now() > deadline) throw new Error(`job ${jobId} stuck at ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The tools/call params of Assess_Portfolio over these address ids, plus `extra` (`_meta`, `task`). */
function assessPortfolio(ids: string[], extra: Record<string, unknown> = {}) {
  return { name: "Assess_Portfolio", arguments: { addresses: ids.map((addressId) => ({ addressId })) }, ...extra };
}

/** A JSON-RPC request posted raw as a 2025-11-25 client; the first message of the answer. */
async function rpc(token: string, method: string, params: Record<string, unknown>, id?: number) {
  const [message] = await rpcMessages(token, method, params, id);
  return message as { result?: Record<string, unknown>; error?: { code: number; message: string } };
}

async function start(c: Client, ids: string[]): Promise<string> {
  const r = await c.callTool(assessPortfolio(ids));
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  return (r.structuredContent as { jobId: string }).jobId;
}

async function savedForJob(jobId: string): Promise<{ n: number; distinct: number }> {
  const row = await env.DB.prepare(
    "SELECT count(*) AS n, count(DISTINCT address_id) AS unique_addresses FROM assessments WHERE job_id = ?1",
  )
    .bind(jobId)
    .first<{ n: number; unique_addresses: number }>();
  return { n: row?.n ?? 0, distinct: row?.unique_addresses ?? 0 };
}

describe("portfolio jobs", () => {
  it(
    "assesses every address once: repeats, a postcode written three ways and one address under two names",
    async () => {
      const { client } = await user();
      const pc = await env.DB.prepare(
        "SELECT postcode, count(*) AS n FROM addresses WHERE is_synthetic = 1 GROUP BY postcode HAVING n BETWEEN 3 AND 8 ORDER BY postcode LIMIT 1",
      ).first<{ postcode: string; n: number }>();
      if (!pc) throw new Error("no small postcode in the seed");
      const [outside] = await env.DB.prepare(
        "SELECT id, postcode, house_number, house_letter, house_number_addition FROM addresses WHERE is_synthetic = 1 AND postcode != ?1 ORDER BY id LIMIT 1",
      )
        .bind(pc.postcode)
        .all<{ id: string; postcode: string; house_number: number; house_letter: string | null; house_number_addition: string | null }>()
        .then((r) => r.results);
      if (!outside) throw new Error("no address outside the postcode");
      const spaced = `${pc.postcode.slice(0, 4)} ${pc.postcode.slice(4)}`;
      const byKey = {
        postcode: outside.postcode.toLowerCase(),
        houseNumber: outside.house_number,
        ...(outside.house_letter && { houseLetter: outside.house_letter.toLowerCase() }),
        ...(outside.house_number_addition && { houseNumberAddition: outside.house_number_addition }),
      };
      const r = await client.callTool({
        name: "Assess_Portfolio",
        arguments: {
          // the same address five times by id, then once more by postcode and number
          addresses: [...Array.from({ length: 5 }, () => ({ addressId: ` ${outside.id} ` })), byKey],
          // one postcode written three ways
          postcodes: [pc.postcode, spaced, ` ${spaced.toLowerCase()} `],
        },
      });
      expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      const started = r.structuredContent as { jobId: string; total: number; duplicatesDropped: number; message: string };
      // Found when the job is created: four repeats of the id and two repeated postcodes' addresses.
      expect(started.duplicatesDropped).toBe(4 + 2 * pc.n);
      expect(started.total).toBe(1 + 1 + pc.n);
      expect(started.message).toContain(`${4 + 2 * pc.n} duplicates dropped`);
      await waitFor(client, started.jobId, (s) => s.state !== "running");
      const result = (await client.callTool({ name: "Get_Portfolio_Result", arguments: { jobId: started.jobId } })).structuredContent as {
        failed: number;
        duplicatesDropped: number;
        assessmentIds: string[];
      };
      // The postcode-and-number form is the same address as the id: found when the job ran.
      expect(result.failed).toBe(0);
      expect(result.duplicatesDropped).toBe(4 + 2 * pc.n + 1);
      expect(result.assessmentIds).toHaveLength(1 + pc.n);
      expect(await savedForJob(started.jobId)).toEqual({ n: 1 + pc.n, distinct: 1 + pc.n });
    },
    TIMEOUT,
  );

  it(
    "assesses a few hundred addresses with progress in order, then returns the summary",
    async () => {
      const { client } = await user();
      const ids = await addressIds(240);
      const steps: Array<{ progress: number; total?: number; message?: string }> = [];
      const r = await client.callTool(assessPortfolio(ids), {
        onprogress: (p) => steps.push(p),
        timeout: TIMEOUT,
        resetTimeoutOnProgress: true,
      });
      expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      const out = r.structuredContent as {
        jobId: string;
        state: string;
        summary: { done: number; failed: number; total: number; assessmentIds: string[]; labelCounts: Record<string, number> };
      };
      expect(out.state).toBe("completed");
      expect(steps[0]?.message).toContain(out.jobId);
      expect(steps.every((s) => s.total === 240)).toBe(true);
      for (let i = 1; i < steps.length; i++) expect(steps[i]?.progress).toBeGreaterThan(steps[i - 1]?.progress ?? -1);
      expect(steps.at(-1)?.progress).toBe(240);
      // One notification per address after the first (which names the job).
      expect(steps).toHaveLength(241);
      expect(steps.at(-1)?.message).toMatch(/^Assessed .+ \(240 of 240\)$/);
      expect(out.summary.done).toBe(240);
      expect(out.summary.assessmentIds).toHaveLength(240 - out.summary.failed);
      expect(Object.values(out.summary.labelCounts).reduce((a, b) => a + b, 0)).toBe(240 - out.summary.failed);
      expect(await savedForJob(out.jobId)).toEqual({ n: 240 - out.summary.failed, distinct: 240 - out.summary.failed });
    },
    TIMEOUT,
  );

  it(
    "completes after the agent is evicted mid-job, with no duplicate or missing assessment",
    async () => {
      const { client, identity } = await user();
      const ids = await addressIds(200, 300);
      const hold = holdBatches(1);
      const jobId = await start(client, ids);
      const before = await waitFor(client, jobId, (s) => s.done > 0);
      expect(before).toMatchObject({ state: "running", done: 25 });
      const stub = env.MCP_AGENT.getByName(identity.userKey);
      await evictDurableObject(stub);
      hold.release();
      const final = await waitFor(client, jobId, (s) => s.state !== "running");
      expect(final).toMatchObject({ state: "completed", total: 200, done: 200 });
      expect(await savedForJob(jobId)).toEqual({ n: 200 - final.failed, distinct: 200 - final.failed });
      expect((await d1Counts(jobId)).pending).toBe(0);
    },
    TIMEOUT,
  );

  it(
    "is resumed by a new workflow instance when its instance stops reporting, assessing nothing twice",
    async () => {
      const { client, identity } = await user();
      const ids = await addressIds(150, 11_000);
      const hold = holdBatches(1);
      const jobId = await start(client, ids);
      await waitFor(client, jobId, (s) => s.done > 0);
      const stub = env.MCP_AGENT.getByName(identity.userKey);
      // The instance went quiet long ago and is unknown to Workflows (as after a crash that lost it).
      await runInDurableObject(stub, (_agent, state) => {
        state.storage.sql.exec("UPDATE portfolio_jobs SET instance_id = ?1, progress_at = 0 WHERE id = ?2", `${jobId}-lost`, jobId);
      });
      await runInDurableObject(stub, (agent) => (agent as PandgateAgent).alarm());
      const instance = await runInDurableObject(
        stub,
        (_agent, state) =>
          state.storage.sql.exec<{ instance_id: string }>("SELECT instance_id FROM portfolio_jobs WHERE id = ?1", jobId).one().instance_id,
      );
      expect(instance).toBe(`${jobId}-r1`);
      hold.release();
      const final = await waitFor(client, jobId, (s) => s.state !== "running");
      expect(final).toMatchObject({ state: "completed", total: 150, done: 150 });
      // The original instance and the new one both ran the held batch: each address is assessed once.
      expect(await savedForJob(jobId)).toEqual({ n: 150 - final.failed, distinct: 150 - final.failed });
      expect(await d1Counts(jobId)).toMatchObject({ assessments: 150 - final.failed, pending: 0 });
    },
    TIMEOUT,
  );

  it(
    "stops within a batch when cancelled, keeping the assessments already made",
    async () => {
      const { client } = await user();
      const hold = holdBatches(1);
      const jobId = await start(client, await addressIds(400, 600));
      await waitFor(client, jobId, (s) => s.done > 0);
      const cancel = await client.callTool({ name: "Cancel_Portfolio", arguments: { jobId } });
      expect(cancel.isError).toBeFalsy();
      hold.release();
      const final = await waitFor(client, jobId, (s) => s.state !== "running");
      expect(final.state).toBe("cancelled");
      expect(final.done).toBe(50); // the batch in progress finished its addresses
      expect((await savedForJob(jobId)).n).toBe(final.done - final.failed);
    },
    TIMEOUT,
  );

  it(
    "is cancelled by the client's notifications/cancelled for the request that started it",
    async () => {
      const { client, token } = await user();
      const ids = await addressIds(400, 1000);
      const hold = holdBatches();
      const started = await rpc(token, "tools/call", assessPortfolio(ids), 4242);
      const jobId = (structuredOf(started) as { jobId: string }).jobId;
      const cancelled = await postMcp(
        token,
        { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 4242, reason: "user stopped" } },
        LEGACY_HEADERS,
      );
      expect(cancelled.status).toBe(202);
      hold.release();
      const final = await waitFor(client, jobId, (s) => s.state !== "running");
      expect(final.state).toBe("cancelled");
    },
    TIMEOUT,
  );

  it(
    "goes on when the client that streamed its progress goes away",
    async () => {
      const { client, token } = await user();
      const ids = await addressIds(150, 7000);
      const res = await postMcp(
        token,
        { jsonrpc: "2.0", id: 99, method: "tools/call", params: assessPortfolio(ids, { _meta: { progressToken: "p" } }) },
        LEGACY_HEADERS,
      );
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let text = "";
      while (!text.includes("Started portfolio job")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      const jobId = /Started portfolio job ([0-9a-f-]{36})/.exec(text)?.[1] ?? "";
      expect(jobId).not.toBe("");
      await reader.cancel();
      const final = await waitFor(client, jobId, (s) => s.state !== "running");
      expect(final).toMatchObject({ state: "completed", done: 150 });
    },
    TIMEOUT,
  );

  it("belongs to its user: another user's job id is not found and cannot be cancelled", async () => {
    const alice = await user();
    const bob = await user();
    const jobId = await start(alice.client, await addressIds(30, 2000));
    for (const name of ["Get_Portfolio_Status", "Get_Portfolio_Result", "Cancel_Portfolio"]) {
      const r = await bob.client.callTool({ name, arguments: { jobId } });
      expect(r.isError, name).toBe(true);
      expect(JSON.stringify(r.content)).toContain("You have no portfolio job with id");
    }
    const final = await waitFor(alice.client, jobId, (s) => s.state !== "running");
    expect(final.state).toBe("completed");
  });

  it("refuses entries that name no address before any job starts, listing each by index with what is missing", async () => {
    const { client, token } = await user();
    const empty = await client.callTool({ name: "Assess_Portfolio", arguments: { addresses: [{}, {}] } });
    expect(empty.isError).toBe(true);
    const emptyText = JSON.stringify(empty.content);
    expect(emptyText).toContain("No job was started: 2 of the 2 address entries do not name an address");
    expect(emptyText).toContain("addresses[0]: names no address");
    expect(emptyText).toContain("addresses[1]: names no address");

    const [valid] = await addressIds(1, 9000);
    const mixed = await client.callTool({
      name: "Assess_Portfolio",
      arguments: {
        addresses: [
          { addressId: valid },
          { postcode: "3817AC" },
          { houseNumber: 12 },
          { postcode: "0817AC", houseNumber: 1 },
          { addressId: "  " },
          { addressId: "12ab" },
        ],
      },
    });
    expect(mixed.isError).toBe(true);
    const mixedText = (mixed.content as Array<{ text: string }>)[0]?.text ?? "";
    expect(mixedText).toContain("5 of the 6 address entries do not name an address");
    expect(mixedText).not.toContain("addresses[0]");
    expect(mixedText).toMatch(/addresses\[1\]: houseNumber is missing/);
    expect(mixedText).toMatch(/addresses\[2\]: postcode is missing/);
    expect(mixedText).toMatch(/addresses\[3\]: .*postcode/i);
    expect(mixedText).toMatch(/addresses\[4\]: names no address/);
    expect(mixedText).toMatch(/addresses\[5\]: /);
    // Nothing was started, as a job or as a task.
    const tasks = await rpc(token, "tasks/list", {});
    expect(tasks.result?.tasks).toEqual([]);
    const asTask = await rpc(token, "tools/call", { name: "Assess_Portfolio", arguments: { addresses: [{}] }, task: {} });
    expect(asTask.error?.message).toContain("addresses[0]: names no address");
    expect((await rpc(token, "tasks/list", {})).result?.tasks).toEqual([]);
  });

  it(
    "reports progress for every address, failures included, and counts failures in the final message",
    async () => {
      const { client, identity } = await user(newIdentity({ displayName: "Anna de Vries", email: "anna@contoso.example" }));
      const pc = await env.DB.prepare("SELECT postcode FROM addresses WHERE is_synthetic = 1 ORDER BY id LIMIT 1 OFFSET 9100").first<{
        postcode: string;
      }>();
      if (!pc) throw new Error("no seeded postcode");
      // Well-formed addresses that are not registered: each fails when the job runs.
      const missing = (n: number) => Array.from({ length: n }, (_, i) => ({ postcode: pc.postcode, houseNumber: 99_900 + i }));
      const progressed = async (addresses: unknown[]) => {
        const steps: Array<{ progress: number; total?: number; message?: string }> = [];
        const r = await client.callTool(
          { name: "Assess_Portfolio", arguments: { addresses } },
          { onprogress: (p) => steps.push(p), timeout: TIMEOUT, resetTimeoutOnProgress: true },
        );
        expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
        const text = (r.content as Array<{ text: string }>)[0]?.text ?? "";
        return {
          steps,
          text,
          out: r.structuredContent as { jobId: string; message: string; summary: { valueBands: Record<string, number> } },
        };
      };

      const allFailed = await progressed(missing(27));
      expect(allFailed.steps.map((s) => s.progress)).toEqual(Array.from({ length: 28 }, (_, i) => i));
      expect(allFailed.steps[0]?.message).toMatch(/for 27 addresses\. Progress follows for every address/);
      expect(allFailed.steps.at(-1)?.message).toMatch(/^Could not assess .+: .+ \(27 of 27, 27 failed so far\)$/);
      expect(allFailed.steps.some((s) => s.message?.startsWith("Assessed"))).toBe(false);
      expect(allFailed.out.message).toMatch(/completed: 27 of 27 failed\.$/);
      expect(allFailed.text).toMatch(/completed: 27 of 27 failed/);

      // 31 addresses run in two batches; every one gets its own notification.
      const ids = await addressIds(29, 9200);
      const mixed = await progressed([...ids.map((addressId) => ({ addressId })), ...missing(2)]);
      expect(mixed.steps).toHaveLength(32);
      expect(mixed.steps.slice(1).map((s) => s.progress)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
      expect(mixed.steps[1]?.message).toMatch(/^Assessed .+ \(1 of 31\)$/);
      expect(mixed.steps.at(-1)?.message).toMatch(/^Could not assess .+ \(31 of 31, 2 failed so far\)$/);
      expect(mixed.out.message).toMatch(/completed: 29 assessed, 2 failed \(31 addresses\)\.$/);
      expect(mixed.text).toContain("29 assessed, 2 failed (31 addresses)");
      // Each assessment the job saved names its owner as signed in when the job started.
      const owners = await env.DB.prepare("SELECT DISTINCT owner_key, owner_name, owner_email FROM assessments WHERE job_id = ?1")
        .bind(mixed.out.jobId)
        .all();
      expect(owners.results).toEqual([{ owner_key: identity.userKey, owner_name: "Anna de Vries", owner_email: "anna@contoso.example" }]);

      // Value bands low to high, in the structure and the text.
      const order = [...VALUE_BANDS.map(([, band]) => band), "no value"];
      const bands = Object.keys(mixed.out.summary.valueBands);
      expect(bands.length).toBeGreaterThan(1);
      expect(bands).toEqual(order.filter((band) => bands.includes(band)));
      const line = mixed.text.split("\n").find((l) => l.startsWith("Value midpoints")) ?? "";
      expect(line).toBe(
        `Value midpoints, low to high (midpoints of indicative ranges: indications, not valuations): ${bands.map((b) => `${b}: ${mixed.out.summary.valueBands[b]}`).join(", ")}`,
      );
    },
    TIMEOUT,
  );

  it(
    "tells the caller about the per-user limit",
    async () => {
      const { client } = await user();
      const hold = holdBatches();
      const first = await start(client, await addressIds(300, 3000));
      const second = await start(client, await addressIds(300, 3300));
      const third = await client.callTool(assessPortfolio(await addressIds(1)));
      expect(third.isError).toBe(true);
      expect(JSON.stringify(third.content)).toContain("the most allowed at once is 2 (MAX_CONCURRENT_JOBS, per user)");
      for (const jobId of [first, second]) await client.callTool({ name: "Cancel_Portfolio", arguments: { jobId } });
      hold.release();
      for (const jobId of [first, second]) await waitFor(client, jobId, (s) => s.state !== "running");
    },
    TIMEOUT,
  );

  it("refuses a job over MAX_ADDRESSES_PER_JOB and one over the tenant's running jobs, naming the limit and storing nothing", async () => {
    const ids = await addressIds(4, 12_000);
    const tenantId = `tenant-${crypto.randomUUID()}`;
    const stub = env.MCP_AGENT.getByName(`limits-${crypto.randomUUID()}`);
    const outcome = await runInDurableObject(stub, async (_agent, state) => {
      const jobs = standaloneJobs(state.storage, { maxAddresses: 3, maxPerTenant: 1, maxConcurrent: 5 });
      const owner = (n: number) => ({ ...newIdentity(), tenantId, userKey: `user-${n}-${crypto.randomUUID()}` });
      const tooMany = await jobs
        .create(
          owner(1),
          ids.map((addressId) => ({ addressId })),
          null,
        )
        .catch((e: Error) => e.message);
      const first = await jobs.create(
        owner(2),
        ids.slice(0, 2).map((addressId) => ({ addressId })),
        null,
      );
      const overTenant = await jobs
        .create(
          owner(3),
          ids.slice(2, 3).map((addressId) => ({ addressId })),
          null,
        )
        .catch((e: Error) => e.message);
      return { tooMany, overTenant, first: first.id };
    });
    expect(outcome.tooMany).toBe(
      "That is 4 addresses; one portfolio job takes at most 3 (MAX_ADDRESSES_PER_JOB). Split it into smaller jobs.",
    );
    expect(outcome.overTenant).toContain(
      "already has 1 portfolio job(s) running, the most allowed at once for one tenant (MAX_RUNNING_JOBS_PER_TENANT)",
    );
    const jobs = await env.DB.prepare("SELECT id FROM portfolio_jobs WHERE tenant_id = ?1").bind(tenantId).all<{ id: string }>();
    expect(jobs.results.map((r) => r.id)).toEqual([outcome.first]);
  });
});

describe("portfolio jobs as MCP tasks (2025-11-25)", () => {
  it("offers the tool's task support to 2025-11-25 clients only (the capability matrix: test/tasks-extension.test.ts)", async () => {
    const { token } = await user();
    const old = await connectClient(token, "2025-11-25");
    // The SDK client declares no tasks in its initialize, so the server declares none either.
    expect(old.getServerCapabilities()?.tasks).toBeUndefined();
    const tool = (await old.listTools()).tools.find((t) => t.name === "Assess_Portfolio");
    expect(tool?.execution?.taskSupport).toBe("optional");
    const modern = await connectClient(token, "2026-07-28");
    expect(modern.getServerCapabilities()?.tasks).toBeUndefined();
  });

  it(
    "runs a task-augmented call as a job: tasks/get, tasks/list, tasks/result, tasks/cancel",
    async () => {
      const { token } = await user();
      const ids = await addressIds(60, 4000);
      const created = await rpc(token, "tools/call", assessPortfolio(ids, { task: { ttl: 600_000 } }));
      const task = created.result?.task as { taskId: string; status: string; ttl: number };
      expect(task.status).toBe("working");
      expect(task.ttl).toBe(600_000);

      const got = await rpc(token, "tasks/get", { taskId: task.taskId });
      expect(got.result?.taskId).toBe(task.taskId);
      const listed = await rpc(token, "tasks/list", {});
      const tasks = (listed.result?.tasks ?? []) as Array<{ taskId: string }>;
      expect(tasks.map((t) => t.taskId)).toContain(task.taskId);

      const final = await rpc(token, "tasks/result", { taskId: task.taskId });
      const structured = final.result?.structuredContent as { state: string; summary: { done: number; total: number } };
      expect(structured.state).toBe("completed");
      expect(structured.summary).toMatchObject({ done: 60, total: 60 });
      expect(final.result?._meta).toEqual({ "io.modelcontextprotocol/related-task": { taskId: task.taskId } });
      expect((await rpc(token, "tasks/get", { taskId: task.taskId })).result?.status).toBe("completed");

      const hold = holdBatches();
      const second = (await rpc(token, "tools/call", assessPortfolio(await addressIds(300, 5000), { task: {} }))).result?.task as {
        taskId: string;
      };
      const cancelled = await rpc(token, "tasks/cancel", { taskId: second.taskId });
      expect(cancelled.result?.status).toBe("cancelled");
      hold.release();
    },
    TIMEOUT,
  );

  it("keeps tasks to their user", async () => {
    const alice = await user();
    const bob = await user();
    const task = (await rpc(alice.token, "tools/call", assessPortfolio(await addressIds(1, 6000), { task: {} }))).result?.task as {
      taskId: string;
    };
    for (const method of ["tasks/get", "tasks/result", "tasks/cancel"]) {
      const answer = await rpc(bob.token, method, { taskId: task.taskId });
      expect(answer.error?.message, method).toContain("You have no task with id");
    }
    const bobsTasks = (await rpc(bob.token, "tasks/list", {})).result?.tasks ?? [];
    expect(bobsTasks).toEqual([]);
  });
});

describe("a batch run again (a retried step, or two instances of one job at once)", () => {
  it("writes each assessment and each item once", async () => {
    const ids = await addressIds(60, 8000);
    const stub = env.MCP_AGENT.getByName(`again-${crypto.randomUUID()}`);
    const outcome = await runInDurableObject(stub, async (_agent, state) => {
      const jobs = standaloneJobs(state.storage);
      const job = await jobs.create(
        newIdentity(),
        ids.map((addressId) => ({ addressId })),
        null,
      );
      const deps = () => {
        const db = env.DB.withSession("first-primary");
        return { db, data: createPropertySource(config, db), now: () => new Date() };
      };
      // Batch 0 twice at once (two instances), then again (a retry after its write), then batches 1 and 2.
      const [a, b] = await Promise.all([runJobBatch(deps(), job.id, 0, 25), runJobBatch(deps(), job.id, 0, 25)]);
      const retried = await runJobBatch(deps(), job.id, 0, 25);
      await runJobBatch(deps(), job.id, 1, 25);
      const last = await runJobBatch(deps(), job.id, 2, 25);
      return { jobId: job.id, first: [a.done, b.done], retried: retried.done, last };
    });
    expect(outcome.first).toEqual([25, 25]);
    expect(outcome.retried).toBe(25);
    expect(outcome.last).toMatchObject({ state: "running", done: 60, failed: 0 });
    expect(await savedForJob(outcome.jobId)).toEqual({ n: 60, distinct: 60 });
    expect(await d1Counts(outcome.jobId)).toEqual({ assessments: 60, addresses: 60, pending: 0 });
  });
});

describe("job storage written before duplicates were counted", () => {
  it("gains the duplicates column once, keeping the jobs it has", async () => {
    const stub = env.MCP_AGENT.getByName(`legacy-storage-${crypto.randomUUID()}`);
    const columns = await runInDurableObject(stub, async (_agent, state) => {
      const sql = taggedSql(state.storage);
      sql`CREATE TABLE portfolio_jobs (
        id TEXT PRIMARY KEY, owner_key TEXT NOT NULL, tenant_id TEXT NOT NULL, state TEXT NOT NULL,
        total INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL, finished_at TEXT, cancel_requested INTEGER NOT NULL DEFAULT 0, rpc_id TEXT, last_label TEXT)`;
      sql`INSERT INTO portfolio_jobs (id, owner_key, tenant_id, state, total, created_at) VALUES ('old', 'u', 't', 'completed', 1, '2026-01-01')`;
      const jobs = standaloneJobs(state.storage);
      const old = jobs.owned("u", "old");
      return { duplicates: old?.duplicates, summary: old ? (await jobs.summary(old)).duplicatesDropped : undefined };
    });
    expect(columns).toEqual({ duplicates: 0, summary: 0 });
  });
});

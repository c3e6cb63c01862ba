import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createPropertySource, createServices, type Services } from "../../src/data/services";
import { runJobBatch } from "../../src/jobs/engine";
import { type JobItemInput, PortfolioJobs } from "../../src/jobs/portfolio";
import type { ToolContext } from "../../src/mcp/catalog";
import { catalog } from "../../src/mcp/tools";
import { countRoundTrips, type RoundTrips } from "../helpers/d1-count";
import { config, newIdentity } from "../helpers/oauth";

/**
 * D1 round trips per tool call, counted where they happen (test/helpers/d1-count.ts), on the code
 * path each tool runs: the tool's own `run` from the catalog, with the Services the agent builds
 * (`createServices`) around a counting D1 binding; for a portfolio job, `PortfolioJobs.runBatch`
 * in a Durable Object with those Services, as the agent's scheduler runs it. Each tool's count is
 * pinned exactly, and must stay within issue 11's budget.
 */

interface Seeded {
  id: string;
  postcode: string;
  house_number: number;
}
let plain: Seeded;
let withLetter: Seeded & { house_letter: string; house_number_addition: string };
const identity = newIdentity();

beforeAll(async () => {
  const row = await env.DB.prepare(
    `SELECT a.id, a.postcode, a.house_number FROM addresses a WHERE a.is_synthetic = 1 AND a.house_letter IS NULL
       AND a.house_number_addition IS NULL AND a.neighbourhood_code IS NOT NULL
       AND EXISTS (SELECT 1 FROM energy_labels l WHERE l.unit_id = a.unit_id) ORDER BY a.id LIMIT 1`,
  ).first<Seeded>();
  const lettered = await env.DB.prepare(
    "SELECT id, postcode, house_number, house_letter, house_number_addition FROM addresses WHERE is_synthetic = 1 AND house_letter IS NOT NULL AND house_number_addition IS NOT NULL ORDER BY id LIMIT 1",
  ).first<typeof withLetter>();
  if (!row || !lettered) throw new Error("no seeded addresses");
  plain = row;
  withLetter = lettered;
});

function counted(): { services: Services; trips: RoundTrips } {
  const { db, trips } = countRoundTrips(env.DB);
  return { services: createServices(config, { ...env, DB: db }), trips };
}

function toolContext(services: Services): ToolContext {
  return {
    caller: { identity, scopes: ["mcp:read", "mcp:write"], clientId: "round-trips", requestId: "round-trips" },
    services,
    progress: { enabled: true, report: async () => {} },
    signal: new AbortController().signal,
    protocolVersion: "2026-07-28",
    rpcId: 1,
    jobs: undefined as never, // no tool here uses the agent's jobs
  };
}

/** Runs the catalog tool `name` on a counting binding; its result and the round trips it made. */
async function run(name: string, args: Record<string, unknown>): Promise<{ result: unknown; trips: RoundTrips }> {
  const tool = catalog.get(name);
  if (!tool) throw new Error(`no tool ${name}`);
  const { services, trips } = counted();
  const result = await tool.run(tool.input.parse(args), toolContext(services));
  return { result, trips };
}

/** [tool, arguments, round trips it makes, the budget] */
const CASES: Array<[string, () => Record<string, unknown>, number, number]> = [
  ["Get_Property_Data", () => ({ addressId: plain.id }), 1, 2],
  ["Get_Property_Data", () => ({ postcode: plain.postcode, houseNumber: plain.house_number }), 1, 2],
  [
    "Get_Property_Data",
    () => ({
      postcode: withLetter.postcode,
      houseNumber: `${withLetter.house_number}${withLetter.house_letter}-${withLetter.house_number_addition}`,
    }),
    1,
    2,
  ],
  ["Get_Property_Energy_Label", () => ({ addressId: plain.id }), 1, 2],
  ["Get_Property_Energy_Label", () => ({ postcode: plain.postcode, houseNumber: plain.house_number }), 1, 2],
  ["Analyze_Property_Location", () => ({ addressId: plain.id }), 1, 2],
  ["Analyze_Property_Location", () => ({ postcode: plain.postcode, houseNumber: plain.house_number }), 1, 2],
  ["Get_Addresses_for_Postcode", () => ({ postcode: plain.postcode }), 1, 2],
  ["Get_Addresses_for_Postcode", () => ({ postcode: plain.postcode, houseNumber: plain.house_number }), 1, 2],
  // Both searches (with the number, and without it for when the number matches nothing) go in one batch.
  ["Search_Addresses", () => ({ query: `${plain.postcode} ${plain.house_number}` }), 1, 2],
  ["Search_Addresses", () => ({ query: `${plain.postcode.slice(0, 4)} ${plain.postcode.slice(4)} 99998` }), 1, 2],
  // Nothing found: one more read, for the places the synthetic dataset covers.
  ["Search_Addresses", () => ({ query: "Qwxzyvstraat 1 Nergenshuizen" }), 2, 2],
  ["Quick_Assess_Property", () => ({ addressId: plain.id }), 2, 3],
  ["Quick_Assess_Property", () => ({ postcode: plain.postcode, houseNumber: plain.house_number }), 2, 3],
];

describe("D1 round trips per tool call", () => {
  it.each(CASES)("%s %o: %i (budget %i)", async (name, args, expected, budget) => {
    expect(expected).toBeLessThanOrEqual(budget);
    const { trips } = await run(name, args());
    expect(trips.count, trips.describe()).toBe(expected);
  });

  it("an unknown house number costs one more read, for the nearest valid forms", async () => {
    const tool = catalog.get("Get_Property_Data");
    if (!tool) throw new Error("no tool");
    const { services, trips } = counted();
    await expect(tool.run(tool.input.parse({ postcode: plain.postcode, houseNumber: 99999 }), toolContext(services))).rejects.toThrow(
      /nearest house numbers/,
    );
    expect(trips.count, trips.describe()).toBe(2);
  });

  it("Quick_Assess_Property's two round trips are the read and the save, and the assessment is saved", async () => {
    const { result, trips } = await run("Quick_Assess_Property", { addressId: plain.id });
    expect(trips.log.map((t) => t.kind)).toEqual(["batch", "run"]);
    expect(trips.log[1]?.statements[0]?.sql).toMatch(/^INSERT INTO assessments/);
    const { assessmentId } = result as { assessmentId: string };
    expect(await env.DB.prepare("SELECT address_id FROM assessments WHERE id = ?1").bind(assessmentId).first()).toEqual({
      address_id: plain.id,
    });
  });

  it("the assessment tools: a listing, one assessment, an address's assessments, a delete", async () => {
    const { result } = await run("Quick_Assess_Property", { addressId: plain.id });
    const { assessmentId } = result as { assessmentId: string };
    expect((await run("Get_Assessed_Properties", {})).trips.count).toBe(1);
    expect((await run("Get_Property_Assessments", { assessmentId })).trips.count).toBe(1);
    expect((await run("Get_Property_Assessments", { addressId: plain.id })).trips.count).toBe(2);
    expect((await run("Get_Tenant_Assessments", {})).trips.count).toBe(1);
    expect((await run("Delete_Property_Assessment", { assessmentId })).trips.count).toBe(1);
  });
});

describe("D1 round trips of a portfolio job", () => {
  /** Runs a job over `inputs` batch by batch, as its workflow's steps do; the round trips of the batches and the job's summary. */
  async function runJob(inputs: JobItemInput[], batchSize = 25) {
    const counting = countRoundTrips(env.DB);
    const { trips } = counting;
    const stub = env.MCP_AGENT.getByName(`round-trips-${crypto.randomUUID()}`);
    return runInDurableObject(stub, async (_agent, state) => {
      const sql = <T>(strings: TemplateStringsArray, ...values: (string | number | boolean | null)[]) =>
        state.storage.sql.exec(strings.join("?"), ...values).toArray() as T[];
      const limits = { maxConcurrent: 2, maxPerTenant: 10, maxAddresses: 50_000, batchSize };
      const jobs = new PortfolioJobs({ sql, db: env.DB, start: async () => {}, record: () => {}, watch: async () => {} }, limits);
      const job = await jobs.create(identity, inputs, null);
      trips.reset();
      const deps = { db: counting.db, data: createPropertySource(config, counting.db), now: () => new Date() };
      for (let index = 0; index * batchSize < inputs.length; index++) {
        jobs.progress(job.id, await runJobBatch(deps, job.id, index, batchSize));
      }
      const tripsOfBatches = trips.count;
      const log = trips.describe();
      await jobs.syncFromD1(job.id);
      const done = jobs.owned(identity.userKey, job.id);
      if (!done) throw new Error("job vanished");
      return { summary: await jobs.summary({ ...done, state: "completed" }), trips: tripsOfBatches, log };
    });
  }

  async function portfolio(count: number, offset = 0): Promise<JobItemInput[]> {
    const { results } = await env.DB.prepare(
      "SELECT id, postcode, house_number, house_letter, house_number_addition FROM addresses WHERE is_synthetic = 1 ORDER BY id LIMIT ?1 OFFSET ?2",
    )
      .bind(count, offset)
      .all<{ id: string; postcode: string; house_number: number; house_letter: string | null; house_number_addition: string | null }>();
    // Every fifth address by postcode and number, the others by BAG id: both kinds in every batch.
    return results.map((r, i) =>
      i % 5 === 4
        ? {
            postcode: r.postcode,
            houseNumber: r.house_number,
            ...(r.house_letter && { houseLetter: r.house_letter }),
            ...(r.house_number_addition && { houseNumberAddition: r.house_number_addition }),
          }
        : { addressId: r.id },
    );
  }

  it("a batch of 25 addresses: 4 round trips: the job and its items, resolve all and read their facts, earlier repeats, save all", async () => {
    const job = await runJob(await portfolio(25, 100));
    expect(job.summary).toMatchObject({ done: 25, failed: 0 });
    expect(job.summary.assessmentIds).toHaveLength(25);
    // Every fifth address is named by postcode and number, so the job reads for repeats under the other name.
    expect(job.trips, job.log).toBe(4);
  });

  it("a batch of addresses named by id only: 3 round trips", async () => {
    const byId = (await portfolio(40, 200)).filter((input) => "addressId" in input).slice(0, 25);
    const job = await runJob(byId);
    expect(job.summary).toMatchObject({ done: 25, failed: 0 });
    expect(job.trips, job.log).toBe(3);
  });

  // How long the job takes is the bench's to measure (bench/mcp.bench.ts, section d): a timed
  // unit test fails on a loaded machine and proves nothing on an idle one.
  it("500 addresses in one batch of 500 (the synthetic default): 4 round trips", async () => {
    const job = await runJob(await portfolio(500, 1000), 500);
    expect(job.summary).toMatchObject({ done: 500, failed: 0 });
    expect(job.summary.assessmentIds).toHaveLength(500);
    expect(job.trips, job.log).toBe(4);
  });
});

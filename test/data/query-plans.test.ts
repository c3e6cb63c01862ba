import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { AuditStore, encodeCursor } from "../../src/audit/store";
import { AssessmentStore } from "../../src/data/assessments";
import { D1PropertyStore } from "../../src/data/d1-store";
import { SUBJECT } from "../../src/data/live/cache";
import { LiveSource } from "../../src/data/live/live-source";
import { REGISTER } from "../../src/data/live/registers";
import { D1AddressSearch } from "../../src/data/search";
import { createPropertySource } from "../../src/data/services";
import type { Address, Fact } from "../../src/data/types";
import { parseAddressQuery } from "../../src/domain/address-input";
import { ENGINE_VERSION } from "../../src/domain/assessment";
import { runJobBatch } from "../../src/jobs/engine";
import { PortfolioJobs } from "../../src/jobs/portfolio";
import { countRoundTrips, type SentStatement } from "../helpers/d1-count";
import { config as testConfig } from "../helpers/oauth";

/**
 * Every statement the stores send is an index search: no table is scanned without an index, and
 * no result is sorted in a temporary B-tree. Not a list of look-alike queries: the stores
 * (D1PropertyStore, AssessmentStore, the live source's cache reads, the audit store and the
 * agent's portfolio job tables) run here on recording bindings, and EXPLAIN QUERY PLAN is asked
 * of exactly the SQL and values they sent.
 */

type Plan = string[];

/**
 * What a plan step may not be: a sort of its own (a temporary B-tree), or a scan of a table
 * without an index. Scanning is fine for a table-valued function (`json_each` of a list the
 * statement was given) and for a CTE or subquery the same statement materialized (or ran as a co-routine) from one.
 */
function problems(plan: Plan): string[] {
  // A subquery run as a co-routine (e.g. the FTS5 hits of D1AddressSearch) is scanned as it yields its rows.
  const materialized = plan.flatMap((step) => /^(?:MATERIALIZE|CO-ROUTINE) (\S+)/.exec(step)?.[1] ?? []);
  const allowedScan = (step: string) =>
    / VIRTUAL TABLE\b/.test(step) ||
    / USING (COVERING )?INDEX /.test(step) ||
    /CONSTANT ROW/.test(step) ||
    materialized.some((name) => new RegExp(`^SCAN ${name}( |$)`).test(step));
  return plan.filter((step) => /USE TEMP B-TREE/.test(step) || (/^SCAN /.test(step) && !allowedScan(step)));
}

function distinct(statements: SentStatement[]): SentStatement[] {
  const seen = new Map<string, SentStatement>();
  for (const s of statements) if (!seen.has(s.sql)) seen.set(s.sql, s);
  return [...seen.values()];
}

async function d1Plan({ sql, params }: SentStatement): Promise<Plan> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail);
}

const ALL_FACTS: Fact[] = ["unit", "labels", "neighbourhood", "municipality", "atPostcode", "parcel", "monument"];

/** A seeded address with a letter-less, addition-less key, and its unit and buurt. */
let seeded: Address & { postcode: string };
beforeAll(async () => {
  const row = await new D1PropertyStore(env.DB).addressesForPostcode(
    String((await env.DB.prepare("SELECT postcode FROM addresses WHERE is_synthetic = 1 ORDER BY id LIMIT 1").first())?.postcode),
  );
  const found = row.find((a) => a.neighbourhoodCode !== null);
  if (!found || found.postcode === null) throw new Error("no seeded address");
  seeded = { ...found, postcode: found.postcode };
});

/** Runs `work` on a recording binding; every statement it sent, once per distinct SQL. */
async function sentBy(work: (db: D1Database) => Promise<unknown>): Promise<SentStatement[]> {
  const counted = countRoundTrips(env.DB);
  await work(counted.db);
  return distinct(counted.trips.log.flatMap((trip) => trip.statements));
}

async function expectIndexed(statements: SentStatement[], atLeast: number): Promise<void> {
  expect(statements.length).toBeGreaterThanOrEqual(atLeast);
  for (const statement of statements) {
    const plan = await d1Plan(statement);
    // Only an INSERT … VALUES reads no table, and has no plan.
    if (/\b(SELECT|WHERE)\b/i.test(statement.sql)) expect(plan.length, statement.sql).toBeGreaterThan(0);
    expect(problems(plan), `${statement.sql.replace(/\s+/g, " ")}\n  plan: ${plan.join(" | ")}`).toEqual([]);
  }
}

describe("query plans of the D1 stores", () => {
  it("D1PropertyStore: the single reads and the batch reads", async () => {
    const key = { postcode: seeded.postcode, houseNumber: seeded.houseNumber, houseLetter: null, houseNumberAddition: null };
    const statements = await sentBy(async (db) => {
      const store = new D1PropertyStore(db);
      await store.addressesForPostcode(seeded.postcode);
      await store.addressesForPostcode(seeded.postcode, seeded.houseNumber);
      await store.findAddress(key);
      await store.addressById(seeded.id);
      await store.unit(seeded.unitId);
      await store.energyLabels(seeded.unitId);
      await store.neighbourhood(seeded.neighbourhoodCode ?? "");
      await store.municipality(seeded.municipalityCode);
      await store.property({ addressId: seeded.id }, ALL_FACTS);
      await store.property({ key }, ALL_FACTS);
      await store.properties([{ addressId: seeded.id }, { key }], ALL_FACTS);
      await store.factsFor([seeded], ALL_FACTS);
    });
    await expectIndexed(statements, 20);
  });

  it("D1AddressSearch: the FTS5 index (a virtual table scan, allowed), then addresses by primary key", async () => {
    const queries = [
      `${seeded.street} ${seeded.houseNumber} ${seeded.place}`,
      `${seeded.postcode} ${seeded.houseNumber}`,
      seeded.place.slice(0, 4),
    ];
    const statements = await sentBy(async (db) => {
      const search = new D1AddressSearch(db);
      for (const text of queries) {
        const q = parseAddressQuery(text);
        if (!q.ok) throw new Error(q.error);
        await search.search(q.value, 10);
      }
    });
    await expectIndexed(statements, 2);
    for (const statement of statements) {
      const plan = await d1Plan(statement);
      expect(
        plan.some((step) => /VIRTUAL TABLE INDEX/.test(step)),
        plan.join("\n"),
      ).toBe(true);
      if (/JOIN addresses/.test(statement.sql))
        expect(plan.join("\n")).toMatch(/SEARCH a USING INDEX sqlite_autoindex_addresses_1 \(id=\?\)/);
    }
  });

  it("D1AddressSearch.coverage (asked when a search finds nothing): index searches only", async () => {
    const statements = await sentBy(async (db) => {
      const covered = await new D1AddressSearch(db).coverage();
      expect(covered.map((p) => p.municipality)).toEqual(["Amersfoort", "Amsterdam", "Rotterdam", "Utrecht"]);
    });
    await expectIndexed(statements, 1);
  });

  it("AssessmentStore: saving, listing, reading and deleting", async () => {
    const statements = await sentBy(async (db) => {
      const store = new AssessmentStore(db);
      const base = {
        ownerKey: "plan-owner",
        tenantId: "plan-tenant",
        ownerName: "Plan Owner",
        ownerEmail: "plan@example.com",
        addressId: seeded.id,
        addressLabel: "label",
        engineVersion: ENGINE_VERSION,
        jobId: null,
        inputs: {},
        result: {} as never,
      };
      const saved = await store.save(base);
      await store.saveAllOnce([{ ...base, id: crypto.randomUUID(), jobId: "job" }]);
      await store.latestPerAddress("plan-owner", 25, 0);
      await store.forAddress("plan-owner", seeded.id);
      await store.byId("plan-owner", saved.id);
      await store.forTenant("plan-tenant", 25, 0);
      await store.delete("plan-owner", saved.id);
    });
    await expectIndexed(statements, 9);
  });

  it("the live source's cache reads", async () => {
    const now = new Date();
    const subjects: Array<[string, string]> = [
      [REGISTER.locatieserver, SUBJECT.postcode(seeded.postcode)],
      [REGISTER.locatieserver, SUBJECT.houseNumber(seeded.postcode, seeded.houseNumber)],
      [REGISTER.locatieserver, SUBJECT.address(seeded.id)],
      [REGISTER.bag, SUBJECT.unit(seeded.unitId)],
      [REGISTER.epOnline, SUBJECT.labels(seeded.unitId)],
      [REGISTER.cbs, SUBJECT.neighbourhood("85984NED", seeded.neighbourhoodCode ?? "")],
      [REGISTER.cbs, SUBJECT.valueBasis(seeded.municipalityCode)],
    ];
    // Fresh answers for every question, so the source reads its cache and asks no register.
    await env.DB.batch(
      subjects.map(([register, subject]) =>
        env.DB.prepare(
          "INSERT INTO register_fetches (register, subject, retrieved_at, found) VALUES (?1, ?2, ?3, 1) ON CONFLICT DO UPDATE SET retrieved_at = ?3",
        ).bind(register, subject, now.toISOString()),
      ),
    );
    const noNetwork = (() => Promise.reject(new Error("no register in this test"))) as typeof fetch;
    const statements = await sentBy(async (db) => {
      const live = new LiveSource({ db, fetch: noNetwork, now: () => now, epOnlineApiKey: "k" });
      await live.addressesForPostcode(seeded.postcode);
      await live.addressesForPostcode(seeded.postcode, seeded.houseNumber);
      await live.addressById(seeded.id);
      await live.unit(seeded.unitId);
      await live.energyLabels(seeded.unitId);
      await live.neighbourhood(seeded.neighbourhoodCode ?? "");
      await live.municipality(seeded.municipalityCode);
      await live.factsFor([seeded], ALL_FACTS);
    });
    await expectIndexed(statements, 10);
  });

  it("the audit trail: every filter of a page, and the retention sweep", async () => {
    const statements = await sentBy(async (db) => {
      const audit = new AuditStore(db);
      const cursor = encodeCursor({ at: 1_764_000_000_000, id: "00000000-0000-4000-8000-000000000000" });
      const tenantId = "t";
      for (const filter of [
        {},
        { tenantId },
        { tenantId, userKey: "u" },
        { tenantId, kind: "token.refreshed" },
        { tenantId, kind: "token" },
        { tenantId, from: 1, to: 2 },
        { userKey: "u" },
        { kind: "token" },
        { kind: "token.refreshed" },
        { from: 1, to: 2 },
      ]) {
        await audit.page(filter, 10);
        await audit.page(filter, 10, cursor);
      }
      await audit.deleteBefore(0);
    });
    await expectIndexed(statements, 15);
  });
});

describe("query plans of the agent's job tables (its own SQLite)", () => {
  it("every statement PortfolioJobs runs", async () => {
    const { results } = await env.DB.prepare("SELECT id FROM addresses WHERE is_synthetic = 1 ORDER BY id LIMIT 30").all<{ id: string }>();
    const stub = env.MCP_AGENT.getByName(`query-plans-${crypto.randomUUID()}`);
    const checked = await runInDurableObject(stub, async (_agent, state) => {
      const sent: SentStatement[] = [];
      const sql = <T>(strings: TemplateStringsArray, ...values: (string | number | boolean | null)[]) => {
        const query = strings.join("?");
        sent.push({ sql: query, params: values });
        return state.storage.sql.exec(query, ...values).toArray() as T[];
      };
      const limits = { maxConcurrent: 5, maxPerTenant: 10, maxAddresses: 50_000, batchSize: 25 };
      const jobs = new PortfolioJobs({ sql, db: env.DB, start: async () => {}, record: () => {}, watch: async () => {} }, limits);
      const owner = { userKey: "plan-user", tenantId: "plan-tenant" };
      const job = await jobs.create(
        owner,
        [...results.map((r) => ({ addressId: r.id })), { addressId: results[0]?.id ?? "" }, { postcode: "9999ZZ", houseNumber: 1 }],
        7,
      );
      jobs.running(owner.userKey);
      jobs.owned(owner.userKey, job.id);
      jobs.list(owner.userKey);
      jobs.runningJobs();
      jobs.progress(job.id, { state: "running", done: 25, failed: 1, lastLabel: "x" });
      jobs.finished(job.id, { state: "completed", done: 32, failed: 1, lastLabel: null });
      const other = await jobs.create(owner, [{ addressId: results[1]?.id ?? "" }], 8);
      await jobs.cancel(owner.userKey, other.id);
      await jobs.cancelByRequest(7);
      const plans: Array<{ sql: string; plan: Plan }> = [];
      for (const statement of distinct(sent)) {
        if (/^\s*(CREATE|ALTER)\b/i.test(statement.sql)) continue;
        const plan = state.storage.sql
          .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${statement.sql}`, ...(statement.params as SqlStorageValue[]))
          .toArray()
          .map((r) => r.detail);
        plans.push({ sql: statement.sql, plan });
      }
      return plans;
    });
    expect(checked.length).toBeGreaterThanOrEqual(8);
    for (const { sql, plan } of checked) {
      expect(problems(plan), `${sql.replace(/\s+/g, " ")}\n  plan: ${plan.join(" | ")}`).toEqual([]);
    }
  });
});

describe("query plans of a portfolio batch (D1)", () => {
  it("every statement of runJobBatch is indexed, and each item is written by its primary key, not by scanning the pending ones", async () => {
    const { results } = await env.DB.prepare("SELECT id FROM addresses WHERE is_synthetic = 1 ORDER BY id LIMIT 60").all<{ id: string }>();
    const jobId = crypto.randomUUID();
    await env.DB.prepare(
      "INSERT INTO portfolio_jobs (id, owner_key, tenant_id, state, total, mixed_forms, instance_id, created_at) VALUES (?1, 'plan-user', 'plan-tenant', 'running', ?2, 1, ?1, ?3)",
    )
      .bind(jobId, results.length, new Date().toISOString())
      .run();
    await env.DB.prepare(
      "INSERT INTO portfolio_items (job_id, seq, row, input, status) SELECT ?1, key, key + 1, json_object('addressId', value), 'pending' FROM json_each(?2)",
    )
      .bind(jobId, JSON.stringify(results.map((r) => r.id)))
      .run();
    const statements = await sentBy((db) =>
      runJobBatch({ db, data: createPropertySource(testConfig, db), now: () => new Date() }, jobId, 0, 20),
    );
    await expectIndexed(statements, 4);
    const update = statements.find((s) => /UPDATE portfolio_items SET status = outcome\.status/.test(s.sql));
    if (!update) throw new Error("the batch sent no item update");
    const plan = await d1Plan(update);
    // The pending items of a job can be 50 000: searching them by the (job, status) index for each
    // outcome made every batch's write grow with the job (~0.4 s per 500 items under wrangler dev).
    expect(plan.join(" | ")).toMatch(
      /SEARCH portfolio_items USING (PRIMARY KEY|INDEX sqlite_autoindex_portfolio_items_1) \(job_id=\? AND seq=\?\)/,
    );
  });
});

import { env } from "cloudflare:workers";
import type { Client } from "@modelcontextprotocol/client";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config";
import { clearResolvedColumns } from "../src/data/live/cbs-properties";
import { LiveSource } from "../src/data/live/live-source";
import { createServices, type Services } from "../src/data/services";
import { connectInProcess } from "./helpers/mcp";
import { bulkAddressId, bulkStandIn, countingDb, pacing } from "./helpers/register-pacing";
import { ADDRESS_37, EP_ONLINE_KEY, everyRegisterStandIn } from "./helpers/registers";

/*
 * How many register round trips a cold tool call waits for (issue 18, point 4), counted, not
 * timed. The stand-ins hold every request (test/helpers/register-pacing.ts, "rounds"): a round
 * releases every request held at that moment once no new one has come for a settle period and
 * no D1 query of the live source is under way (so the code is waiting on the registers alone).
 * Requests that go out side by side land in one round; a request that needs another's answer
 * lands in the next. With a register stand-in at a fixed latency L per answer, k rounds take
 * k × L plus the D1 and CPU time between them, so "at most 3.5 register latencies" for
 * Get_Property_Data and Quick_Assess_Property is "at most 3 rounds" here (the wall-clock figures
 * are in docs/benchmarks.md, section "registers", from `npm run bench`).
 *
 * Before issue 18 the live source asked one register after another: Get_Property_Data took 7
 * rounds, Quick_Assess_Property 8, Get_Property_Energy_Label 4, and the 31 addresses below 1 by 1 (measured with this file on the
 * code before the change).
 *
 * The default budgets (src/config/register-budgets.ts) apply: a cold Quick_Assess_Property asks
 * CBS 10 things in its second round, which the default concurrency of 10 lets through at once.
 */

const config = parseConfig({ PUBLIC_URL: "https://mcp.example.com", DATA_SOURCE: "live", EP_ONLINE_API_KEY: EP_ONLINE_KEY });
const counting = countingDb(env.DB);
const SETTLE_MS = 150;

function liveServices(): Services {
  const base = createServices(config, env);
  return {
    ...base,
    data: new LiveSource({ db: counting.db, epOnlineApiKey: EP_ONLINE_KEY, retryDelayMs: 1, registerUrls: config.registerUrls }),
  };
}
const services = liveServices();
let client: Client;

beforeAll(async () => {
  client = await connectInProcess(services, "rounds-tests");
});

/** An empty cache: no live rows, no fetch records, no CBS column keys resolved in this isolate. */
async function coldCache() {
  await env.DB.batch(
    [
      "register_fetches",
      "value_basis",
      "unit_parcels",
      "unit_monuments",
      "parcels",
      "monuments",
      "energy_labels",
      "assessments",
      "addresses",
      "unit_buildings",
      "units",
      "buildings",
      "neighbourhoods",
      "districts",
      "municipalities",
    ].map((table) => env.DB.prepare(`DELETE FROM ${table}`)),
  );
  clearResolvedColumns();
}

beforeEach(async () => {
  await coldCache();
  everyRegisterStandIn();
  pacing.busy = counting.busy;
  pacing.set({ mode: "rounds", settleMs: SETTLE_MS });
});

afterEach(() => pacing.set({ mode: "now" }));

/** Calls a tool with a cold cache and returns its answer and the rounds it needed. */
async function coldCall(name: string) {
  const result = await client.callTool({ name, arguments: { addressId: ADDRESS_37 } });
  expect(result.isError).not.toBe(true);
  const structured = result.structuredContent as { registerGaps?: unknown[] };
  // Every register answered: a round count of a call that gave up on one would prove nothing.
  expect(structured.registerGaps).toEqual([]);
  return { structured, rounds: pacing.rounds, log: [...pacing.log] };
}

/** The rounds in which `register` was answered. */
const roundsOf = (log: Array<{ register: string; round: number }>, register: string) =>
  [...new Set(log.filter((e) => e.register === register).map((e) => e.round))].sort();

describe("a cold tool call asks independent registers side by side", () => {
  it("Get_Property_Data: address → BAG unit, neighbours, parcel link and monument together → pand and BRK parcel: 3 rounds", async () => {
    const { rounds, log } = await coldCall("Get_Property_Data");
    expect(rounds).toBeLessThanOrEqual(3);
    expect(roundsOf(log, "rce")).toEqual([2]);
    expect(roundsOf(log, "brk")).toEqual([3]);
  });

  it("Quick_Assess_Property: address → BAG unit, EP-Online, CBS buurt and value basis together → pand: 3 rounds", async () => {
    const { rounds, log } = await coldCall("Quick_Assess_Property");
    expect(rounds).toBeLessThanOrEqual(3);
    expect(roundsOf(log, "ep-online")).toEqual([2]);
    // Every CBS request (the columns of four tables and their rows) in one round.
    expect(roundsOf(log, "cbs")).toEqual([2]);
  });

  it("Get_Property_Energy_Label: the label in round 2; the build year's pand (for the WWS substitute label) in round 3", async () => {
    const { rounds, log } = await coldCall("Get_Property_Energy_Label");
    expect(roundsOf(log, "ep-online")).toEqual([2]);
    expect(rounds).toBeLessThanOrEqual(3);
  });
});

describe("many addresses at once (portfolio batches)", () => {
  it("properties() of 30 cold addresses runs them concurrently: a few rounds, not 30 × 3; each address its own answer", async () => {
    bulkStandIn();
    const lookups = Array.from({ length: 30 }, (_, i) => ({ addressId: bulkAddressId(i) }));
    // One address the registers do not know: it alone answers null.
    lookups.push({ addressId: "0611200000999999" });
    const answers = await services.data.properties(lookups, ["unit", "labels", "neighbourhood", "municipality"]);
    expect(answers.slice(0, 30).every((a) => a.ok && a.value?.unit !== null && a.value?.labels.length && a.value.gaps.length === 0)).toBe(
      true,
    );
    expect(answers[30]).toEqual({ ok: true, value: null });
    // 31 lookups, 16 addresses under way at once (ADDRESS_CONCURRENCY), the Locatieserver 10 at once (its budget): 6 to 9
    // rounds, as the rounds happen to settle; one after another they would take 31 × 3 = 93.
    expect(pacing.rounds).toBeLessThanOrEqual(12);
    // The buurt's and the gemeente's CBS figures were asked once for all of them (10 requests).
    expect(pacing.log.filter((e) => e.register === "cbs")).toHaveLength(10);
  });
});

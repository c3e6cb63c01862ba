import { env } from "cloudflare:workers";
import { HttpResponse, http } from "msw";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CBS_ODATA_BASE } from "../../src/data/live/cbs";
import { EP_ONLINE_BASE } from "../../src/data/live/ep-online";
import { LiveSource } from "../../src/data/live/live-source";
import { coldLiveCache, expectLiveMode } from "../helpers/live";
import { mockServer } from "../helpers/msw";
import {
  ADDRESS_37,
  ADDRESS_41,
  addressSearchStandIn,
  EP_ONLINE_KEY,
  everyRegisterStandIn,
  NO_POSTCODE_ADDRESS,
  noPostcodeStandIn,
} from "../helpers/registers";
import { deterministicIds, FROZEN_AT } from "./harness";
import { type GoldenCase, pinCase } from "./run-case";

/**
 * Golden answers in live mode: every tool, through the real Worker with DATA_SOURCE=live (the
 * "workerd-live" project in vitest.config.ts: migrations, no synthetic seed), on addresses the
 * register stand-ins of test/helpers/registers.ts know. The stand-ins answer from
 * test/fixtures/registers in each register's wire format (PDOK Locatieserver and BAG, EP-Online,
 * CBS OData, PDOK BRK, RCE SPARQL); one case makes registers fail, so the data-gap wording is
 * pinned too. Each case starts from an empty register cache (cold), and the clock and ids are
 * fixed as in the synthetic set (./harness.ts). The answers are in test/golden/answers/live/<case>/
 * (update with `npx vitest run --project workerd-live test/golden -u`, then review the diff).
 */

interface LiveCase extends GoldenCase {
  /** The registers as this case meets them (each case adds its handlers on a clean MSW server). */
  registers: () => void;
  /** When set, the address's facts were cached then (every register answering), before the case runs. */
  cachedAt?: Date;
}

/** Past every cache TTL (the longest is 90 days) at FROZEN_AT, so a cached answer is stale. */
const LONG_AGO = new Date(FROZEN_AT.getTime() - 400 * 24 * 60 * 60 * 1000);

/** Caches every fact of `addressId` as the registers answered at `at` (all healthy). */
async function warmCache(addressId: string, at: Date): Promise<void> {
  healthyRegisters();
  const source = new LiveSource({ db: env.DB, epOnlineApiKey: EP_ONLINE_KEY, now: () => at, retryDelayMs: 1 });
  await source.property({ addressId }, ["unit", "labels", "neighbourhood", "municipality", "atPostcode", "parcel", "monument"]);
}

/** Every register answering from its fixtures, as a live deployment meets them on a good day. */
function healthyRegisters(): void {
  everyRegisterStandIn();
  addressSearchStandIn();
}

/** Every CBS table (neighbourhood figures, value basis, price index) answers 503; EP-Online answers 429 with Retry-After 0. */
function cbsDownEpOnlineThrottled(): void {
  healthyRegisters();
  mockServer.use(
    http.get(`${CBS_ODATA_BASE}/*`, () => new HttpResponse("Service Unavailable", { status: 503 })),
    http.get(`${EP_ONLINE_BASE}/*`, () => new HttpResponse("Too Many Requests", { status: 429, headers: { "retry-after": "0" } })),
  );
}

const CASES: LiveCase[] = [
  {
    slug: "complete-dwelling",
    title: "live: complete dwelling with label, parcel and rijksmonument",
    why: "Schenkeldijk 37, 3286LT Klaaswaal in live mode, every register answering (stand-ins in the registers' wire formats): BAG unit and pand, an NTA 8800 label and an expired older one from EP-Online, the buurt's and municipality's CBS figures, the CBS value basis with the price index, a BRK parcel and a rijksmonument from RCE. Nothing synthetic may show.",
    addressId: ADDRESS_37,
    query: "Schenkeldijk 37 Klaaswaal",
    postcode: { postcode: "3286LT", houseNumber: 37 },
    registers: healthyRegisters,
  },
  {
    slug: "no-label",
    title: "live: dwelling without a label",
    why: "Schenkeldijk 41B-2, 3286LT Klaaswaal in live mode: EP-Online answers 404 (no label registered), so the value names the label it assumed; the WWS substitute label is shown as a stand-in; no parcel is linked to it.",
    addressId: ADDRESS_41,
    query: "Schenkeldijk 41B-2 Klaaswaal",
    postcode: { postcode: "3286LT", houseNumber: 41 },
    registers: healthyRegisters,
  },
  {
    slug: "no-postcode",
    title: "live: address without a postcode",
    why: "Keizersgracht 123B, Amsterdam in live mode: a BAG address without a postcode, found by search and by id (never by postcode); its unit is an illustrative 14 m² shed (overige gebruiksfunctie) whose BAG record is made from Schenkeldijk 37's, so not a dwelling; no buurt, and CBS has no value basis for GM0363 in the stand-in.",
    addressId: NO_POSTCODE_ADDRESS,
    query: "Keizersgracht 123B Amsterdam",
    postcode: null,
    registers: () => {
      healthyRegisters();
      noPostcodeStandIn();
    },
  },
  {
    slug: "degraded-cbs-down-ep-online-throttled",
    title: "live: CBS down and EP-Online throttled, nothing cached",
    why: "Schenkeldijk 37 in live mode with a cold cache while every CBS table answers 503 and EP-Online answers 429: the tools still answer, the neighbourhood figures, the value basis and the label are unknown (no synthetic number in their place), and each failing register is named in the data gaps.",
    addressId: ADDRESS_37,
    query: "Schenkeldijk 37 Klaaswaal",
    postcode: { postcode: "3286LT", houseNumber: 37 },
    registers: cbsDownEpOnlineThrottled,
  },
  {
    slug: "stale-cbs-down-ep-online-throttled",
    title: "live: CBS down and EP-Online throttled, older answers cached",
    why: "Schenkeldijk 37 in live mode while every CBS table answers 503 and EP-Online answers 429, with every register's answer cached 400 days earlier (past every TTL): the older label, neighbourhood figures and value basis are used, each named as stale with its retrieval date in the data gaps; the registers that answer are asked again.",
    addressId: ADDRESS_37,
    query: "Schenkeldijk 37 Klaaswaal",
    postcode: { postcode: "3286LT", houseNumber: 37 },
    registers: cbsDownEpOnlineThrottled,
    cachedAt: LONG_AGO,
  },
];

const ids = deterministicIds();

beforeAll(() => {
  // The Worker runs with the settings of the "workerd-live" project: live registers, and the key EP-Online's stand-in accepts.
  expectLiveMode();
});

beforeEach(async () => {
  // A cold cache for every case: what the answers say comes from the registers of that case alone.
  await coldLiveCache();
});

describe("golden answers, live registers (stand-ins)", () => {
  for (const c of CASES) {
    it(c.title, { timeout: 180_000 }, async () => {
      if (c.cachedAt) {
        await warmCache(c.addressId, c.cachedAt);
        mockServer.resetHandlers();
      }
      c.registers();
      const calls = await pinCase("live", c, ids);
      // Live mode never shows a synthetic number: no synthetic source or note in any answer.
      for (const done of calls) {
        expect(done.text, done.tool).not.toMatch(/synthetic/i);
        expect(JSON.stringify(done.structured), done.tool).not.toContain('"synthetic":true');
      }
    });
  }
});

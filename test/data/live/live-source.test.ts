import { env } from "cloudflare:workers";
import { delay, HttpResponse, http } from "msw";
import { beforeEach, describe, expect, it } from "vitest";
import { CBS_ODATA_BASE } from "../../../src/data/live/cbs";
import { EP_ONLINE_BASE } from "../../../src/data/live/ep-online";
import { EP_ONLINE_NOT_CONFIGURED, LiveSource, type LiveSourceOptions, liveAttributions } from "../../../src/data/live/live-source";
import { LOCATIESERVER_FREE_URL } from "../../../src/data/live/pdok-locatieserver";
import type { Fact, RegisterGap } from "../../../src/data/types";
import { RegisterError } from "../../../src/data/types";
import cbsEmpty from "../../fixtures/registers/cbs-85984NED-typeddataset-empty.json";
import labels from "../../fixtures/registers/ep-online-0611010000508342.json";
import page1 from "../../fixtures/registers/locatieserver-free-3286LT-page1.json";
import { countRoundTrips } from "../../helpers/d1-count";
import { mockServer } from "../../helpers/msw";
import {
  bagStandIn,
  cbsStandIn,
  EP_ONLINE_KEY,
  epOnlineStandIn,
  LOCATIESERVER_DOCS,
  locatieserverStandIn,
  NO_POSTCODE_ADDRESS,
  NO_POSTCODE_UNIT,
  noPostcodeStandIn,
} from "../../helpers/registers";

/**
 * The live source against the real D1 binding (migrated and seeded by test/setup.ts) with the
 * registers stood in for by MSW from the fixtures (test/helpers/registers.ts). Everything here lives in GM1963 / 3286LT / BAG ids
 * 0611…, which the synthetic seed (GM0307, GM0344, GM0363, GM0599) never uses.
 */

const DAY = 24 * 60 * 60 * 1000;
const T0 = new Date("2026-03-02T10:00:00.000Z");
const UNIT_37 = "0611010000508342";
const UNIT_41 = "0611010000508404";

/** The four registers' stand-ins (test/helpers/registers.ts), each recording what it was asked. */
function registers() {
  return { locatieserver: locatieserverStandIn(), bag: bagStandIn(), epOnline: epOnlineStandIn(), cbs: cbsStandIn() };
}

/** A live source on the test D1 whose clock the test moves. */
function liveSource(options: Partial<LiveSourceOptions> = {}) {
  const clock = { now: T0 };
  const source = new LiveSource({ db: env.DB, epOnlineApiKey: EP_ONLINE_KEY, now: () => clock.now, retryDelayMs: 1, ...options });
  return { source, clock };
}

const rows = (sql: string, ...binds: unknown[]) =>
  env.DB.prepare(sql)
    .bind(...binds)
    .all<Record<string, unknown>>()
    .then((r) => r.results);

/** Removes what these tests cache, so each starts from a D1 without it. */
async function clearLiveRows() {
  await env.DB.batch([
    env.DB.prepare("DELETE FROM register_fetches WHERE subject LIKE '%0363%11223%'"),
    env.DB.prepare("DELETE FROM energy_labels WHERE unit_id = ?1").bind(NO_POSTCODE_UNIT),
    env.DB.prepare("DELETE FROM addresses WHERE id = ?1").bind(NO_POSTCODE_ADDRESS),
    env.DB.prepare("DELETE FROM unit_buildings WHERE unit_id = ?1").bind(NO_POSTCODE_UNIT),
    env.DB.prepare("DELETE FROM units WHERE id = ?1").bind(NO_POSTCODE_UNIT),
    env.DB.prepare(
      "DELETE FROM register_fetches WHERE subject LIKE '%3286LT%' OR subject LIKE '%0611%' OR subject LIKE '%BU1963%' OR subject LIKE '%9999ZZ%'",
    ),
    env.DB.prepare("DELETE FROM energy_labels WHERE unit_id LIKE '0611%'"),
    env.DB.prepare("DELETE FROM addresses WHERE postcode = '3286LT' OR id LIKE '0611%'"),
    env.DB.prepare("DELETE FROM unit_buildings WHERE unit_id LIKE '0611%'"),
    env.DB.prepare("DELETE FROM units WHERE id LIKE '0611%'"),
    env.DB.prepare("DELETE FROM buildings WHERE id LIKE '0611%'"),
    env.DB.prepare("DELETE FROM neighbourhoods WHERE code LIKE 'BU1963%'"),
    env.DB.prepare("DELETE FROM districts WHERE code LIKE 'WK1963%'"),
    env.DB.prepare("DELETE FROM municipalities WHERE code = 'GM1963'"),
  ]);
}

beforeEach(clearLiveRows);

describe("live source: addresses", () => {
  it("asks the Locatieserver once, caches the postcode and returns the same shape as synthetic data", async () => {
    const { locatieserver } = registers();
    const { source } = liveSource();
    const first = await source.addressesForPostcode("3286LT");
    expect(locatieserver.requests).toHaveLength(2); // two pages
    expect(first.map((a) => `${a.houseNumber}${a.houseLetter ?? ""}${a.houseNumberAddition ? `-${a.houseNumberAddition}` : ""}`)).toEqual([
      "37",
      "37A",
      "39-1",
      "39-2",
      "41B-2",
    ]);
    expect(first[0]).toEqual({
      id: "0611200000608342",
      unitId: UNIT_37,
      isMain: true,
      postcode: "3286LT",
      houseNumber: 37,
      houseLetter: null,
      houseNumberAddition: null,
      street: "Schenkeldijk",
      place: "Klaaswaal",
      municipalityCode: "GM1963",
      municipalityName: "Hoeksche Waard",
      neighbourhoodCode: "BU19630601",
      lat: 51.76043099,
      lon: 4.44064434,
      source: { register: "pdok-locatieserver", retrievedAt: T0.toISOString(), synthetic: false },
    });

    const second = await source.addressesForPostcode("3286LT");
    expect(second).toEqual(first);
    expect(await source.addressesForPostcode("3286LT", 39)).toHaveLength(2);
    expect(await source.findAddress({ postcode: "3286LT", houseNumber: 41, houseLetter: "b", houseNumberAddition: "2" })).toMatchObject({
      id: "0611200000608404",
    });
    expect(await source.addressById("0611200000608401")).toMatchObject({ houseLetter: "A" });
    expect(locatieserver.requests).toHaveLength(2);
  });

  it("writes rows marked live, with their register and retrieval time", async () => {
    registers();
    const { source } = liveSource();
    await source.addressesForPostcode("3286LT");
    const written = await rows("SELECT is_synthetic, source, retrieved_at FROM addresses WHERE postcode = '3286LT'");
    expect(written).toHaveLength(5);
    for (const row of written) expect(row).toEqual({ is_synthetic: 0, source: "pdok-locatieserver", retrieved_at: T0.toISOString() });
    // The foreign keys' placeholders are live rows too, and never returned as data.
    expect(await rows("SELECT is_synthetic, source, woz_per_m2_year FROM municipalities WHERE code = 'GM1963'")).toEqual([
      { is_synthetic: 0, source: "pdok-locatieserver", woz_per_m2_year: 0 },
    ]);
    expect(await rows("SELECT name, dataset_year, inhabitants FROM neighbourhoods WHERE code = 'BU19630601'")).toEqual([
      { name: "Klaaswaal-Kern", dataset_year: 0, inhabitants: null },
    ]);
    expect(await rows("SELECT count(*) AS n FROM units WHERE id LIKE '0611%' AND is_synthetic = 0 AND status = ''")).toEqual([{ n: 5 }]);
    // The placeholder is never the value basis: the gemeente is valued by CBS (cbs-value.ts), cached in value_basis.
    const gm = await source.municipality("GM1963");
    expect(gm?.valueBasis).toMatchObject({
      level: "gemeente",
      regionCode: "GM1963",
      woz: { table: "85036NED" },
      referenceDate: "2023-01-01",
    });
    expect(gm?.source).toEqual({ register: "cbs-kwb", retrievedAt: T0.toISOString(), synthetic: false });
    expect(await rows("SELECT municipality_code, eur_per_m2 FROM value_basis")).toEqual([
      { municipality_code: "GM1963", eur_per_m2: gm?.wozPerM2 },
    ]);
    expect(
      await rows("SELECT found, retrieved_at FROM register_fetches WHERE register = 'pdok-locatieserver' AND subject = 'postcode:3286LT'"),
    ).toEqual([{ found: 1, retrieved_at: T0.toISOString() }]);
  });

  it("fetches one house number for a lookup, without unknown query parameters", async () => {
    const { locatieserver } = registers();
    const { source } = liveSource();
    const found = await source.findAddress({ postcode: "3286LT", houseNumber: 37, houseLetter: "A", houseNumberAddition: null });
    expect(found?.id).toBe("0611200000608401");
    expect(locatieserver.requests).toHaveLength(1);
    expect(new Set(locatieserver.requests[0]?.keys())).toEqual(new Set(["q", "fq", "fl", "rows", "start"]));
    expect(locatieserver.requests[0]?.getAll("fq")).toEqual(["type:adres", "huisnummer:37"]);
    // Same number, other letter: from the cache.
    expect((await source.findAddress({ postcode: "3286LT", houseNumber: 37, houseLetter: null, houseNumberAddition: null }))?.id).toBe(
      "0611200000608342",
    );
    expect(await source.findAddress({ postcode: "3286LT", houseNumber: 37, houseLetter: "Z", houseNumberAddition: null })).toBeNull();
    expect(locatieserver.requests).toHaveLength(1);
  });

  it("caches a miss, and asks again once its TTL has run out", async () => {
    const { locatieserver } = registers();
    const { source, clock } = liveSource();
    expect(await source.addressesForPostcode("9999ZZ")).toEqual([]);
    expect(await source.addressesForPostcode("9999ZZ")).toEqual([]);
    expect(locatieserver.requests).toHaveLength(1);
    expect(await rows("SELECT found FROM register_fetches WHERE subject = 'postcode:9999ZZ'")).toEqual([{ found: 0 }]);
    clock.now = new Date(T0.getTime() + 31 * DAY);
    expect(await source.addressesForPostcode("9999ZZ")).toEqual([]);
    expect(locatieserver.requests).toHaveLength(2);
  });

  it("refetches a stale postcode and drops addresses the register no longer lists", async () => {
    const { locatieserver } = registers();
    const { source, clock } = liveSource();
    await source.addressesForPostcode("3286LT");
    clock.now = new Date(T0.getTime() + 29 * DAY);
    await source.addressesForPostcode("3286LT");
    expect(locatieserver.requests).toHaveLength(2);

    // 37A has been withdrawn by the time the cache goes stale.
    mockServer.use(
      http.get(LOCATIESERVER_FREE_URL, ({ request }) => {
        locatieserver.requests.push(new URL(request.url).searchParams);
        const docs = LOCATIESERVER_DOCS.filter((d) => d.nummeraanduiding_id !== "0611200000608401");
        return HttpResponse.json({ response: { ...page1.response, numFound: docs.length, docs } });
      }),
    );
    clock.now = new Date(T0.getTime() + 31 * DAY);
    const refreshed = await source.addressesForPostcode("3286LT");
    expect(locatieserver.requests).toHaveLength(3);
    expect(refreshed.map((a) => a.id)).not.toContain("0611200000608401");
    expect(refreshed[0]?.source.retrievedAt).toBe(clock.now.toISOString());
  });

  it("serves the stale answer when the register fails, and fails when there is none", async () => {
    const { locatieserver } = registers();
    const { source, clock } = liveSource();
    await source.addressesForPostcode("3286LT");
    clock.now = new Date(T0.getTime() + 40 * DAY);
    locatieserver.fail = true;
    const stale = await source.addressesForPostcode("3286LT");
    expect(stale).toHaveLength(5);
    expect(stale[0]?.source.retrievedAt).toBe(T0.toISOString());
    expect(locatieserver.requests).toHaveLength(4); // 2 pages, then a try and its retry

    const error = await source.addressesForPostcode("3286LS").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegisterError);
    expect((error as RegisterError).message).toBe("PDOK Locatieserver is not available right now (HTTP 503); try again later.");
  });

  it("looks an unknown address id up once", async () => {
    const { locatieserver } = registers();
    const { source } = liveSource();
    expect(await source.addressById("0611200000999999")).toBeNull();
    expect(await source.addressById("0611200000999999")).toBeNull();
    expect(locatieserver.requests).toHaveLength(1);
    expect((await source.addressById("0611200000608403"))?.houseNumberAddition).toBe("2");
    expect(locatieserver.requests).toHaveLength(2);
  });

  it("never returns synthetic rows", async () => {
    registers();
    const { source } = liveSource();
    const synthetic = await env.DB.prepare("SELECT id, postcode FROM addresses WHERE is_synthetic = 1 LIMIT 1").first<{
      id: string;
      postcode: string;
    }>();
    expect(synthetic).not.toBeNull(); // test/setup.ts loads the seed
    if (!synthetic) return;
    expect(await source.addressById(synthetic.id)).toBeNull();
    expect(await source.addressesForPostcode(synthetic.postcode)).toEqual([]);
    await env.DB.prepare("DELETE FROM register_fetches WHERE register = 'pdok-locatieserver' AND subject = ?1")
      .bind(`postcode:${synthetic.postcode}`)
      .run();
  });
});

describe("live source: units", () => {
  it("asks BAG, caches the unit with its panden, and marks the hoofdadres", async () => {
    const { bag } = registers();
    const { source } = liveSource();
    await source.addressesForPostcode("3286LT");
    const unit = await source.unit(UNIT_41);
    expect(unit).toEqual({
      id: UNIT_41,
      kind: "verblijfsobject",
      surfaceM2: 132,
      usePurposes: ["winkelfunctie", "woonfunctie"],
      status: "Verblijfsobject in gebruik",
      dwellingType: null,
      inResearch: null, // BAG OGC API v2 does not publish "in onderzoek"
      buildings: [
        {
          id: "0611100000408301",
          buildYear: 1965,
          status: "Pand in gebruik",
          source: { register: "pdok-bag", retrievedAt: T0.toISOString(), synthetic: false },
        },
        {
          id: "0611100000408302",
          buildYear: 1998,
          status: "Verbouwing pand",
          source: { register: "pdok-bag", retrievedAt: T0.toISOString(), synthetic: false },
        },
      ],
      source: { register: "pdok-bag", retrievedAt: T0.toISOString(), synthetic: false },
    });
    expect(bag.requests).toHaveLength(3); // the unit and its two panden
    expect(await source.unit(UNIT_41)).toEqual(unit);
    expect(bag.requests).toHaveLength(3);
    expect(await rows("SELECT is_synthetic, source, retrieved_at FROM buildings WHERE id = '0611100000408302'")).toEqual([
      { is_synthetic: 0, source: "pdok-bag", retrieved_at: T0.toISOString() },
    ]);
    expect((await source.addressById("0611200000608404"))?.isMain).toBe(true);
  });

  it("does not return an address's placeholder unit as data, and caches a miss", async () => {
    const { bag } = registers();
    const { source } = liveSource();
    await source.addressesForPostcode("3286LT");
    // 0611010000508401 exists only as a placeholder; BAG does not know it (in this fixture set).
    expect(await source.unit("0611010000508401")).toBeNull();
    expect(await source.unit("0611010000508401")).toBeNull();
    expect(bag.requests).toHaveLength(1);
  });

  it("refetches a stale unit", async () => {
    const { bag } = registers();
    const { source, clock } = liveSource();
    await source.unit(UNIT_37);
    clock.now = new Date(T0.getTime() + 31 * DAY);
    const again = await source.unit(UNIT_37);
    expect(bag.requests).toHaveLength(4);
    expect(again?.source.retrievedAt).toBe(clock.now.toISOString());
    expect(again?.buildings.map((b) => b.buildYear)).toEqual([1920]);
  });
});

describe("live source: energy labels", () => {
  it("sends the raw key, caches every registration newest first, and asks again after 7 days", async () => {
    const { epOnline } = registers();
    const { source, clock } = liveSource();
    const first = await source.energyLabels(UNIT_37);
    expect(first.map((l) => [l.energyClass, l.method, l.validUntil])).toEqual([
      ["C", "NTA 8800", "2034-04-30T00:00:00"],
      ["E", "Energie-Index", "2021-09-01T00:00:00"],
    ]);
    expect(first[0]?.source).toEqual({ register: "ep-online", retrievedAt: T0.toISOString(), synthetic: false });
    expect(
      await rows(
        "SELECT is_synthetic, source, label_build_year, thermal_area_m2 FROM energy_labels WHERE unit_id = ?1 ORDER BY registered_at",
        UNIT_37,
      ),
    ).toEqual([
      { is_synthetic: 0, source: "ep-online", label_build_year: 1920, thermal_area_m2: 88 },
      { is_synthetic: 0, source: "ep-online", label_build_year: 1920, thermal_area_m2: 91.3 },
    ]);
    clock.now = new Date(T0.getTime() + 6 * DAY);
    expect(await source.energyLabels(UNIT_37)).toEqual(first);
    expect(epOnline.requests).toHaveLength(1);
    clock.now = new Date(T0.getTime() + 8 * DAY);
    await source.energyLabels(UNIT_37);
    expect(epOnline.requests).toHaveLength(2);
    expect(await rows("SELECT count(*) AS n FROM energy_labels WHERE unit_id = ?1", UNIT_37)).toEqual([{ n: 2 }]);
  });

  it("caches 'no label' (404) as []", async () => {
    const { epOnline } = registers();
    const { source } = liveSource();
    expect(await source.energyLabels(UNIT_41)).toEqual([]);
    expect(await source.energyLabels(UNIT_41)).toEqual([]);
    expect(epOnline.requests).toHaveLength(1);
    expect(await rows("SELECT found FROM register_fetches WHERE register = 'ep-online' AND subject = ?1", `labels:${UNIT_41}`)).toEqual([
      { found: 0 },
    ]);
  });

  it("without a key, answers from the cache (stale when older than the TTL) and otherwise says EP-Online is not configured", async () => {
    const { epOnline } = registers();
    await liveSource().source.energyLabels(UNIT_37);
    const { source, clock } = liveSource({ epOnlineApiKey: undefined });
    expect(source.epOnlineConfigured).toBe(false);
    const gaps: RegisterGap[] = [];
    expect(await source.energyLabels(UNIT_37, gaps)).toHaveLength(2);
    expect(gaps).toEqual([]);
    clock.now = new Date(T0.getTime() + 8 * DAY);
    expect(await source.energyLabels(UNIT_37, gaps)).toHaveLength(2);
    expect(gaps).toEqual([
      {
        register: "ep-online",
        name: "EP-Online",
        fields: ["labels"],
        reason: EP_ONLINE_NOT_CONFIGURED,
        stale: { retrievedAt: T0.toISOString() },
      },
    ]);
    const error = await source.energyLabels(UNIT_41).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegisterError);
    expect((error as RegisterError).message).toBe(EP_ONLINE_NOT_CONFIGURED);
    expect(epOnline.requests).toHaveLength(1);
  });

  it("reports a rejected key clearly and without the key", async () => {
    registers();
    const wrong = "wrong-key-5d2c8e1b";
    const { source } = liveSource({ epOnlineApiKey: wrong });
    const error = await source.energyLabels(UNIT_37).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegisterError);
    expect((error as RegisterError).register).toBe("ep-online");
    expect((error as RegisterError).message).toMatch(/API key is missing or invalid/);
    expect((error as RegisterError).message).not.toContain(wrong);
    expect(await rows("SELECT * FROM register_fetches WHERE register = 'ep-online' AND subject = ?1", `labels:${UNIT_37}`)).toEqual([]);
  });

  it("gives up on a register that does not answer in time", async () => {
    registers();
    mockServer.use(
      http.get(`${EP_ONLINE_BASE}/PandEnergielabel/AdresseerbaarObject/:id`, async () => {
        await delay(1_000);
        return HttpResponse.json(labels);
      }),
    );
    const { source } = liveSource({ timeoutMs: 30 });
    await expect(source.energyLabels(UNIT_37)).rejects.toThrow(
      new RegisterError("ep-online", "EP-Online did not answer in time; try again later."),
    );
  });

  it("never asks about the placeholder id", async () => {
    const { epOnline } = registers();
    const { source } = liveSource();
    expect(await source.energyLabels("0000000000000000")).toEqual([]);
    expect(epOnline.requests).toHaveLength(0);
  });
});

describe("live source: neighbourhoods", () => {
  it("asks CBS, caches the buurt with WOZ in thousands and absent measures null", async () => {
    const { cbs } = registers();
    const { source } = liveSource();
    // An address first, so the buurt exists as a placeholder that CBS then fills in.
    await source.addressesForPostcode("3286LT");
    expect(await source.neighbourhood("BU19630601")).toEqual({
      code: "BU19630601",
      name: "Klaaswaal-Kern",
      districtCode: "WK196306",
      districtName: "Klaaswaal",
      municipalityCode: "GM1963",
      municipalityName: "Hoeksche Waard",
      datasetYear: 2024,
      inhabitants: 3105,
      households: 1290,
      avgHouseholdSize: 2.4,
      avgWozThousands: 341,
      dwellings: 1342,
      municipalityAvgWozThousands: 356,
      pctOwnerOccupied: 71.2,
      pctBuiltBefore1945: null,
      distancesKm: { gp: 0.7, supermarket: 0.6, school: 0.5, station: null },
      liveabilityClass: null,
      liveabilityDeviation: null,
      crimePer1000: null,
      floodDepthClass: null,
      soilType: null,
      foundationRiskArea: null,
      source: { register: "cbs-kwb", retrievedAt: T0.toISOString(), synthetic: false },
    });
    // The buurt's row, its names, and the municipality's row of the same table; then the cache.
    expect(cbs.requests).toHaveLength(3);
    await source.neighbourhood("BU19630601");
    expect(cbs.requests).toHaveLength(3);
  });

  it("keeps unpublished measures null, and caches a buurt CBS does not have", async () => {
    const { cbs } = registers();
    const { source, clock } = liveSource();
    const sparse = await source.neighbourhood("BU19630602");
    expect(sparse).toMatchObject({ inhabitants: 45, households: null, avgWozThousands: null, distancesKm: { gp: 3.4, school: null } });
    expect(
      await rows("SELECT avg_woz_thousands, dist_school_km, is_synthetic, source FROM neighbourhoods WHERE code = 'BU19630602'"),
    ).toEqual([{ avg_woz_thousands: null, dist_school_km: null, is_synthetic: 0, source: "cbs-kwb" }]);
    expect(await source.neighbourhood("BU19639999")).toBeNull();
    expect(await source.neighbourhood("BU19639999")).toBeNull();
    expect(cbs.requests).toHaveLength(6);
    clock.now = new Date(T0.getTime() + 91 * DAY);
    await source.neighbourhood("BU19639999");
    expect(cbs.requests).toHaveLength(9);
  });

  it("does not return an address's placeholder buurt when CBS has no figures for it", async () => {
    registers();
    mockServer.use(http.get(`${CBS_ODATA_BASE}/85984NED/TypedDataSet`, () => HttpResponse.json(cbsEmpty)));
    const { source } = liveSource();
    await source.addressesForPostcode("3286LT");
    expect(await source.neighbourhood("BU19630601")).toBeNull();
  });
});

describe("live source: many facts at once", () => {
  const FACTS: Fact[] = ["unit", "labels", "neighbourhood", "municipality"];

  it("answers property(), properties() and factsFor() exactly as the single methods do", async () => {
    const { bag, epOnline, cbs } = registers();
    const { source } = liveSource();
    const address = await source.addressById("0611200000608342");
    if (!address) throw new Error("no address 37");
    const [facts] = await source.factsFor([address], FACTS);
    const asked = { bag: bag.requests.length, epOnline: epOnline.requests.length, cbs: cbs.requests.length };
    expect(asked).toEqual({ bag: 2, epOnline: 1, cbs: 3 }); // the unit and its pand, its labels, its buurt (its row, names, and the GM row)
    expect(facts).toEqual({
      ok: true,
      value: {
        address,
        unit: await source.unit(UNIT_37),
        labels: await source.energyLabels(UNIT_37),
        neighbourhood: await source.neighbourhood("BU19630601"),
        municipality: await source.municipality("GM1963"),
        atPostcode: [],
        // Not asked of the live registers yet (FACTS has neither).
        parcel: null,
        monument: null,
        gaps: [],
      },
    });
    expect(await source.property({ addressId: address.id }, FACTS)).toEqual(facts?.ok && facts.value);
    const byKey = await source.property({ key: { postcode: "3286LT", houseNumber: 37, houseLetter: null, houseNumberAddition: null } }, [
      ...FACTS,
      "atPostcode",
    ]);
    expect(byKey?.atPostcode).toEqual(await source.addressesForPostcode("3286LT"));
    expect(await source.properties([{ addressId: "0611200000999999" }, { addressId: address.id }], FACTS)).toEqual([
      { ok: true, value: null },
      facts,
    ]);
    // Everything was fresh after the first read: no register was asked again.
    expect({ bag: bag.requests.length, epOnline: epOnline.requests.length, cbs: cbs.requests.length }).toEqual(asked);
  });

  it("reads fresh facts of many addresses in one round trip, cache records included", async () => {
    registers();
    const { source } = liveSource();
    const addresses = await source.addressesForPostcode("3286LT");
    for (const a of addresses) await source.factsFor([a], FACTS);
    const counted = countRoundTrips(env.DB);
    const cachedOnly = new LiveSource({ db: counted.db, epOnlineApiKey: EP_ONLINE_KEY, now: () => T0 });
    const all = await cachedOnly.factsFor(addresses, FACTS);
    expect(counted.trips.count, counted.trips.describe()).toBe(1);
    expect(all.map((f) => f.ok && f.value.unit?.id)).toEqual(
      addresses.map((a) => ([UNIT_37, UNIT_41].includes(a.unitId) ? a.unitId : undefined)),
    );
  });

  it("leaves only the failing register's facts unknown, for that address only, and names the register", async () => {
    registers();
    mockServer.use(
      http.get(`${EP_ONLINE_BASE}/PandEnergielabel/AdresseerbaarObject/${UNIT_41}`, () => new HttpResponse(null, { status: 503 })),
    );
    const { source } = liveSource();
    const addresses = (await source.addressesForPostcode("3286LT")).filter((a) => a.unitId === UNIT_37 || a.unitId === UNIT_41);
    const facts = await source.factsFor(addresses, ["labels"]);
    expect(facts.map((f) => f.ok && [f.value.labels.length, f.value.gaps.map((g) => [g.register, g.fields, g.stale])])).toEqual(
      addresses.map((a) => (a.unitId === UNIT_37 ? [2, []] : [0, [["ep-online", ["labels"], null]]])),
    );
  });
});

describe("live source: an address without a postcode", () => {
  /** The Locatieserver finds Keizersgracht 123B by id; BAG knows its unit (a shed on Schenkeldijk 37's pand, say). */
  function noPostcodeRegisters() {
    const all = registers();
    return { ...all, ...noPostcodeStandIn() };
  }

  it("finds it by its BAG id, returns its facts and caches it with postcode NULL", async () => {
    const { byId, bag, epOnline } = noPostcodeRegisters();
    const { source } = liveSource();
    const address = await source.addressById(NO_POSTCODE_ADDRESS);
    expect(address).toMatchObject({
      id: NO_POSTCODE_ADDRESS,
      unitId: NO_POSTCODE_UNIT,
      postcode: null,
      houseNumber: 123,
      houseLetter: "B",
      street: "Keizersgracht",
      place: "Amsterdam",
      municipalityCode: "GM0363",
      neighbourhoodCode: null,
      source: { register: "pdok-locatieserver", retrievedAt: T0.toISOString(), synthetic: false },
    });
    expect(byId).toHaveLength(1);
    expect(await rows("SELECT postcode, is_synthetic FROM addresses WHERE id = ?1", NO_POSTCODE_ADDRESS)).toEqual([
      { postcode: null, is_synthetic: 0 },
    ]);
    // The search index has it too (the 0005 triggers, recreated by 0008, write it without a postcode).
    expect(await rows("SELECT street, postcode FROM address_search WHERE rowid = CAST(?1 AS INTEGER)", NO_POSTCODE_ADDRESS)).toEqual([
      { street: "Keizersgracht", postcode: null },
    ]);

    const facts = await source.property({ addressId: NO_POSTCODE_ADDRESS }, [
      "unit",
      "labels",
      "neighbourhood",
      "municipality",
      "atPostcode",
    ]);
    expect(facts?.address).toEqual(address);
    expect(facts?.unit).toMatchObject({ id: NO_POSTCODE_UNIT, surfaceM2: 14, usePurposes: ["overige gebruiksfunctie"] });
    expect(facts?.labels).toEqual([]); // EP-Online: no label registered
    expect(facts?.neighbourhood).toBeNull();
    expect(facts?.atPostcode).toEqual([]); // no postcode, so no neighbours by postcode
    expect(epOnline.requests).toHaveLength(1);
    expect(await rows("SELECT is_main FROM addresses WHERE id = ?1", NO_POSTCODE_ADDRESS)).toEqual([{ is_main: 1 }]);

    // Everything is cached now: the same questions ask no register again.
    const asked = { byId: byId.length, bag: bag.requests.length, epOnline: epOnline.requests.length };
    expect(await source.addressById(NO_POSTCODE_ADDRESS)).toEqual(address);
    expect(await source.property({ addressId: NO_POSTCODE_ADDRESS }, ["unit", "labels", "atPostcode"])).toMatchObject({
      address,
      unit: facts?.unit,
      labels: [],
      atPostcode: [],
    });
    expect({ byId: byId.length, bag: bag.requests.length, epOnline: epOnline.requests.length }).toEqual(asked);
  });

  it("is never among a postcode's addresses, and does not block a synthetic address's key", async () => {
    noPostcodeRegisters();
    const { source } = liveSource();
    await source.addressById(NO_POSTCODE_ADDRESS);
    expect((await source.addressesForPostcode("3286LT")).some((a) => a.id === NO_POSTCODE_ADDRESS)).toBe(false);
    // The seed has addresses without a postcode too (standplaatsen): count the live ones.
    expect(await rows("SELECT count(*) AS n FROM addresses WHERE postcode IS NULL AND is_synthetic = 0")).toEqual([{ n: 1 }]);
  });
});

describe("live source attributions", () => {
  it("cites every register it uses", () => {
    expect(liveAttributions().map((a) => a.register)).toEqual([
      "pdok-locatieserver",
      "pdok-bag",
      "ep-online",
      "cbs-kwb",
      "pdok-brk",
      "rce-monuments",
    ]);
  });
});

import { env } from "cloudflare:workers";
import { HttpResponse, http } from "msw";
import { beforeEach, describe, expect, it } from "vitest";
import { LiveSource } from "../../../src/data/live/live-source";
import { RCE_SPARQL_URL } from "../../../src/data/live/rce-monuments";
import type { Fact } from "../../../src/data/types";
import rceEmpty from "../../fixtures/registers/rce-monuments-empty.json";
import { mockServer } from "../../helpers/msw";
import {
  ADDRESS_37,
  bagStandIn,
  brkStandIn,
  linkedParcelStandIn,
  locatieserverStandIn,
  rceStandIn,
  UNIT_37,
} from "../../helpers/registers";

/**
 * LiveSource.factsFor with "parcel" and "monument": the Locatieserver's gekoppeld_perceel, PDOK
 * BRK and RCE stood in for from test/fixtures/registers (Schenkeldijk 37, 3286LT, unit 0611…).
 */

const DAY = 24 * 60 * 60 * 1000;
const T0 = new Date("2026-03-02T10:00:00.000Z");
const BOTH: Fact[] = ["parcel", "monument"];

function standIns() {
  locatieserverStandIn();
  bagStandIn();
  return { linked: linkedParcelStandIn(), brk: brkStandIn(), rce: rceStandIn() };
}

/** How often each was asked. */
const askedOf = (s: ReturnType<typeof standIns>) => ({
  linked: s.linked.requests.length,
  brk: s.brk.requests.length,
  rce: s.rce.requests.length,
});

function liveSource() {
  const clock = { now: T0 };
  return { source: new LiveSource({ db: env.DB, now: () => clock.now, retryDelayMs: 1 }), clock };
}

beforeEach(async () => {
  await env.DB.batch([
    env.DB.prepare("DELETE FROM register_fetches WHERE subject LIKE '%3286LT%' OR subject LIKE '%0611%'"),
    env.DB.prepare("DELETE FROM unit_parcels WHERE unit_id LIKE '0611%'"),
    env.DB.prepare("DELETE FROM unit_monuments WHERE unit_id LIKE '0611%'"),
    env.DB.prepare("DELETE FROM parcels WHERE is_synthetic = 0"),
    env.DB.prepare("DELETE FROM monuments WHERE is_synthetic = 0"),
    env.DB.prepare("DELETE FROM addresses WHERE postcode = '3286LT' OR id LIKE '0611%'"),
    env.DB.prepare("DELETE FROM unit_buildings WHERE unit_id LIKE '0611%'"),
    env.DB.prepare("DELETE FROM units WHERE id LIKE '0611%'"),
  ]);
});

describe("live source: parcel and monument", () => {
  it("asks BRK and RCE only when asked, caches the answers and answers again from D1", async () => {
    const registers = standIns();
    const { source, clock } = liveSource();
    const address = await source.addressById(ADDRESS_37);
    if (!address) throw new Error("stand-in address missing");

    await source.factsFor([address], ["unit"]);
    expect(askedOf(registers)).toEqual({ linked: 0, brk: 0, rce: 0 });

    const [first] = await source.factsFor([address], BOTH);
    if (!first?.ok) throw new Error("factsFor failed");
    expect(first.value.parcel).toEqual({
      id: "VLO00-E-600",
      cadastralCode: "VLO00",
      cadastralName: "Venlo",
      section: "E",
      parcelNumber: 600,
      areaM2: 1234,
      areaKind: "Vastgesteld",
      source: { register: "pdok-brk", retrievedAt: T0.toISOString(), synthetic: false },
    });
    expect(first.value.monument).toEqual({
      number: 524327,
      url: "https://monumentenregister.cultureelerfgoed.nl/monumenten/524327",
      source: { register: "rce-monuments", retrievedAt: T0.toISOString(), synthetic: false },
    });
    expect(first.value.gaps).toEqual([]);
    expect(askedOf(registers)).toEqual({ linked: 1, brk: 1, rce: 1 });

    const fetches = await env.DB.prepare("SELECT register, subject, found FROM register_fetches WHERE subject IN (?1, ?2) ORDER BY subject")
      .bind(`monument:${UNIT_37}`, `parcel:${UNIT_37}`)
      .all();
    expect(fetches.results).toEqual([
      { register: "rce-monuments", subject: `monument:${UNIT_37}`, found: 1 },
      { register: "pdok-brk", subject: `parcel:${UNIT_37}`, found: 1 },
    ]);
    const parcelRow = await env.DB.prepare("SELECT is_synthetic, source FROM parcels WHERE id = 'VLO00-E-600'").first();
    expect(parcelRow).toEqual({ is_synthetic: 0, source: "pdok-brk" });

    // Fresh: answered from D1, nothing asked.
    clock.now = new Date(T0.getTime() + DAY);
    const [again] = await source.factsFor([address], BOTH);
    expect(again?.ok && again.value.parcel?.id).toBe("VLO00-E-600");
    expect(again?.ok && again.value.monument?.number).toBe(524327);
    expect(askedOf(registers)).toEqual({ linked: 1, brk: 1, rce: 1 });
  });

  it("remembers a miss: a unit that is no monument is not asked again within the TTL", async () => {
    standIns();
    let rceAsked = 0;
    mockServer.use(
      http.post(RCE_SPARQL_URL, () => {
        rceAsked++;
        return HttpResponse.json(rceEmpty);
      }),
    );
    const { source } = liveSource();
    const address = await source.addressById(ADDRESS_37);
    if (!address) throw new Error("stand-in address missing");
    const [first] = await source.factsFor([address], ["monument"]);
    const [second] = await source.factsFor([address], ["monument"]);
    expect(first?.ok && first.value.monument).toBeNull();
    expect(second?.ok && second.value.monument).toBeNull();
    expect(rceAsked).toBe(1);
  });

  it("a failing register leaves its field null, says so, and does not fail the address", async () => {
    const { brk } = standIns();
    brk.fail = true;
    const { source } = liveSource();
    const address = await source.addressById(ADDRESS_37);
    if (!address) throw new Error("stand-in address missing");
    const [facts] = await source.factsFor([address], ["unit", ...BOTH]);
    if (!facts?.ok) throw new Error("factsFor failed");
    expect(facts.value.unit?.id).toBe(UNIT_37);
    expect(facts.value.parcel).toBeNull();
    expect(facts.value.monument?.number).toBe(524327);
    expect(facts.value.gaps).toEqual([
      {
        register: "pdok-brk",
        name: "PDOK BRK Kadastrale Kaart",
        fields: ["parcel"],
        reason: "PDOK BRK Kadastrale Kaart is not available right now (HTTP 503); try again later.",
        stale: null,
      },
    ]);
    // Not remembered as a miss: asked again next time.
    const none = await env.DB.prepare("SELECT 1 FROM register_fetches WHERE subject = ?1").bind(`parcel:${UNIT_37}`).first();
    expect(none).toBeNull();
    brk.fail = false;
    const [later] = await source.factsFor([address], BOTH);
    expect(later?.ok && later.value.parcel?.id).toBe("VLO00-E-600");
  });
});

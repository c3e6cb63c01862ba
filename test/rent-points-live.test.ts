import type { Client } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { COUNTED_RUBRIEKEN } from "../src/domain/wws";
import { coldLiveCache, expectLiveMode } from "./helpers/live";
import { connectClient } from "./helpers/mcp";
import { mintToken, newIdentity } from "./helpers/oauth";
import {
  ADDRESS_37,
  bagStandIn,
  brkStandIn,
  cbsStandIn,
  epOnlineStandIn,
  linkedParcelStandIn,
  locatieserverStandIn,
  rceStandIn,
} from "./helpers/registers";
import type { RentPointsOut } from "./helpers/rent";

/**
 * Calculate_Rent_Points in live mode (project "workerd-live": DATA_SOURCE=live, no synthetic seed)
 * through the real Worker and the MCP SDK client, with one register down at a time (answering 503
 * in its wire format, test/helpers/registers.ts) and every other answering from its fixtures, for
 * Schenkeldijk 37, 3286LT Klaaswaal (BAG 84 m², pand of 1920, an NTA 8800 label C, rijksmonument
 * 524327, CBS value basis of GM1963). A failing register leaves only its own rubrieken unknown,
 * each rubriek names exactly where its input came from, and nothing synthetic shows.
 */

type Result = Awaited<ReturnType<Client["callTool"]>>;

const BAG_AREA = "BAG (estimate of the NEN 2580 area from the BAG gebruiksoppervlakte of 84 m²";
const VALUE_BASIS = "CBS value basis (estimate, not the dwelling's WOZ value";
const MONUMENT = "RCE Rijksmonumentenregister (rijksmonument 524327; provincial and municipal monuments are not read)";

/** Every register of a rent count answering from its fixtures; `down` answers 503. */
function registers(down?: "bag" | "ep-online" | "cbs" | "rce"): void {
  locatieserverStandIn();
  const stands = { bag: bagStandIn(), "ep-online": epOnlineStandIn(), cbs: cbsStandIn(), rce: rceStandIn() };
  linkedParcelStandIn();
  brkStandIn();
  if (down) stands[down].fail = true;
}

let client: Client;
beforeAll(async () => {
  expectLiveMode();
  client = await connectClient((await mintToken(newIdentity(), ["mcp:read"])).accessToken);
});
afterAll(async () => {
  await client.close();
});

beforeEach(async () => {
  // A cold cache: what each answer says comes from the registers of that test alone.
  await coldLiveCache();
});

async function rent(args: Record<string, unknown> = {}): Promise<{ text: string; out: RentPointsOut }> {
  const r: Result = await client.callTool({
    name: "Calculate_Rent_Points",
    arguments: { addressId: ADDRESS_37, whatIfLabel: "A", ...args },
  });
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  const text = (r.content as Array<{ text?: string }>).map((c) => c.text ?? "").join("\n");
  const out = r.structuredContent as unknown as RentPointsOut;
  // Live mode never shows a synthetic number or register.
  expect(text).not.toMatch(/synthetic/i);
  expect(JSON.stringify(out)).not.toContain('"synthetic":true');
  for (const r of out.rubrieken) expect(`${r.origins.join(" ")} ${r.explanation}`, r.rubriek).not.toMatch(/synthetic/i);
  return { text, out };
}

const rubriek = (out: RentPointsOut, name: string) => {
  const r = out.rubrieken.find((x) => x.rubriek === name);
  if (!r) throw new Error(`no rubriek ${name}`);
  return r;
};

/** The rubrieken pandgate has no register for: its stated defaults, said once, not as counted. */
function expectDefaults(out: RentPointsOut, text: string): void {
  for (const name of COUNTED_RUBRIEKEN) {
    const r = rubriek(out, name);
    expect(r.origins, name).toHaveLength(1);
    expect(r.origins[0], name).toMatch(/^pandgate's stated default: /);
    expect(r.tableVersion, name).toBeNull();
    expect(r.explanation, name).toMatch(/^not counted: an assumption, not from the beleidsboek/);
    const line = text.split("\n").find((l) => l.startsWith(`- ${name}:`)) ?? "";
    expect(line.match(/stated default/g), line).toHaveLength(1);
    expect(line).not.toMatch(/counted by the caller/);
  }
}

describe("Calculate_Rent_Points, live registers, one down at a time", () => {
  it("EP-Online down: the energy rubriek is ranged over every label class and named as not read; area, WOZ and monument from their registers", async () => {
    registers("ep-online");
    const { text, out } = await rent();
    expect(out.registerGaps.map((g) => g.name)).toEqual(["EP-Online"]);
    const energy = rubriek(out, "energieprestatie");
    // Build year 1920 → G (Bhw Bijlage I A 4.1), which a rijksmonument gets as 0 (4.2); up to A++++ eengezins 62.
    expect(energy).toMatchObject({ points: 0, min: 0, max: 62 });
    expect(energy.origins).toEqual([
      "EP-Online (not read: the register could not be asked)",
      "BAG (bouwjaar of the pand)",
      "pandgate's stated default: dwelling type not in BAG: meergezins most likely, eengezins possible",
      MONUMENT,
    ]);
    expect(energy.explanation).toMatch(
      /label not read: most likely no label, so the build-year rule \(1920 → G\); the range covers every label class G–A\+\+\+\+/,
    );
    expect(rubriek(out, "oppervlakteVertrekken").origins).toEqual([expect.stringContaining(BAG_AREA)]);
    expect(rubriek(out, "wozWaarde").origins[0]).toContain(VALUE_BASIS);
    expect(out.totalPoints).not.toBeNull();
    expect(out.pointsAtLeast).toBe(out.pointsRange?.min);
    expectDefaults(out, text);
  });

  it("CBS down: the WOZ rubriek is not available, with the lower bound the minimum WOZ value gives; the rest counted", async () => {
    registers("cbs");
    const { text, out } = await rent();
    const woz = rubriek(out, "wozWaarde");
    expect(woz.points).toBeNull();
    // Bhw Bijlage I A 11.1: € 85 806 / 16 954 + € 85 806 / 97 m² (the largest area in the range, 79.8 + 16.8, to whole m²) / 268 = 8.36 → 8.25.
    const maxArea = Math.round(79.8 + 16.8);
    const expected = Math.round((85806 / 16954 + 85806 / maxArea / 268) * 4) / 4;
    expect(expected).toBe(8.25);
    expect(woz.min).toBe(expected);
    expect(woz.origins).toEqual(["CBS value basis (tables 85036NED, 85035NED, 85773NED) (not read: the register could not be asked)"]);
    expect(woz.explanation).toMatch(/minimum WOZ value € 85806/);
    expect(out.totalPoints).toBeNull();
    const counted = out.rubrieken.filter((r) => r.rubriek !== "wozWaarde");
    for (const r of counted) expect(r.points, r.rubriek).not.toBeNull();
    // The label C from EP-Online: meergezins 15, eengezins 22 (Bhw Bijlage I A 4.1).
    expect(rubriek(out, "energieprestatie")).toMatchObject({ points: 15, min: 15, max: 22 });
    expect(rubriek(out, "energieprestatie").origins[0]).toBe("EP-Online");
    const sumMin = counted.reduce((s, r) => s + (r.min as number), 0);
    expect(out.pointsAtLeast).toBe(Math.round(sumMin + expected));
    expect(out.sectorsInRange).toEqual(["social", "middle", "free"]);
    expect(text).toContain(`WWS points: at least ${out.pointsAtLeast} points (WOZ value unknown)`);
    expect(text).toContain(`- wozWaarde: unknown, at least ${expected};`);
    // The what-if says what it can: the label's points and the new lower bound.
    expect(out.whatIf?.energyPointsChange).toBe(37 - 15);
    expect(out.whatIf?.pointsAtLeast).toBe((out.pointsAtLeast as number) + (37 - 15));
    expect(text).toMatch(/What if label A: the energy rubriek adds 22 points; at least \d+ points \(WOZ value unknown\)/);
    expectDefaults(out, text);
  });

  it("RCE down: monument either way (the energy floor and the rent surcharge ranged); the rest counted", async () => {
    registers("rce");
    const { text, out } = await rent();
    const energy = rubriek(out, "energieprestatie");
    expect(energy.origins).toEqual([
      "EP-Online",
      "pandgate's stated default: dwelling type not in BAG: meergezins most likely, eengezins possible",
      expect.stringMatching(/^RCE.* \(not read; monument or not; provincial and municipal monuments are not read\)$/),
    ]);
    // Label C is positive: the monument floor changes nothing here; the rent may carry the 35 % surcharge or not.
    expect(energy).toMatchObject({ points: 15, min: 15, max: 22 });
    expect(out.totalPoints).not.toBeNull();
    expect(rubriek(out, "oppervlakteVertrekken").origins).toEqual([expect.stringContaining(BAG_AREA)]);
    expect(rubriek(out, "wozWaarde").origins[0]).toContain(VALUE_BASIS);
    expect(out.registerGaps.map((g) => g.fields.join())).toEqual(["monument"]);
    expectDefaults(out, text);
  });

  it("BAG down: the area rubrieken (and the WOZ rubriek, which divides by the area) are not available; the label still counts", async () => {
    registers("bag");
    const { text, out } = await rent();
    for (const name of ["oppervlakteVertrekken", "oppervlakteOverigeRuimten"]) {
      const r = rubriek(out, name);
      expect(r.points, name).toBeNull();
      expect(r.origins, name).toEqual(["PDOK BAG (not read: the register could not be asked)"]);
      expect(r.explanation, name).toMatch(/not available: BAG could not be asked for the usable area/);
    }
    const woz = rubriek(out, "wozWaarde");
    expect(woz.points).toBeNull();
    // Without any area only onderdeel I of the minimum WOZ value is certain: € 85 806 / 16 954 = 5.06 → 5.
    expect(woz.min).toBe(5);
    expect(out.totalPoints).toBeNull();
    expect(rubriek(out, "energieprestatie").origins[0]).toBe("EP-Online");
    expect(text).toMatch(/WWS points: at least \d+ points \(area and WOZ value unknown\)/);
    expectDefaults(out, text);
    // The user's WOZ value, with no area to divide it by, lifts the bound: € 300 000 / 16 954 = 17.69 → 17.75.
    const given = (await rent({ wozValue: 300_000 })).out;
    expect(rubriek(given, "wozWaarde")).toMatchObject({ points: null, min: 17.75 });
    expect(rubriek(given, "wozWaarde").explanation).toMatch(/the lower bound is your WOZ value € 300000/);
    expect(given.pointsAtLeast).toBe((out.pointsAtLeast as number) + Math.round(17.75 - 5));
  });
});

import { describe, expect, it } from "vitest";
import type { Address, EnergyLabel, Municipality, Neighbourhood, Unit } from "../../src/data/types";
import { type AssessmentInputs, asbestosRisk, assess, DISCLAIMER, ENGINE_VERSION, labelAdjustmentPct } from "../../src/domain/assessment";
import { classFromEnergyIndex, classFromEp2, expectedLabelForBuildYear } from "../../src/domain/energy-label";
import { NATIONAL_REFERENCE_AREA, neighbourhoodCheck, neighbourhoodFactor, sizeFactor } from "../../src/domain/value-method";

const src = { register: "synthetic", retrievedAt: "2026-11-01T00:00:00Z", synthetic: true };
const NOW = new Date("2026-11-21T12:00:00Z");

const address: Address = {
  id: "0363209000000001",
  unitId: "0363019000000001",
  isMain: true,
  postcode: "1011AB",
  houseNumber: 1,
  houseLetter: null,
  houseNumberAddition: null,
  street: "Teststraat",
  place: "Amsterdam",
  municipalityCode: "GM0363",
  municipalityName: "Amsterdam",
  neighbourhoodCode: "BU0363AF08",
  lat: 52.37,
  lon: 4.9,
  source: src,
};
const amsterdam: Municipality = {
  code: "GM0363",
  name: "Amsterdam",
  provinceCode: "PV27",
  provinceName: "Noord-Holland",
  coropName: "Groot-Amsterdam",
  wozPerM2: 5751,
  wozPerM2Year: 2024,
  source: src,
};
function unit(over: Partial<Unit> = {}): Unit {
  return {
    id: address.unitId,
    kind: "verblijfsobject",
    surfaceM2: 100,
    usePurposes: ["woonfunctie"],
    status: "Verblijfsobject in gebruik",
    dwellingType: "appartement",
    inResearch: false,
    buildings: [{ id: "0363109000000001", buildYear: 1930, status: "Pand in gebruik", source: src }],
    source: src,
    ...over,
  };
}
function label(over: Partial<EnergyLabel> = {}): EnergyLabel {
  return {
    id: "l1",
    unitId: address.unitId,
    energyClass: "A",
    registeredAt: "2022-03-01T00:00:00Z",
    inspectedAt: "2022-02-20T00:00:00Z",
    validUntil: "2032-02-20T00:00:00Z",
    method: "NTA 8800",
    calculationType: "NTA 8800:2022",
    ep2KwhM2: 140,
    energyIndex: null,
    buildingType: "Appartement",
    source: src,
    ...over,
  };
}
const hood: Neighbourhood = {
  code: "BU0363AF08",
  name: "Testbuurt",
  districtCode: "WK0363AF",
  districtName: "Testwijk",
  municipalityCode: "GM0363",
  municipalityName: "Amsterdam",
  datasetYear: 2024,
  inhabitants: 2400,
  households: 1300,
  avgHouseholdSize: 1.8,
  avgWozThousands: 512,
  dwellings: 1350,
  municipalityAvgWozThousands: 480,
  pctOwnerOccupied: 31,
  pctBuiltBefore1945: 70,
  distancesKm: { gp: 0.4, supermarket: 0.3, school: 0.5, station: 1.2 },
  liveabilityClass: 6,
  liveabilityDeviation: 0.05,
  crimePer1000: 45,
  floodDepthClass: "20-50",
  soilType: "peat",
  foundationRiskArea: true,
  source: src,
};

describe("label rules (statutory tables)", () => {
  // Each table's values at and just past its band edges, and the class each one gets.
  it.each([
    {
      table: "EP2 values",
      toClass: classFromEp2,
      values: [160, 160.01, 190, 190.01, 250, 290, 335, 380, 380.01],
      classes: ["A", "B", "B", "C", "C", "D", "E", "F", "G"],
    },
    {
      table: "Energie-Index values",
      toClass: classFromEnergyIndex,
      values: [0.5, 0.51, 1.05, 1.06, 1.3, 1.6, 2.0, 2.4, 2.9, 2.91],
      classes: ["A++", "A+", "A", "B", "B", "C", "D", "E", "F", "G"],
    },
    {
      table: "build years (the WWS fallback table)",
      toClass: expectedLabelForBuildYear,
      values: [2002, 2001, 1999, 1991, 1983, 1978, 1976, 1900],
      classes: ["A", "B", "C", "D", "E", "F", "G", "G"],
    },
  ])("maps $table to classes at the band edges", ({ toClass, values, classes }) => {
    expect(values.map(toClass)).toEqual(classes);
  });

  it("gives the label effect as 2 % per class step relative to C", () => {
    expect(["A+++", "A", "B", "C", "D", "G"].map((l) => labelAdjustmentPct(l as "A"))).toEqual([4, 4, 2, 0, -2, -8]);
  });
});

/**
 * assess() on the fixtures above (Amsterdam, 100 m², built 1930, a valid label A, the Testbuurt on
 * peat in a foundation-risk area), with `over` replacing what a test varies.
 */
function assessWith(over: Partial<AssessmentInputs>) {
  return assess({
    address,
    addressLabel: "x",
    unit: unit(),
    labels: [label()],
    neighbourhood: hood,
    municipality: amsterdam,
    now: NOW,
    ...over,
  });
}

describe("quick assessment, worked by hand", () => {
  it("Amsterdam, 100 m², valid label A: 5751 × 100 × 1.062 (buurt) × 1.047 (size) × 1.04 = 665,040 → €565k – €765k (±15 %)", () => {
    const r = assessWith({ addressLabel: "Teststraat 1, 1011 AB Amsterdam" });
    expect(r.engineVersion).toBe(ENGINE_VERSION);
    // buurt: (512 ÷ 480)^(1350 ÷ 1450) = 1.0667^0.931 = 1.062; size: (100 ÷ 120)^(0.75 − 1) = 1.047.
    expect(r.value?.factors?.map((f) => [f.name, f.value])).toEqual([
      ["neighbourhood", 1.062],
      ["size", 1.047],
      ["energy-label", 1.04],
    ]);
    expect(r.value).toMatchObject({ low: 565_000, mid: 665_000, high: 765_000, rangePct: 15, confidence: "B" });
    expect(r.value?.basis).toMatchObject({ eurPerM2: 5751, surfaceM2: 100, labelAdjustmentPct: 4 });
    expect(r.energy).toMatchObject({ label: "A", status: "valid", ageYears: 4, substituteLabelForBuildYear: "G" });
    expect(r.disclaimer).toBe(DISCLAIMER);
    expect(r.disclaimer).toContain("not an appraisal");
  });

  it("expired label G, 1965, peat: the value assumes the expired G, ±20 %, asbestos high, foundation high, flood attention", () => {
    const r = assessWith({
      unit: unit({ surfaceM2: 80, buildings: [{ id: "0363109000000002", buildYear: 1965, status: "Pand in gebruik", source: src }] }),
      labels: [label({ energyClass: "G", ep2KwhM2: 420, validUntil: "2020-01-01T00:00:00Z", registeredAt: "2010-01-01T00:00:00Z" })],
    });
    // 5751 × 80 × 1.062 × (80 ÷ 120)^−0.25 = 1.107 × 0.92 (G) = 497,582 → mid 498,000; ×0.8 → 398,000; ×1.2 → 597,000
    expect(r.value).toMatchObject({ low: 398_000, mid: 498_000, high: 597_000, rangePct: 20, confidence: "C" });
    expect(r.value?.basis.labelAdjustmentPct).toBe(-8);
    expect(r.value?.basis.assumedLabel).toMatchObject({ label: "G", basis: "expired-registration" });
    expect(r.value?.basis.assumedLabel?.note).toBe(
      "The registered label G expired on 2020-01-01; no newer label is registered, so the value assumes G from that registration, with a wider range.",
    );
    const rules = Object.fromEntries(r.risks.map((x) => [x.rule, x.severity]));
    expect(rules).toEqual({
      "energy.label-expired": "attention",
      "risk.asbestos": "high",
      "risk.foundation": "high",
      "risk.flood": "attention",
    });
    expect(r.dataGaps.join(" ")).toContain("expired on 2020-01-01");
  });

  it("no label, no area: lists what is missing instead of inventing numbers", () => {
    const r = assessWith({
      unit: unit({ surfaceM2: null, buildings: [{ id: "0363109000000003", buildYear: 1996, status: "Pand in gebruik", source: src }] }),
      labels: [],
      neighbourhood: null,
    });
    expect(r.value).toBeNull();
    expect(r.energy).toMatchObject({ label: null, status: "none", substituteLabelForBuildYear: "C" });
    expect(r.dataGaps).toEqual(
      expect.arrayContaining([
        "The registered usable area (gebruiksoppervlakte) is missing.",
        "No registered energy label. The WWS substitute label for its build year is C (what the rent points system counts when a dwelling has no label; not a prediction of this dwelling's label).",
        "No neighbourhood statistics are available for this address.",
        "The usable area is unknown, so no value range can be given.",
      ]),
    );
    expect(r.risks.find((x) => x.rule === "risk.asbestos")).toBeUndefined();
  });

  it("lists an unknown 'in onderzoek' (live BAG does not publish it) as missing, never as 'not under investigation'", () => {
    const unknown = assessWith({ unit: unit({ inResearch: null }) });
    expect(unknown.dataGaps).toContain("Whether the unit's register data is under investigation (in onderzoek) is not known.");
    expect(unknown.registerChecks.map((c) => c.rule)).not.toContain("bag.in-research");
    const known = assessWith({ unit: unit({ inResearch: false }) });
    expect(known.dataGaps.join(" ")).not.toContain("in onderzoek");
  });

  it("flags a non-residential unit, gives no dwelling value and no WWS substitute label (WWS covers dwellings only)", () => {
    const r = assessWith({ unit: unit({ usePurposes: ["kantoorfunctie"] }), labels: [] });
    expect(r.value).toBeNull();
    expect(r.registerChecks.map((c) => c.rule)).toContain("bag.not-residential");
    expect(r.energy.substituteLabelForBuildYear).toBeNull();
    expect(r.dataGaps).toContain("No registered energy label.");
    expect(JSON.stringify(r)).not.toContain("WWS");
    // A dwelling with a second use keeps it.
    const mixed = assessWith({ unit: unit({ usePurposes: ["woonfunctie", "kantoorfunctie"] }), labels: [] });
    expect(mixed.energy.substituteLabelForBuildYear).toBe("G");
  });

  it("1970s systeembouw on sand outside a problem area: asbestos high, no foundation flag", () => {
    const r = assessWith({
      unit: unit({ buildings: [{ id: "0363109000000004", buildYear: 1972, status: "Pand in gebruik", source: src }] }),
      neighbourhood: { ...hood, soilType: "sand", foundationRiskArea: false, floodDepthClass: "0" },
    });
    expect(r.risks.map((x) => [x.rule, x.severity])).toEqual([["risk.asbestos", "high"]]);
  });
});

describe("quick-assess/3: the value basis is named", () => {
  it("synthetic: the seeded COROP table, labelled synthetic, no reference date or index", () => {
    const r = assessWith({});
    expect(ENGINE_VERSION).toBe("quick-assess/3.0.0");
    expect(JSON.stringify(r)).not.toContain("WWS-like");
    expect(r.value?.basis.eurPerM2Source).toBe(
      "Average WOZ value per m² of the COROP area Groot-Amsterdam (2024), seeded table in the synthetic dataset",
    );
    expect(r.value?.basis.valueBasis).toEqual({
      source: "synthetic dataset (seeded table of average WOZ value per m² by COROP area)",
      synthetic: true,
      level: "corop",
      regionCode: amsterdam.coropName,
      eurPerM2: 5751,
      woz: { table: "municipalities", column: "woz_per_m2", period: String(amsterdam.wozPerM2Year), avgEur: null },
      referenceDate: null,
      surface: null,
      priceIndex: null,
    });
  });

  it("live: gemeente WOZ ÷ area × price index, stated with tables, periods and reference date", () => {
    const valueBasis = {
      source: "CBS StatLine",
      synthetic: false,
      level: "gemeente" as const,
      regionCode: "GM1963",
      eurPerM2: 3280,
      woz: { table: "85036NED", column: "GemiddeldeWOZWaardeVanWoningen_1", period: "2024JJ00", avgEur: 356000 },
      referenceDate: "2023-01-01",
      surface: { table: "85035NED", column: "GemiddeldeOppervlakte_2", period: "2025JJ00", avgM2: 122 },
      priceIndex: { table: "85773NED", column: "PrijsindexVerkoopprijzen_1", basePeriod: "2023MM01", period: "2025MM05", factor: 1.124 },
    };
    const live: Municipality = {
      ...amsterdam,
      code: "GM1963",
      name: "Hoeksche Waard",
      coropName: "",
      wozPerM2: 3280,
      wozPerM2Year: 2024,
      valueBasis,
      source: { register: "cbs-kwb", retrievedAt: "2026-11-01T00:00:00Z", synthetic: false },
    };
    const r = assessWith({ municipality: live });
    // 3280 × 100 m² × 1.062 (buurt) × (100 ÷ 122)^−0.25 = 1.051 (size, against the gemeente's 122 m²) × 1.04 (label A) = 380,746 → ±15 %.
    expect(r.value).toMatchObject({ mid: 381000, low: 324000, high: 438000 });
    expect(r.value?.factors?.find((f) => f.name === "size")).toMatchObject({ value: 1.051, period: "2025JJ00" });
    expect(r.value?.factors?.find((f) => f.name === "size")?.source).toContain("CBS 85035NED, average usable area of dwellings in GM1963");
    expect(r.value?.basis.valueBasis).toEqual(valueBasis);
    expect(r.value?.basis.method).toBe(
      "Municipality average WOZ value per m² (price-indexed) × registered usable area × neighbourhood factor × size factor × energy label factor",
    );
    // 381,000 ÷ (512,000 × 1.124) = 0.662: inside 0.5–2.0.
    expect(r.value?.neighbourhoodCheck).toEqual({ ratio: 0.662, band: [0.5, 2], withinBand: true, reason: null });
    expect(r.value?.basis.eurPerM2Source).toContain("CBS 85036NED 2024JJ00 (valued at 2023-01-01)");
    expect(r.value?.basis.eurPerM2Source).toContain("indexed ×1.124 by CBS 85773NED (2023MM01 → 2025MM05)");
  });
});

describe("quick-assess/3 factors at their bounds", () => {
  const n = (over: Partial<Neighbourhood>): Neighbourhood => ({ ...hood, ...over });

  it("neighbourhood: the buurt/municipality ratio, shrunk toward 1 by n ÷ (n + 100) dwellings", () => {
    expect(neighbourhoodFactor(n({ avgWozThousands: 600, municipalityAvgWozThousands: 400, dwellings: 100 }))).toMatchObject({
      value: 1.225, // 1.5^0.5
      applied: true,
      weight: 0.5,
      capped: false,
    });
    // A large buurt gets nearly its own ratio; a tiny one nearly 1.
    expect(neighbourhoodFactor(n({ avgWozThousands: 600, municipalityAvgWozThousands: 400, dwellings: 9900 })).value).toBe(1.494); // 1.5^0.99
    expect(neighbourhoodFactor(n({ avgWozThousands: 600, municipalityAvgWozThousands: 400, dwellings: 5 })).value).toBe(1.019); // 1.5^(5 ÷ 105)
    // Without a dwelling count, households stand in, and the note says so.
    const byHouseholds = neighbourhoodFactor(
      n({ avgWozThousands: 600, municipalityAvgWozThousands: 400, dwellings: null, households: 100 }),
    );
    expect(byHouseholds).toMatchObject({ value: 1.225, applied: true });
    expect(byHouseholds.note).toContain("households (dwellings not published)");
  });

  it("neighbourhood: capped at 0.67 and 1.5 for an extreme buurt, and said so", () => {
    const high = neighbourhoodFactor(n({ avgWozThousands: 2000, municipalityAvgWozThousands: 400, dwellings: 5000 }));
    expect(high).toMatchObject({ value: 1.5, capped: true });
    expect(high.note).toContain("capped at 1.5 (allowed 0.67–1.5)");
    expect(neighbourhoodFactor(n({ avgWozThousands: 100, municipalityAvgWozThousands: 400, dwellings: 5000 }))).toMatchObject({
      value: 0.67,
      capped: true,
    });
  });

  it("neighbourhood: not applied (factor 1) when a figure is missing, saying which", () => {
    expect(neighbourhoodFactor(null)).toMatchObject({ value: 1, applied: false });
    expect(neighbourhoodFactor(n({ avgWozThousands: null })).note).toContain("The buurt's average WOZ is not published");
    expect(neighbourhoodFactor(n({ municipalityAvgWozThousands: null })).note).toContain("municipality's average WOZ from the same table");
    expect(neighbourhoodFactor(n({ dwellings: null, households: null })).note).toContain("number of dwellings in the buurt");
    // And the range is then the wider one.
    expect(assessWith({ neighbourhood: n({ municipalityAvgWozThousands: null }) }).value).toMatchObject({ rangePct: 20, confidence: "C" });
  });

  it("size: (area ÷ reference)^−0.25, capped at 0.75 and 1.25", () => {
    const ref = { m2: 100, source: "test", period: "2024" };
    expect(sizeFactor(100, ref).value).toBe(1);
    expect(sizeFactor(200, ref).value).toBe(0.841); // 2^−0.25
    expect(sizeFactor(50, ref).value).toBe(1.189); // 0.5^−0.25
    expect(sizeFactor(400, ref)).toMatchObject({ value: 0.75, capped: true });
    expect(sizeFactor(20, ref)).toMatchObject({ value: 1.25, capped: true });
    expect(sizeFactor(120, NATIONAL_REFERENCE_AREA)).toMatchObject({ value: 1, period: "2022-01-01" });
    expect(sizeFactor(120, NATIONAL_REFERENCE_AREA).source).toContain("CBS 82550NED");
  });

  it("the band check: inside 0.5–2.0 no reason; outside, the reason names what differs", () => {
    const ctx = { areaM2: 242, reference: { m2: 100, source: "t", period: "p" }, dwellingType: "vrijstaand", buurtCapped: false };
    expect(neighbourhoodCheck(790_000, n({ avgWozThousands: 395 }), 1, ctx)).toEqual({
      ratio: 2,
      band: [0.5, 2],
      withinBand: true,
      reason: null,
    });
    expect(neighbourhoodCheck(900_000, n({ avgWozThousands: 395 }), 1, ctx).reason).toBe(
      "Far from the neighbourhood average: the midpoint is 2.278 × the buurt's average WOZ (€395k), outside 0.5–2; a large dwelling (vrijstaand): 242 m² against an average of 100 m².",
    );
    expect(neighbourhoodCheck(100_000, n({ avgWozThousands: 395 }), 1.1, { ...ctx, areaM2: 30, dwellingType: null }).reason).toBe(
      "Far from the neighbourhood average: the midpoint is 0.23 × the buurt's average WOZ (€435k, indexed), outside 0.5–2; a small dwelling: 30 m² against an average of 100 m².",
    );
  });

  it("the 242 m² detached house of the finding: the value follows its buurt, or says why not", () => {
    const r = assessWith({
      unit: unit({ surfaceM2: 242, dwellingType: "vrijstaand" }),
      neighbourhood: n({ avgWozThousands: 395, municipalityAvgWozThousands: 480, dwellings: 800 }),
    });
    // 5751 × 242 × (395 ÷ 480)^(800 ÷ 900) = 0.841 × (242 ÷ 120)^−0.25 = 0.839 × 1.04 ≈ 1,021,000: 2.58 × €395k.
    expect(r.value?.mid).toBe(1_021_000);
    expect(r.value?.neighbourhoodCheck?.withinBand).toBe(false);
    expect(r.risks.find((x) => x.rule === "value.far-from-neighbourhood")?.evidence).toContain(
      "a large dwelling (vrijstaand): 242 m² against an average of 120 m²",
    );
  });
});

describe("the label the value assumes", () => {
  it("no label, a dwelling with a build year: the WWS substitute label shown is the one the value assumes", () => {
    const r = assessWith({ labels: [], unit: unit({ buildings: [{ id: "b", buildYear: 1983, status: "Pand in gebruik", source: src }] }) });
    expect(r.energy.substituteLabelForBuildYear).toBe("E");
    expect(r.value?.basis.assumedLabel).toEqual({
      label: "E",
      basis: "wws-substitute",
      note: "No registered label; the value assumes the WWS substitute label for its build year, E (the statutory stand-in, not a prediction of this dwelling's label), with a wider range.",
    });
    expect(r.value?.basis.labelAdjustmentPct).toBe(-4);
    expect(r.value?.factors?.find((f) => f.name === "energy-label")?.value).toBe(0.96);
    expect(r.value).toMatchObject({ rangePct: 20, confidence: "C" });
  });

  it("no label and no build year: the reference class C, said so", () => {
    const r = assessWith({ labels: [], unit: unit({ buildings: [] }) });
    expect(r.value?.basis.assumedLabel).toMatchObject({ label: "C", basis: "reference-class" });
    expect(r.value?.basis.assumedLabel?.note).toBe(
      "No registered label and no build year; the value assumes the reference class C (no label effect), with a wider range.",
    );
  });

  it("a valid label: registered, narrow range", () => {
    expect(assessWith({}).value?.basis.assumedLabel).toMatchObject({ label: "A", basis: "registered" });
  });
});

describe("asbestos, worded for what a build year can tell", () => {
  it.each([
    [
      1950,
      "attention",
      "Built in 1950, before the asbestos ban took effect on 1 July 1993: asbestos may have been used (asbestverdacht); only an inspection can say.",
    ],
    [
      1965,
      "high",
      "Built in 1965, in the 1955–1975 systeembouw era when asbestos use peaked: asbestos may well have been used (asbestverdacht); only an inspection can say.",
    ],
    [
      1992,
      "attention",
      "Built in 1992, before the asbestos ban took effect on 1 July 1993: asbestos may have been used (asbestverdacht); only an inspection can say.",
    ],
    [
      1993,
      "attention",
      "Built in 1993, the year the asbestos ban took effect (1 July 1993): the build year cannot say whether the work came before or after the ban, so asbestos may have been used (asbestverdacht); only an inspection can say.",
    ],
  ])("%i: %s", (year, severity, evidence) => {
    expect(asbestosRisk(year)).toEqual({
      rule: "risk.asbestos",
      severity,
      evidence,
      source: "BAG build year; asbestos ban in effect from 1 July 1993",
    });
  });

  it("says nothing from 1994 on, nor without a build year; never claims a 1993 building predates the ban", () => {
    expect(asbestosRisk(1994)).toBeNull();
    expect(asbestosRisk(2005)).toBeNull();
    expect(asbestosRisk(null)).toBeNull();
    expect(asbestosRisk(1993)?.evidence).not.toContain("before the asbestos ban");
  });
});

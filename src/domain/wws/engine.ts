import { roundHalfUp } from "./range";
import { maxRentEur, sectorFor, sectorsBetween } from "./rent";
import { energyRubriek, otherAreaRubriek, roomAreaRubriek, totalWithCap, wozRubriek } from "./rubrieken";
import {
  AREA_TABLE,
  BELEIDSBOEK,
  BUITENRUIMTEN_TABLE,
  ENERGY_TABLE,
  KEUKEN_TABLE,
  MAX_RENT_TABLE,
  SANITAIR_TABLE,
  SECTOR_TABLE,
  VERWARMING_TABLE,
  WOZ_TABLE,
} from "./tables";
import type { CountedRubriek, DwellingFacts, OutsideWws, PointsAssessment, RubriekResult, StructuredInputs } from "./types";
import { buitenruimtenRubriek, keukenRubriek, sanitairRubriek, verwarmingRubriek } from "./voorzieningen";

export const COUNTED_RUBRIEKEN: readonly CountedRubriek[] = [
  "verwarming",
  "keuken",
  "sanitair",
  "gehandicaptenvoorzieningen",
  "buitenruimten",
  "bijzondereVoorzieningen",
  "gemeenschappelijk",
];

const STRUCTURED: ReadonlySet<CountedRubriek> = new Set(["verwarming", "keuken", "sanitair", "buitenruimten"]);

export const DISCLAIMER =
  "An estimate of the WWS points from registers and stated inputs, not a formal points count: that needs an inspection (and the Huurcommissie may deviate).";

/** A typed refusal when the object is outside the WWS for zelfstandige woonruimte, else null. */
export function outsideWws(f: DwellingFacts): OutsideWws | null {
  if (f.object.kind === "ligplaats")
    return {
      kind: "outsideWws",
      reason: "ligplaats",
      message: "A ligplaats (houseboat berth) is outside the WWS for zelfstandige woonruimte.",
    };
  if (f.object.kind === "standplaats")
    return {
      kind: "outsideWws",
      reason: "standplaats",
      message: "A standplaats is valued under Bijlage I C (woonwagens/standplaatsen), not this WWS.",
    };
  if (!f.object.uses.includes("woonfunctie"))
    return {
      kind: "outsideWws",
      reason: "notWoonfunctie",
      message: `The object's use (${f.object.uses.join(", ") || "none"}) is not woonfunctie: it is not a dwelling under this WWS.`,
    };
  return null;
}

/** The rubrieken pandgate can count from structured input (Bhw Bijlage I A 3, 5, 6, 8). */
function structuredRubriek(f: DwellingFacts, name: CountedRubriek): RubriekResult | null {
  const s = f.structured;
  if (!s) return null;
  if (name === "verwarming" && s.verwarming) return verwarmingRubriek(s.verwarming);
  if (name === "keuken" && s.keuken) return keukenRubriek(s.keuken);
  if (name === "sanitair" && s.sanitair) return sanitairRubriek(s.sanitair);
  if (name === "buitenruimten" && s.buitenruimten) return buitenruimtenRubriek(s.buitenruimten);
  return null;
}

function countedRubriek(f: DwellingFacts, name: CountedRubriek): RubriekResult {
  const structured = structuredRubriek(f, name);
  if (structured) return structured;
  const fact = f.counted[name];
  if (fact === undefined)
    return {
      rubriek: name,
      status: "notAvailable",
      reason: STRUCTURED.has(name)
        ? "neither structured input nor counted points given for this rubriek"
        : "no table in pandgate for this rubriek and no counted points given",
    };
  return {
    rubriek: name,
    status: "counted",
    points: fact.value,
    min: fact.min,
    max: fact.max,
    tableVersion: null,
    inputs: [fact.origin],
    explanation:
      fact.origin.kind === "default"
        ? `not counted: an assumption, not from the beleidsboek (give rubrieken.${name} to replace it)`
        : fact.origin.kind === "user"
          ? "points as you counted them"
          : "points as counted",
  };
}

function rubrieken(f: DwellingFacts): RubriekResult[] {
  return [roomAreaRubriek(f), otherAreaRubriek(f), energyRubriek(f), wozRubriek(f), ...COUNTED_RUBRIEKEN.map((n) => countedRubriek(f, n))];
}

type Totals = { value: number; min: number; max: number };

/** Total (most likely and bounds) with the WOZ cap, from rubrieken that are all counted. */
function totals(f: DwellingFacts, rs: RubriekResult[]): Totals | null {
  if (rs.some((r) => r.status !== "counted")) return null;
  const counted = rs as Array<Extract<RubriekResult, { status: "counted" }>>;
  const other = counted.filter((r) => r.rubriek !== "wozWaarde");
  const woz = counted.find((r) => r.rubriek === "wozWaarde");
  if (!woz) return null;
  const sum = (pick: (r: (typeof other)[number]) => number) => other.reduce((s, r) => s + pick(r), 0);
  const o = { value: sum((r) => r.points), min: sum((r) => r.min), max: sum((r) => r.max) };
  const exc = f.wozCapException;
  const value = totalWithCap(o.value, woz.points, exc.value).total;
  // The cap floors the WOZ points, so the total is not quite monotonic: evaluate the bounds and the cap's kinks.
  const kink = (oth: number) => (oth * WOZ_TABLE.cap.maxShareOfTotal) / (1 - WOZ_TABLE.cap.maxShareOfTotal);
  const wozCandidates = [woz.min, woz.max, woz.points, kink(o.min), kink(o.max)].filter((w) => w >= woz.min && w <= woz.max);
  const all = [o.min, o.max, o.value].flatMap((oth) => wozCandidates.flatMap((w) => exc.options.map((e) => totalWithCap(oth, w, e).total)));
  return { value, min: Math.min(...all, value), max: Math.max(...all, value) };
}

/** Fixes one uncertain input at its most likely value (for "which input narrows the range most"). */
function fixings(f: DwellingFacts): Array<{ input: string; fixed: DwellingFacts }> {
  const out: Array<{ input: string; fixed: DwellingFacts }> = [];
  const pin = <T extends { value: number; min: number; max: number }>(x: T): T => ({ ...x, min: x.value, max: x.value });
  if (f.roomAreaM2.min !== f.roomAreaM2.max) out.push({ input: "roomAreaM2", fixed: { ...f, roomAreaM2: pin(f.roomAreaM2) } });
  if (f.otherAreaM2.min !== f.otherAreaM2.max) out.push({ input: "otherAreaM2", fixed: { ...f, otherAreaM2: pin(f.otherAreaM2) } });
  if (f.buildYear.min !== f.buildYear.max) out.push({ input: "buildYear", fixed: { ...f, buildYear: pin(f.buildYear) } });
  if (f.wozValueEur && f.wozValueEur.min !== f.wozValueEur.max)
    out.push({ input: "wozValueEur", fixed: { ...f, wozValueEur: pin(f.wozValueEur) } });
  if (f.energy.kind === "unknown") {
    const e = energyRubriek(f);
    if (e.status === "counted") {
      const fixed: DwellingFacts = { ...f, counted: { ...f.counted } };
      out.push({
        input: "energyLabel",
        fixed: { ...fixed, energy: { kind: "userLabel", labelClass: labelForPoints(f, e.points), origin: f.energy.origin } },
      });
    }
  }
  if (f.dwellingKind.options.length > 1)
    out.push({ input: "dwellingKind", fixed: { ...f, dwellingKind: { ...f.dwellingKind, options: [f.dwellingKind.value] } } });
  if (f.monument.options.length > 1)
    out.push({ input: "monument", fixed: { ...f, monument: { ...f.monument, options: [f.monument.value] } } });
  if (f.wozCapException.options.length > 1)
    out.push({ input: "wozCapException", fixed: { ...f, wozCapException: { ...f.wozCapException, options: [f.wozCapException.value] } } });
  for (const [name, input] of Object.entries(f.structured ?? {}) as Array<[keyof StructuredInputs, object | undefined]>) {
    if (input === undefined) continue;
    const pinned = pinAll(input);
    if (JSON.stringify(pinned) !== JSON.stringify(input))
      out.push({ input: `structured.${name}`, fixed: { ...f, structured: { ...f.structured, [name]: pinned } } });
  }
  for (const name of COUNTED_RUBRIEKEN) {
    if (structuredRubriek(f, name)) continue;
    const c = f.counted[name];
    if (c && c.min !== c.max) out.push({ input: `counted.${name}`, fixed: { ...f, counted: { ...f.counted, [name]: pin(c) } } });
  }
  return out;
}

/** Every NumberFact and ChoiceFact inside a structured input fixed at its most likely value. */
function pinAll<T>(x: T): T {
  if (Array.isArray(x) || x === null || typeof x !== "object") return x;
  const o = x as Record<string, unknown>;
  if ("origin" in o && typeof o.value === "number" && "min" in o) return { ...o, min: o.value, max: o.value } as T;
  if ("origin" in o && "options" in o) return { ...o, options: [o.value] } as T;
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, pinAll(v)])) as T;
}

/** The build-year class behind the most likely energy points when the label is unknown. */
function labelForPoints(f: DwellingFacts, points: number) {
  const classes = Object.keys(ENERGY_TABLE.labelPoints) as Array<keyof typeof ENERGY_TABLE.labelPoints>;
  return classes.find((c) => ENERGY_TABLE.labelPoints[c][f.dwellingKind.value] === points) ?? "G";
}

/**
 * The WWS points of a zelfstandige woonruimte from its facts: each rubriek with its points, range,
 * table version and input origins; the total (most likely and range, with the WOZ cap); the sector
 * and every sector the range spans; the maximum kale huur per 1 January 2026; and the uncertain
 * inputs ordered by how much of the range each one causes. Outside this WWS: a typed refusal.
 * Finding those inputs counts the dwelling once more per uncertain input; a caller that does not
 * show them (a portfolio item, a what-if) passes `narrowing: false` and gets none.
 */
export function assessRentPoints(f: DwellingFacts, { narrowing = true }: { narrowing?: boolean } = {}): PointsAssessment | OutsideWws {
  const refusal = outsideWws(f);
  if (refusal) return refusal;
  const rs = rubrieken(f);
  const t = totals(f, rs);
  const tableVersions = {
    beleidsboek: BELEIDSBOEK.version,
    area: AREA_TABLE.version,
    energy: ENERGY_TABLE.version,
    woz: WOZ_TABLE.version,
    verwarming: VERWARMING_TABLE.version,
    keuken: KEUKEN_TABLE.version,
    sanitair: SANITAIR_TABLE.version,
    buitenruimten: BUITENRUIMTEN_TABLE.version,
    sectors: SECTOR_TABLE.version,
    maxRent: MAX_RENT_TABLE.version,
  };
  if (t === null) {
    const missing = rs.filter((r) => r.status === "notAvailable").map((r) => r.rubriek);
    return {
      kind: "assessment",
      referenceDate: f.referenceDate,
      rubrieken: rs,
      complete: false,
      totalPoints: null,
      pointsRange: null,
      sector: null,
      sectorsInRange: [],
      maxRentEur: null,
      maxRentRangeEur: null,
      maxRentNote: `No total: not available for ${missing.join(", ")}.`,
      narrowingInputs: [],
      tableVersions,
      disclaimer: DISCLAIMER,
    };
  }
  const width = t.max - t.min;
  const narrowingInputs = (narrowing ? fixings(f) : [])
    .map(({ input, fixed }) => {
      const ft = totals(fixed, rubrieken(fixed));
      return { input, widthPoints: ft ? roundHalfUp(width - (ft.max - ft.min), 2) : 0 };
    })
    .filter((n) => n.widthPoints > 0)
    .sort((a, b) => b.widthPoints - a.widthPoints || a.input.localeCompare(b.input));
  const rijks = f.rijksmonument;
  const rentAt = (p: number) => rijks.options.map((r) => maxRentEur(p, r));
  const lowRents = rentAt(t.min);
  const highRents = rentAt(t.max);
  const sector = sectorFor(t.value);
  const maxRent = maxRentEur(t.value, rijks.value);
  const note =
    sector === "free"
      ? "Free sector (187 points or more): the WWS sets no maximum rent."
      : maxRent === null
        ? `The table per ${MAX_RENT_TABLE.validFrom} has no amount for ${t.value} points.`
        : `Maximum kale huur per ${MAX_RENT_TABLE.validFrom}${rijks.value ? ", with the 35 % rijksmonument surcharge" : ""}.`;
  const nums = (xs: Array<number | null>) => xs.filter((x): x is number => x !== null);
  return {
    kind: "assessment",
    referenceDate: f.referenceDate,
    rubrieken: rs,
    complete: true,
    totalPoints: t.value,
    pointsRange: { min: t.min, max: t.max },
    sector,
    sectorsInRange: sectorsBetween(t.min, t.max),
    maxRentEur: maxRent,
    maxRentRangeEur: {
      min: nums(lowRents).length ? Math.min(...nums(lowRents)) : null,
      max: highRents.some((x) => x === null) ? null : Math.max(...nums(highRents)),
    },
    maxRentNote: note,
    narrowingInputs,
    tableVersions,
    disclaimer: DISCLAIMER,
  };
}

import { energyBasis, energyPointsForClass } from "./energy";
import { roundHalfUp, roundToQuarter } from "./range";
import { AREA_TABLE, ENERGY_TABLE, WOZ_TABLE, WWS_LABEL_CLASSES } from "./tables";
import type { DwellingFacts, RubriekResult } from "./types";

type Counted = Extract<RubriekResult, { status: "counted" }>;

/** Rubriek 1 or 2: area rounded to whole m² (half up) times the factor, to a quarter point. */
export function areaPoints(areaM2: number, perM2: number): number {
  return roundToQuarter(roundHalfUp(roundHalfUp(areaM2, 2)) * perM2);
}

/** Rubriek 1 (vertrekken) or 2 (overige ruimten) of a dwelling's area fact. */
function areaRubriek(
  rubriek: "oppervlakteVertrekken" | "oppervlakteOverigeRuimten",
  area: DwellingFacts["roomAreaM2"],
  k: number,
  what: string,
): Counted {
  return {
    rubriek,
    status: "counted",
    points: areaPoints(area.value, k),
    min: areaPoints(area.min, k),
    max: areaPoints(area.max, k),
    tableVersion: AREA_TABLE.version,
    inputs: [area.origin],
    explanation: `${k} point per m² of ${what} (${area.min}–${area.max} m², most likely ${area.value})`,
  };
}

export function roomAreaRubriek(f: DwellingFacts): Counted {
  return areaRubriek("oppervlakteVertrekken", f.roomAreaM2, AREA_TABLE.pointsPerM2.vertrekken, "vertrekken");
}

export function otherAreaRubriek(f: DwellingFacts): Counted {
  return areaRubriek("oppervlakteOverigeRuimten", f.otherAreaM2, AREA_TABLE.pointsPerM2.overigeRuimten, "overige ruimten");
}

/** Rubriek 4 over every dwelling kind and monument status the facts allow. */
export function energyRubriek(f: DwellingFacts): RubriekResult {
  const kinds = f.dwellingKind.options;
  const monuments = f.monument.options;
  const pts = (cls: (typeof WWS_LABEL_CLASSES)[number], kind = f.dwellingKind.value, monument = f.monument.value) =>
    energyPointsForClass(cls, kind, monument);
  const spread = (classes: readonly (typeof WWS_LABEL_CLASSES)[number][]) => {
    const all = classes.flatMap((c) => kinds.flatMap((k) => monuments.map((m) => pts(c, k, m))));
    return { min: Math.min(...all), max: Math.max(...all) };
  };
  const base = { rubriek: "energieprestatie", status: "counted" as const, tableVersion: ENERGY_TABLE.version };
  // A monument gets no minus points (Bhw Bijlage I A 4.2): its status is an input wherever it may apply.
  const monumentOrigin = monuments.includes(true) ? [f.monument.origin] : [];
  if (f.energy.kind === "userLabel") {
    const c = f.energy.labelClass;
    return {
      ...base,
      points: pts(c),
      ...spread([c]),
      inputs: [f.energy.origin, f.dwellingKind.origin, ...monumentOrigin],
      explanation: `label ${c} as the user states`,
    };
  }
  if (f.energy.kind === "unknown") {
    const likely = energyBasis([], f.buildYear.value, f.referenceDate);
    if (likely.basis !== "buildYear")
      return { rubriek: "energieprestatie", status: "notAvailable", reason: likely.basis === "notAvailable" ? likely.why : "no basis" };
    return {
      ...base,
      points: pts(likely.labelClass),
      ...spread(WWS_LABEL_CLASSES),
      inputs: [f.energy.origin, f.buildYear.origin, f.dwellingKind.origin, ...monumentOrigin],
      explanation: `label not read: most likely no label, so the build-year rule (${likely.buildYear} → ${likely.labelClass}); the range covers every label class G–A++++${f.monument.options.includes(true) ? " (no minus points for a monument)" : ""}`,
    };
  }
  const years = [f.buildYear.value, f.buildYear.min, f.buildYear.max];
  const bases = years.map((y) => energyBasis(f.energy.kind === "registrations" ? f.energy.registrations : [], y, f.referenceDate));
  const likely = bases[0];
  if (likely === undefined || likely.basis === "notAvailable")
    return { rubriek: "energieprestatie", status: "notAvailable", reason: likely?.why ?? "no basis" };
  const classes = bases.flatMap((b) => (b.basis === "notAvailable" ? [] : [b.labelClass]));
  const rejected =
    likely.basis === "buildYear" && likely.rejected.length ? `; not counted: ${likely.rejected.map((r) => r.why).join("; ")}` : "";
  const explanation =
    likely.basis === "label"
      ? `valid label ${likely.labelClass} (registered ${likely.registration.registrationDate.slice(0, 10)}, valid until ${likely.registration.validUntil.slice(0, 10)}${likely.via === "energyIndex" ? `, Energie-Index ${likely.registration.energyIndex}` : likely.via === "ep2" ? `, class from EP2 ${likely.registration.ep2}` : ""})`
      : `no valid label: build-year rule (${likely.buildYear} → ${likely.labelClass})${rejected}`;
  const inputs =
    likely.basis === "label"
      ? [f.energy.origin, f.dwellingKind.origin, ...monumentOrigin]
      : [f.energy.origin, f.buildYear.origin, f.dwellingKind.origin, ...monumentOrigin];
  return { ...base, points: pts(likely.labelClass), ...spread(classes), inputs, explanation };
}

/**
 * Rubriek 11 before the cap, unrounded: onderdeel I (WOZ / divisor) + onderdeel II (WOZ / whole m² /
 * divisor). The Huurcommissie rounds neither part (beleidsboek januari 2026, § 2.11.2, p. 43–44).
 */
export function wozPoints(wozEur: number, areaM2Whole: number): number {
  if (areaM2Whole <= 0) return Number.NaN;
  return wozEur / WOZ_TABLE.partIDivisorEur + wozEur / areaM2Whole / WOZ_TABLE.partIIDivisorEurPerM2;
}

/** The rubriek's points before the cap: the unrounded sum to a quarter point, 1/8 up (§ 2.1.4). */
export function wozRubriekPoints(wozEur: number, areaM2Whole: number): number {
  return roundToQuarter(wozPoints(wozEur, areaM2Whole));
}

export function wozRubriek(f: DwellingFacts): RubriekResult {
  const area = (rooms: number, other: number) => roundHalfUp(roundHalfUp(rooms, 2) + roundHalfUp(other, 2));
  const woz = f.wozValueEur ?? {
    value: WOZ_TABLE.minimumWozValueEur,
    min: WOZ_TABLE.minimumWozValueEur,
    max: WOZ_TABLE.minimumWozValueEur,
    origin: { kind: "default" as const, stated: `no relevant WOZ value: the minimum value € ${WOZ_TABLE.minimumWozValueEur} applies` },
  };
  const likelyArea = area(f.roomAreaM2.value, f.otherAreaM2.value);
  if (likelyArea <= 0) return { rubriek: "wozWaarde", status: "notAvailable", reason: "the area of rubriek 1 and 2 is 0 m²" };
  const minArea = Math.max(1, area(f.roomAreaM2.min, f.otherAreaM2.min));
  const maxArea = area(f.roomAreaM2.max, f.otherAreaM2.max);
  return {
    rubriek: "wozWaarde",
    status: "counted",
    points: wozRubriekPoints(woz.value, likelyArea),
    min: wozRubriekPoints(woz.min, maxArea),
    max: wozRubriekPoints(woz.max, minArea),
    tableVersion: WOZ_TABLE.version,
    inputs: [woz.origin, f.roomAreaM2.origin, f.otherAreaM2.origin],
    explanation: `WOZ € ${woz.value} / ${WOZ_TABLE.partIDivisorEur} + WOZ / ${likelyArea} m² / ${WOZ_TABLE.partIIDivisorEurPerM2} (before the cap)`,
  };
}

/**
 * The total with the WOZ cap: from 187 points without the cap, the WOZ points may be at most 33 %
 * of the total (rounded down to whole points); a dwelling the cap takes below 187 gets 186.
 */
export function totalWithCap(otherPoints: number, wozPts: number, exception: boolean): { total: number; capped: boolean } {
  const c = WOZ_TABLE.cap;
  const uncapped = roundHalfUp(otherPoints + wozPts);
  if (exception || uncapped < c.appliesFromTotalPoints) return { total: uncapped, capped: false };
  const maxWoz = (otherPoints * c.maxShareOfTotal) / (1 - c.maxShareOfTotal);
  if (wozPts <= maxWoz) return { total: uncapped, capped: false };
  const total = roundHalfUp(otherPoints + Math.floor(maxWoz + 1e-9));
  return { total: total < c.appliesFromTotalPoints ? c.floorTotalPoints : total, capped: true };
}

/**
 * The lowest total the WOZ cap allows when the other rubrieken give at least `otherMin` points and
 * the WOZ rubriek at least `wozMin` (any more is possible): the total is non-decreasing in both
 * except where the cap takes the WOZ points down (Bhw Bijlage I A 11.3), so the minimum is at
 * `wozMin` or just above the cap's kink.
 */
export function totalAtLeast(otherMin: number, wozMin: number, exceptions: readonly boolean[]): number {
  const c = WOZ_TABLE.cap;
  const kink = (otherMin * c.maxShareOfTotal) / (1 - c.maxShareOfTotal);
  const ws = [wozMin, ...(kink + 1e-6 > wozMin ? [kink + 1e-6] : [])];
  return Math.min(...ws.flatMap((w) => exceptions.map((e) => totalWithCap(otherMin, w, e).total)));
}

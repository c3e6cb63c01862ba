import { classFromEp2 } from "../energy-label";
import { ENERGY_TABLE, isWwsLabelClass } from "./tables";
import type { DwellingKind, LabelRegistration, WwsLabelClass } from "./types";

/** Why the energy rubriek gets the points it gets. */
export type EnergyBasis =
  | { basis: "label"; labelClass: WwsLabelClass; registration: LabelRegistration; via: "class" | "ep2" | "energyIndex" }
  | { basis: "buildYear"; labelClass: WwsLabelClass; buildYear: number; rejected: Array<{ registration: LabelRegistration; why: string }> }
  | { basis: "notAvailable"; why: string; rejected: Array<{ registration: LabelRegistration; why: string }> };

const day = (iso: string) => iso.slice(0, 10);

/** Why a registration does not count for the WWS on `referenceDate`, or null when it does. */
export function whyLabelInvalid(r: LabelRegistration, referenceDate: string): string | null {
  const ref = day(referenceDate);
  if (r.method === "simplified") return "a vereenvoudigd energielabel does not count for the WWS";
  if (r.method === "unknown") return "the calculation method is not one the WWS accepts (NTA 8800 label or Energie-Index)";
  if (!r.definitive) return "the registration is not definitive";
  // Beleidsboek januari 2026 § 2.4.3 (1), p. 23: the label must be recorded before ("vóór") the peildatum.
  if (day(r.registrationDate) >= ref) return `registered on ${day(r.registrationDate)}, not before the reference date ${ref}`;
  if (day(r.validUntil) <= ref) return `expired on ${day(r.validUntil)}`;
  if (r.method === "energyIndex") {
    const reg = day(r.registrationDate);
    if (reg < ENERGY_TABLE.energyIndexRegisteredFrom || reg >= ENERGY_TABLE.energyIndexRegisteredBefore)
      return "an Energie-Index counts only when registered 2015–2020";
    if (r.energyIndex === undefined || !Number.isFinite(r.energyIndex)) return "an Energie-Index registration without its index";
  }
  return null;
}

/** The WWS class of an Energie-Index (WWS bands, upper bound inclusive). */
export function classFromWwsEnergyIndex(ei: number): WwsLabelClass {
  for (const [upper, label] of ENERGY_TABLE.energyIndexBands) if (ei <= upper) return label;
  return ENERGY_TABLE.energyIndexAboveLastBand;
}

/** The class a dwelling without a valid label is valued as, by build year. */
export function classForBuildYear(year: number): WwsLabelClass {
  for (const [from, label] of ENERGY_TABLE.buildYearClass) if (year >= from) return label;
  return ENERGY_TABLE.buildYearBeforeLastBand;
}

/** Points of a class for a dwelling kind, with the monument floor. */
export function energyPointsForClass(labelClass: WwsLabelClass, kind: DwellingKind, monument: boolean): number {
  const points = ENERGY_TABLE.labelPoints[labelClass][kind];
  return monument ? Math.max(points, ENERGY_TABLE.monumentMinimumPoints) : points;
}

function classOf(r: LabelRegistration): { labelClass: WwsLabelClass; via: "class" | "ep2" | "energyIndex" } | { why: string } {
  if (r.method === "energyIndex" && r.energyIndex !== undefined)
    return { labelClass: classFromWwsEnergyIndex(r.energyIndex), via: "energyIndex" };
  if (r.labelClass !== undefined) {
    if (isWwsLabelClass(r.labelClass)) return { labelClass: r.labelClass, via: "class" };
    return { why: `label class ${r.labelClass} is not in the WWS table` };
  }
  if (r.ep2 !== undefined && Number.isFinite(r.ep2)) {
    const derived = classFromEp2(r.ep2);
    if (isWwsLabelClass(derived)) return { labelClass: derived, via: "ep2" };
  }
  return { why: "the registration carries neither a class nor an EP2" };
}

/**
 * Which energy points apply on `referenceDate`: the newest valid registration (registered,
 * definitive, NTA 8800 or 2015–2020 Energie-Index, not a vereenvoudigd label, not expired), else
 * the build-year rule, naming each rejected registration and why.
 */
export function energyBasis(
  registrations: readonly LabelRegistration[],
  buildYear: number | undefined,
  referenceDate: string,
): EnergyBasis {
  const rejected: Array<{ registration: LabelRegistration; why: string }> = [];
  const newestFirst = [...registrations].sort((a, b) => b.registrationDate.localeCompare(a.registrationDate));
  for (const registration of newestFirst) {
    const invalid = whyLabelInvalid(registration, referenceDate);
    if (invalid !== null) {
      rejected.push({ registration, why: invalid });
      continue;
    }
    const cls = classOf(registration);
    if ("why" in cls) return { basis: "notAvailable", why: `a valid label exists, but ${cls.why}`, rejected };
    return { basis: "label", labelClass: cls.labelClass, registration, via: cls.via };
  }
  if (buildYear === undefined) return { basis: "notAvailable", why: "no valid label and no build year", rejected };
  return { basis: "buildYear", labelClass: classForBuildYear(buildYear), buildYear, rejected };
}

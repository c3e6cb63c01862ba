import { z } from "zod";
import labelTables from "./label-tables.json";

/**
 * Energy label rules (NTA 8800 since 2021, Energie-Index before), from the statutory tables.
 * Pure functions, no I/O.
 */

/** Best to worst. */
export const LABEL_CLASSES = ["A+++++", "A++++", "A+++", "A++", "A+", "A", "B", "C", "D", "E", "F", "G"] as const;
export type LabelClass = (typeof LABEL_CLASSES)[number];

export function isLabelClass(value: string): value is LabelClass {
  return (LABEL_CLASSES as readonly string[]).includes(value);
}

/** Rank on the A–G scale, where every A-variant counts as A (0 = A … 6 = G). */
export function labelRank(label: LabelClass): number {
  return label.startsWith("A") ? 0 : "ABCDEFG".indexOf(label);
}

const Bands = z.array(z.tuple([z.number(), z.enum(LABEL_CLASSES)]));
const tables = z.object({ ep2UpperBounds: Bands, energyIndexUpperBounds: Bands, buildYearPrior: Bands }).parse(labelTables);

/** The first class whose upper bound `value` does not exceed, else G. */
function byUpperBound(bounds: Array<[number, LabelClass]>, value: number): LabelClass {
  for (const [upper, label] of bounds) if (value <= upper) return label;
  return "G";
}

/**
 * NTA 8800 woningen (Regeling energieprestatie gebouwen as amended by Stcrt. 2020, 57490), EP2 in
 * kWh/m²·yr as registered (two decimals): ≤ 0 A++++, 0.01–50 A+++, 50.01–75 A++, 75.01–105 A+,
 * 105.01–160 A, 160.01–190 B, 190.01–250 C, 250.01–290 D, 290.01–335 E, 335.01–380 F, > 380 G.
 * A+++++ (seen in EP-Online for other buildings) is never derived for a dwelling.
 * @throws RangeError when `ep2` is not a finite number.
 */
export function classFromEp2(ep2: number): LabelClass {
  if (!Number.isFinite(ep2)) throw new RangeError(`EP2 must be a finite number, got ${ep2}`);
  return byUpperBound(tables.ep2UpperBounds, ep2);
}

/** Sorts label classes best first (A+++++ … G); anything that is not a class goes last, in its order. */
export function compareLabelClasses(a: string, b: string): number {
  const rank = (l: string) => (isLabelClass(l) ? LABEL_CLASSES.indexOf(l) : LABEL_CLASSES.length);
  return rank(a) - rank(b);
}

/** Old method (Energie-Index, woning). */
export function classFromEnergyIndex(ei: number): LabelClass {
  return byUpperBound(tables.energyIndexUpperBounds, ei);
}

/** The label a dwelling without a registration is taken to have, by build year (WWS fallback table). */
export function expectedLabelForBuildYear(year: number): LabelClass {
  for (const [from, label] of tables.buildYearPrior) if (year >= from) return label;
  return "G";
}

export type LabelValidity = "valid" | "expired";

export function labelValidity(validUntil: string, now: Date): LabelValidity {
  return new Date(validUntil).getTime() < now.getTime() ? "expired" : "valid";
}

/** Whole years between two ISO dates (label age). */
export function yearsBetween(fromIso: string, now: Date): number {
  const from = new Date(fromIso);
  let years = now.getUTCFullYear() - from.getUTCFullYear();
  const anniversary = new Date(Date.UTC(now.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()));
  if (now < anniversary) years -= 1;
  return Math.max(0, years);
}

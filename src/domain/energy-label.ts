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

/** NTA 8800 woningen: EP2 (kWh/m²·yr) upper bounds of B–F; ≤ 160 is A, > 380 is G. */
const EP2_BANDS: Array<[number, LabelClass]> = [
  [160, "A"],
  [190, "B"],
  [250, "C"],
  [290, "D"],
  [335, "E"],
  [380, "F"],
];

export function classFromEp2(ep2: number): LabelClass {
  for (const [upper, label] of EP2_BANDS) if (ep2 <= upper) return label;
  return "G";
}

/** Old method (Energie-Index, woning) upper bounds. */
const EI_BANDS: Array<[number, LabelClass]> = [
  [0.5, "A++"],
  [0.7, "A+"],
  [1.05, "A"],
  [1.3, "B"],
  [1.6, "C"],
  [2.0, "D"],
  [2.4, "E"],
  [2.9, "F"],
];

export function classFromEnergyIndex(ei: number): LabelClass {
  for (const [upper, label] of EI_BANDS) if (ei <= upper) return label;
  return "G";
}

/** The label a dwelling without a registration is taken to have, by build year (WWS fallback table). */
export function expectedLabelForBuildYear(year: number): LabelClass {
  if (year >= 2002) return "A";
  if (year >= 2000) return "B";
  if (year >= 1992) return "C";
  if (year >= 1984) return "D";
  if (year >= 1979) return "E";
  if (year >= 1977) return "F";
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

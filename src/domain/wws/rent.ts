import { roundHalfUp } from "./range";
import { MAX_RENT_TABLE, SECTOR_TABLE } from "./tables";
import type { Sector } from "./types";

/** The sector of a whole-point total: ≤ 143 social, 144–186 middle, ≥ 187 free. */
export function sectorFor(points: number): Sector {
  if (points <= SECTOR_TABLE.social.maxPoints) return "social";
  if (points <= SECTOR_TABLE.middle.maxPoints) return "middle";
  return "free";
}

/** Every sector a total between `min` and `max` can fall in, social first. */
export function sectorsBetween(min: number, max: number): Sector[] {
  const all: Sector[] = ["social", "middle", "free"];
  const lo = all.indexOf(sectorFor(min));
  const hi = all.indexOf(sectorFor(max));
  return all.slice(lo, hi + 1);
}

/**
 * The table's amount for a whole-point total from 0 to 250 (the Huurcommissie's table gives 0–39
 * points the 40-point amount), else null. Above 250 points (always the free sector, where the WWS
 * sets no maximum) the beleidsboek extrapolates (§ 2.1.6); this engine has no use for it.
 */
export function tableRentEur(points: number): number | null {
  const row = MAX_RENT_TABLE.rows.find(([p]) => p === points);
  return row?.[1] ?? null;
}

/**
 * The maximum kale huur for a total: null in the free sector (no WWS maximum) and outside the
 * table; with the rijksmonument surcharge (35 %, leases from 1 July 2024) when it applies.
 */
export function maxRentEur(points: number, rijksmonument: boolean): number | null {
  if (sectorFor(points) === "free") return null;
  const amount = tableRentEur(points);
  if (amount === null) return null;
  return rijksmonument ? roundHalfUp(amount * (1 + SECTOR_TABLE.rijksmonumentRentSurcharge), 2) : amount;
}

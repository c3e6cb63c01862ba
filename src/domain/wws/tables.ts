import area from "./tables/area.json";
import energy from "./tables/energy.json";
import maxRent from "./tables/max-rent-2026-01-01.json";
import sectors from "./tables/sectors.json";
import woz from "./tables/woz.json";
import type { WwsLabelClass } from "./types";

/** The WWS tables in force (see tables/*.source.md for each one's document and date). */
export const AREA_TABLE = area;
export const ENERGY_TABLE = energy as typeof energy & {
  labelPoints: Record<WwsLabelClass, { eengezins: number; meergezins: number }>;
  energyIndexBands: Array<[number, WwsLabelClass]>;
  buildYearClass: Array<[number, WwsLabelClass]>;
  energyIndexAboveLastBand: WwsLabelClass;
  buildYearBeforeLastBand: WwsLabelClass;
};
export const WOZ_TABLE = woz;
export const SECTOR_TABLE = sectors;
export const MAX_RENT_TABLE = maxRent as typeof maxRent & { rows: Array<[number, number]> };

export const WWS_LABEL_CLASSES: readonly WwsLabelClass[] = ["A++++", "A+++", "A++", "A+", "A", "B", "C", "D", "E", "F", "G"];

export function isWwsLabelClass(value: string): value is WwsLabelClass {
  return (WWS_LABEL_CLASSES as readonly string[]).includes(value);
}

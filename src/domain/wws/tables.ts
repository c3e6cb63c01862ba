import area from "./tables/area.json";
import beleidsboek from "./tables/beleidsboek.json";
import buitenruimten from "./tables/buitenruimten.json";
import energy from "./tables/energy.json";
import keuken from "./tables/keuken.json";
import maxRent from "./tables/max-rent-2026-01-01.json";
import sanitair from "./tables/sanitair.json";
import sectors from "./tables/sectors.json";
import verwarming from "./tables/verwarming.json";
import woz from "./tables/woz.json";
import type { WwsLabelClass } from "./types";

/** The WWS tables in force (see tables/*.source.md for each one's document and date). */
export const AREA_TABLE = area;
/** The Huurcommissie's beleidsboek version the rules are read with (tables/beleidsboek.json.source.md). */
export const BELEIDSBOEK = beleidsboek;
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

export const VERWARMING_TABLE = verwarming;
export const KEUKEN_TABLE = keuken;
export const SANITAIR_TABLE = sanitair;
export const BUITENRUIMTEN_TABLE = buitenruimten;

export const WWS_LABEL_CLASSES: readonly WwsLabelClass[] = ["A++++", "A+++", "A++", "A+", "A", "B", "C", "D", "E", "F", "G"];

export function isWwsLabelClass(value: string): value is WwsLabelClass {
  return (WWS_LABEL_CLASSES as readonly string[]).includes(value);
}

/** WWS points engine for zelfstandige woonruimte (issue 20): pure, no Worker imports. */

export type { EnergyBasis } from "./energy";
export { classForBuildYear, classFromWwsEnergyIndex, energyBasis, energyPointsForClass, whyLabelInvalid } from "./energy";
export { assessRentPoints, COUNTED_RUBRIEKEN, DISCLAIMER, outsideWws } from "./engine";
export { known, ranged, roundHalfUp } from "./range";
export { maxRentEur, sectorFor, sectorsBetween, tableRentEur } from "./rent";
export { areaPoints, totalAtLeast, totalWithCap, wozPoints, wozRubriekPoints } from "./rubrieken";
export type * from "./types";
export {
  aanrechtPoints,
  buitenruimtenPoints,
  buitenruimtenRubriek,
  keukenPoints,
  keukenRubriek,
  type SanitairCounts,
  sanitairPoints,
  sanitairRubriek,
  verwarmingPoints,
  verwarmingRubriek,
} from "./voorzieningen";

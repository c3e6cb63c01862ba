import { assessRentPoints, type ChoiceFact, type Sector } from "../domain/wws";
import { MAX_RENT_TABLE } from "../domain/wws/tables";
import { dwellingFactsFor } from "./rent-facts";
import type { PropertyFacts } from "./types";

/**
 * The WWS estimate of one address in a portfolio job (issue 20, part 5): the same engine as
 * Calculate_Rent_Points (`assessRentPoints` on `dwellingFactsFor`), but from the facts the item's
 * assessment already read (`ASSESSMENT_FACTS`: no further register is asked) and with no user
 * input, so every stated default and range of `dwellingFactsFor` applies and the WOZ value is the
 * flagged estimate from the value basis. The assessment does not read RCE, so rijksmonument
 * status is unknown here: the range covers both (energy points at least 0, the 35 % rent
 * surcharge), the most likely figures assume none. Pure.
 */

/** How the job's summary and spreadsheets count a dwelling. */
export const RENT_CLASSES = ["social", "middle", "free", "undecided", "outsideWws", "notAvailable"] as const;
export type RentClass = (typeof RENT_CLASSES)[number];

export interface PortfolioRent {
  /** social / middle / free when the whole points range is in one sector; else undecided, outsideWws or notAvailable. */
  class: RentClass;
  /** Most likely total, and the range over the unknown inputs; null when outside the WWS or not available. */
  points: number | null;
  pointsMin: number | null;
  pointsMax: number | null;
  /** The sector of the most likely total, and every sector the range spans (social first). */
  sector: Sector | null;
  sectorsInRange: Sector[];
  /** Maximum kale huur per month of the most likely total (null: free sector, or no total); its range (max null: no maximum at the top). */
  maxRentEur: number | null;
  maxRentMinEur: number | null;
  maxRentMaxEur: number | null;
  /** What the figures rest on, or why there are none. */
  note: string;
}

const MONUMENT_NOT_READ = "rijksmonument status not read in a portfolio job (RCE not asked): both counted";

/** `dwellingFactsFor`'s wording is for a tool that takes a wozValue; a portfolio takes none. */
const portfolioWhy = (why: string) => why.replace(/ and no wozValue was given$/, "");

/** An estimate with no figures: the dwelling is outside the WWS, or its figures are not available; `note` says why. */
export function withoutFigures(rentClass: "outsideWws" | "notAvailable", note: string): PortfolioRent {
  return {
    class: rentClass,
    points: null,
    pointsMin: null,
    pointsMax: null,
    sector: null,
    sectorsInRange: [],
    maxRentEur: null,
    maxRentMinEur: null,
    maxRentMaxEur: null,
    note,
  };
}

export function portfolioRent(facts: PropertyFacts, referenceDate: string): PortfolioRent {
  const { facts: dwelling, notes } = dwellingFactsFor(facts, {}, referenceDate);
  const either: ChoiceFact<boolean> = { value: false, options: [false, true], origin: { kind: "default", stated: MONUMENT_NOT_READ } };
  // A job lists no narrowing inputs, so the engine need not find them (one more count per uncertain input).
  const a = assessRentPoints({ ...dwelling, rijksmonument: either, monument: either }, { narrowing: false });
  if (a.kind === "outsideWws") return withoutFigures("outsideWws", `Outside the WWS for zelfstandige woonruimte: ${a.message}`);
  if (notes.missing.length > 0 || a.totalPoints === null || a.pointsRange === null) {
    const why = notes.missing.length > 0 ? notes.missing.map((m) => portfolioWhy(m.why)).join("; ") : a.maxRentNote;
    return withoutFigures("notAvailable", `Not available: ${why}.`.replace(/\.\.$/, "."));
  }
  const lines = [
    "Estimate from registers and stated defaults, not a formal points count",
    notes.wozEstimate
      ? `WOZ value estimated from the value basis: € ${notes.wozEstimate.eur} (€ ${notes.wozEstimate.minEur}–${notes.wozEstimate.maxEur})`
      : null,
    dwelling.energy.kind === "unknown" ? "energy label unknown (EP-Online could not be asked): any label counted" : null,
    MONUMENT_NOT_READ,
    a.sector === "free" ? "free sector most likely: no WWS maximum rent" : null,
    a.maxRentRangeEur?.max === null && a.sector !== "free" ? "the top of the range is free sector (no maximum)" : null,
    `maximum rent per ${MAX_RENT_TABLE.validFrom}`,
  ];
  const spans = a.sectorsInRange.length > 1;
  return {
    class: spans ? "undecided" : (a.sector as Sector),
    points: a.totalPoints,
    pointsMin: a.pointsRange.min,
    pointsMax: a.pointsRange.max,
    sector: a.sector,
    sectorsInRange: a.sectorsInRange,
    maxRentEur: a.maxRentEur,
    maxRentMinEur: a.maxRentRangeEur?.min ?? null,
    maxRentMaxEur: a.maxRentRangeEur?.max ?? null,
    note: `${lines.filter((l): l is string => l !== null).join("; ")}.`,
  };
}

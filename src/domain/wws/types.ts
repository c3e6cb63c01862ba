/**
 * Types of the WWS points engine (zelfstandige woonruimte). Pure data, no I/O.
 * Every input is a fact with its origin; a number may be known (`min === max === value`) or a range.
 */

/** Where an input came from: a register (which one), the user, or a stated default. */
export type Origin = { kind: "register"; register: string; note?: string } | { kind: "user" } | { kind: "default"; stated: string };

/** A number with its most likely value and the range it may lie in (inclusive). */
export interface NumberFact {
  value: number;
  min: number;
  max: number;
  origin: Origin;
}

/** A value out of a set: the most likely one and every one it may be. */
export interface ChoiceFact<T> {
  value: T;
  options: readonly T[];
  origin: Origin;
}

export type DwellingKind = "eengezins" | "meergezins";
export type WwsLabelClass = "A++++" | "A+++" | "A++" | "A+" | "A" | "B" | "C" | "D" | "E" | "F" | "G";

/** How an EP-Online registration was calculated, as far as the WWS cares. */
export type LabelMethod = "nta8800" | "energyIndex" | "simplified" | "unknown";

/** One EP-Online registration, in the terms the WWS rules need. Dates are ISO (YYYY-MM-DD…). */
export interface LabelRegistration {
  /** `Energieklasse` as registered (may be absent when only EP2 is given). */
  labelClass?: string;
  method: LabelMethod;
  /** `Status`: only a definitive registration counts. */
  definitive: boolean;
  registrationDate: string;
  /** `Geldig_tot`. */
  validUntil: string;
  /** `PrimaireFossieleEnergie` (NTA 8800), kWh/m²·yr. */
  ep2?: number;
  /** `EnergieIndex` (2015–2020 method). */
  energyIndex?: number;
}

/**
 * What the registers (or the user) say of the dwelling's energy label: the registrations found
 * (`[]` = the register answered "no label"), or `unknown` when it could not be asked. A user who
 * knows the label gives `userLabel` (it overrides the register for the count, and says so).
 */
export type EnergyInput =
  | { kind: "registrations"; registrations: readonly LabelRegistration[]; origin: Origin }
  | { kind: "unknown"; origin: Origin }
  | { kind: "userLabel"; labelClass: WwsLabelClass; origin: Origin };

/** The use of the object in BAG: only `woonfunctie` is inside this WWS. */
export type ObjectKind = { kind: "verblijfsobject"; uses: readonly string[] } | { kind: "ligplaats" } | { kind: "standplaats" };

/** Points of a rubriek the caller counted itself (keuken, sanitair, …), as a fact. */
export type CountedRubriek =
  | "verwarming"
  | "keuken"
  | "sanitair"
  | "gehandicaptenvoorzieningen"
  | "buitenruimten"
  | "bijzondereVoorzieningen"
  | "gemeenschappelijk";

export interface DwellingFacts {
  object: ObjectKind;
  /** The date the count is for (e.g. lease start or today), ISO date. */
  referenceDate: string;
  dwellingKind: ChoiceFact<DwellingKind>;
  /** Rubriek 1: total NEN 2580 area of the vertrekken, m². */
  roomAreaM2: NumberFact;
  /** Rubriek 2: total area of the overige ruimten, m². */
  otherAreaM2: NumberFact;
  buildYear: NumberFact;
  energy: EnergyInput;
  /** Rubriek 11 (Bhw Bijlage I A, numbering since 1 July 2024): WOZ value in euros; absent = no relevant WOZ value (the minimum value applies). */
  wozValueEur?: NumberFact;
  /** Rijksmonument (RCE). */
  rijksmonument: ChoiceFact<boolean>;
  /** Any monument status (rijks, provinciaal, gemeentelijk): energy points at least 0. */
  monument: ChoiceFact<boolean>;
  /** A WOZ-cap exception the source states (new-build 2015–2019 minimum, small new-build COROP A'dam/Utrecht). */
  wozCapException: ChoiceFact<boolean>;
  /** Points of the rubrieken the engine has no table for, given by the caller (counted by the user, or a stated default). */
  counted: Partial<Record<CountedRubriek, NumberFact>>;
  /**
   * Structured inputs for rubriek 3, 5, 6 and 8 (counts, lengths, areas): when given, the engine
   * counts the rubriek from its table and ignores `counted` for it.
   */
  structured?: StructuredInputs;
}

export interface StructuredInputs {
  verwarming?: VerwarmingInput;
  keuken?: KeukenInput;
  sanitair?: SanitairInput;
  buitenruimten?: BuitenruimtenInput;
}

/** Rubriek 3 (Bhw Bijlage I A 3). */
export interface VerwarmingInput {
  /** Heated vertrekken (as valued in rubriek 1; an open keuken counts as its own vertrek here). */
  verwarmdeVertrekken: NumberFact;
  /** Heated overige ruimten and verkeersruimten together. */
  verwarmdeOverigeRuimten: NumberFact;
  /** Vertrekken with a qualifying verkoelingsfunctie that also heats (absent = 0). */
  verkoeldeVertrekken?: NumberFact;
}

export type KeukenVoorziening =
  | "afzuiginstallatie"
  | "kookplaatInductie"
  | "kookplaatKeramisch"
  | "kookplaatGas"
  | "koelkast"
  | "vrieskast"
  | "ovenElektrisch"
  | "ovenGas"
  | "magnetron"
  | "vaatwasmachine"
  | "extraKastruimtePer60cm"
  | "eenhandsmengkraan"
  | "thermostatischeMengkraan"
  | "kokendwaterfunctie";

/** Rubriek 5 (Bhw Bijlage I A 5), one keuken. */
export interface KeukenInput {
  /** Water in/out, a fixed cooking point, ≥ 1 m aanrecht in one piece, two inbouwkasten ≥ 50 cm, waterproof wall finish. */
  basisniveau: ChoiceFact<boolean>;
  /** Aanrecht length in metres, measured over the middle of the worktop. */
  aanrechtLengteM: NumberFact;
  /** Counts of built-in voorzieningen (extra kastruimte: per 60 cm width above the minimum). */
  voorzieningen?: Partial<Record<KeukenVoorziening, NumberFact>>;
}

export type SanitairExtra =
  | "bubbelfunctieBad"
  | "douchescheiding"
  | "handdoekenradiator"
  | "kastjeMetWastafel"
  | "kastruimte"
  | "stopcontact"
  | "eenhandsmengkraan"
  | "thermostatischeMengkraan";

/** Rubriek 6 (Bhw Bijlage I A 6). Absent counts are 0. */
export interface SanitairInput {
  staandToiletruimte?: NumberFact;
  staandBadkamer?: NumberFact;
  hangendToiletruimte?: NumberFact;
  hangendBadkamer?: NumberFact;
  /** Wastafels in the badkamer (1 point each). */
  wastafelsBadkamer?: NumberFact;
  meerpersoonsWastafelsBadkamer?: NumberFact;
  /** Vertrekken/overige ruimten other than the badkamer with a wastafel (at most 1 point per ruimte). */
  ruimtenMetWastafel?: NumberFact;
  ruimtenMetMeerpersoonsWastafel?: NumberFact;
  douches?: NumberFact;
  baden?: NumberFact;
  /** Baths with a separate shower in the same badruimte (7 points each). */
  badEnDouches?: NumberFact;
  /** The bad-/doucheruimte meets the Bhw 6.2 requirements (absent = no: extras are not counted). */
  badruimteVoldoet?: ChoiceFact<boolean>;
  /** Counts of extra voorzieningen in that bad-/doucheruimte. */
  extras?: Partial<Record<SanitairExtra, NumberFact>>;
}

/** Rubriek 8 (Bhw Bijlage I A 8). */
export interface BuitenruimtenInput {
  /** The dwelling has a privé-buitenruimte (garden, balcony, loggia, …; not a Frans balkon). */
  privePresent: ChoiceFact<boolean>;
  /** Total area of the privé-buitenruimten, m². */
  priveM2?: NumberFact;
  /** Total area of the gemeenschappelijke buitenruimten, m² (absent or 0 = none). */
  gemeenschappelijkM2?: NumberFact;
  /** Addresses with access and right of use to the gemeenschappelijke buitenruimte (needed when it has an area). */
  adressenMetToegang?: NumberFact;
}

/** Points of one rubriek: most likely and range, with the table and inputs behind them. */
export type RubriekResult =
  | {
      rubriek: string;
      status: "counted";
      points: number;
      min: number;
      max: number;
      /** The table the points were counted from; null when they were given (by the user or as a stated default). */
      tableVersion: string | null;
      inputs: Origin[];
      explanation: string;
    }
  | { rubriek: string; status: "notAvailable"; reason: string };

export type Sector = "social" | "middle" | "free";

export interface PointsAssessment {
  kind: "assessment";
  referenceDate: string;
  rubrieken: RubriekResult[];
  /** False when a rubriek is not available: total, sector and rent are then left out. */
  complete: boolean;
  totalPoints: number | null;
  pointsRange: { min: number; max: number } | null;
  sector: Sector | null;
  sectorsInRange: Sector[];
  /** Maximum kale huur per the table (with the rijksmonument surcharge where it applies); null in the free sector or outside the table. */
  maxRentEur: number | null;
  maxRentRangeEur: { min: number | null; max: number | null } | null;
  maxRentNote: string;
  /** Inputs whose uncertainty widens the total range, widest contribution first. */
  narrowingInputs: Array<{ input: string; widthPoints: number }>;
  tableVersions: Record<string, string>;
  disclaimer: string;
}

/** A dwelling this WWS does not value: not a number but a reason. */
export interface OutsideWws {
  kind: "outsideWws";
  reason: "notWoonfunctie" | "ligplaats" | "standplaats";
  message: string;
}

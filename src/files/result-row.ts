/**
 * One row of a portfolio job's result, as the spreadsheet downloads show it (one row per input
 * address, in the order of the input). The job engine writes these; the CSV/XLSX builders read
 * them. Every field a professional acts on is here with its basis: a value range names how it was
 * reached, and a register that could not be asked is named in `dataGaps`, never left blank.
 */
export interface PortfolioResultRow {
  /** 1-based position in the input: the spreadsheet row (after its header) or the list position. */
  row: number;
  /** The input as given: an address id, or postcode, number, letter and addition joined by spaces. */
  input: string;
  /** `done`: assessed and saved; `failed`: see `error`; `duplicate`: the same address as an earlier row (`duplicateOf`). */
  status: "done" | "failed" | "duplicate";
  /** The BAG address id (nummeraanduiding) found, or null where none was found. */
  addressId: string | null;
  /** The address as found ("Street 1A, 1234 AB Town"), or null. */
  address: string | null;
  /** The registered energy label class, "none" (no registered label), "unknown" (EP-Online not asked), or null when not assessed. */
  energyLabel: string | null;
  /** Indicative value range in euros, or null with the reason in `valueNote`. */
  valueLow: number | null;
  valueMid: number | null;
  valueHigh: number | null;
  /** How the value was reached (method and basis with its source and period), or why there is none. */
  valueNote: string | null;
  /** Risk and register-check rules flagged for the address. */
  risks: string[];
  /** Registers that could not be asked for this address (their facts are unknown, not absent). */
  dataGaps: string[];
  /** The saved assessment's id, for Get_Property_Assessments. */
  assessmentId: string | null;
  /** The earlier row with the same address, for a duplicate. */
  duplicateOf: number | null;
  /**
   * The WWS estimate (issue 20): `social`, `middle`, `free` (the whole points range in that
   * sector), `undecided` (the range spans a boundary), `outsideWws` or `notAvailable`; null when
   * not assessed. An estimate from registers and stated defaults, not a formal points count.
   */
  rentClass: "social" | "middle" | "free" | "undecided" | "outsideWws" | "notAvailable" | null;
  /** Most likely WWS points and the range over the unknown inputs. */
  rentPoints: number | null;
  rentPointsMin: number | null;
  rentPointsMax: number | null;
  /** The sector of the most likely total, and every sector the range spans. */
  rentSector: string | null;
  rentSectorsInRange: string[];
  /** Maximum kale huur per month (euros) of the most likely total (null in the free sector), and its range. */
  maxRentEur: number | null;
  maxRentMinEur: number | null;
  maxRentMaxEur: number | null;
  /** What the estimate rests on, or why there is none. */
  rentNote: string | null;
  /** Why the row failed, in words a person can act on. */
  error: string | null;
}

import type { PortfolioResultRow } from "./result-row";

/**
 * The columns of a portfolio result spreadsheet, in order, shared by the CSV and the XLSX so the
 * two files always say the same thing. `number` columns are written as numbers (an XLSX number
 * cell, a bare number in CSV); every other column is text and goes through `neutralise`.
 */
export type Cell = { kind: "number"; value: number } | { kind: "text"; value: string } | null;

export interface Column {
  header: string;
  kind: "number" | "text";
  /** Width in the XLSX, in characters. */
  width: number;
  /** Euro amounts get a thousands separator in the XLSX; `cents` ones two decimals too. */
  money?: true | "cents";
  cell(row: PortfolioResultRow): Cell;
}

/** Several phrases (risks, data gaps) in one cell. */
const JOIN = "; ";

const text = (value: string | null | undefined): Cell =>
  value === null || value === undefined || value === "" ? null : { kind: "text", value };
const number = (value: number | null | undefined): Cell =>
  value === null || value === undefined || !Number.isFinite(value) ? null : { kind: "number", value };
const phrases = (values: readonly string[]): Cell => text(values.filter((v) => v !== "").join(JOIN));

/** The sector of the most likely total; for the others, what the summary counts them as. */
function sectorCell(r: PortfolioResultRow): string | null {
  if (r.rentClass === "outsideWws") return "outside the WWS";
  if (r.rentClass === "notAvailable") return "not available";
  return r.rentSector;
}

export const COLUMNS: readonly Column[] = [
  { header: "Row", kind: "number", width: 7, cell: (r) => number(r.row) },
  { header: "Input", kind: "text", width: 28, cell: (r) => text(r.input) },
  { header: "Status", kind: "text", width: 10, cell: (r) => text(r.status) },
  // A 16-digit BAG id is text: as a number a spreadsheet would round its last digit away.
  { header: "Address ID", kind: "text", width: 19, cell: (r) => text(r.addressId) },
  { header: "Address", kind: "text", width: 40, cell: (r) => text(r.address) },
  { header: "Energy label", kind: "text", width: 12, cell: (r) => text(r.energyLabel) },
  { header: "Value low (EUR)", kind: "number", width: 15, money: true, cell: (r) => number(r.valueLow) },
  { header: "Value mid (EUR)", kind: "number", width: 15, money: true, cell: (r) => number(r.valueMid) },
  { header: "Value high (EUR)", kind: "number", width: 15, money: true, cell: (r) => number(r.valueHigh) },
  { header: "Value note", kind: "text", width: 60, cell: (r) => text(r.valueNote) },
  // The WWS estimate (issue 20): most likely points, their range, the sector and the maximum rent.
  { header: "WWS points", kind: "number", width: 11, cell: (r) => number(r.rentPoints) },
  { header: "WWS points low", kind: "number", width: 11, cell: (r) => number(r.rentPointsMin) },
  { header: "WWS points high", kind: "number", width: 11, cell: (r) => number(r.rentPointsMax) },
  { header: "WWS sector", kind: "text", width: 16, cell: (r) => text(sectorCell(r)) },
  { header: "WWS sectors in range", kind: "text", width: 20, cell: (r) => text(r.rentSectorsInRange.join(", ")) },
  { header: "Max rent (EUR/month)", kind: "number", width: 14, money: "cents", cell: (r) => number(r.maxRentEur) },
  { header: "Max rent low (EUR/month)", kind: "number", width: 14, money: "cents", cell: (r) => number(r.maxRentMinEur) },
  { header: "Max rent high (EUR/month)", kind: "number", width: 14, money: "cents", cell: (r) => number(r.maxRentMaxEur) },
  { header: "WWS note", kind: "text", width: 60, cell: (r) => text(r.rentNote) },
  { header: "Risks", kind: "text", width: 50, cell: (r) => phrases(r.risks) },
  { header: "Data gaps", kind: "text", width: 50, cell: (r) => phrases(r.dataGaps) },
  { header: "Assessment ID", kind: "text", width: 26, cell: (r) => text(r.assessmentId) },
  { header: "Duplicate of row", kind: "number", width: 10, cell: (r) => number(r.duplicateOf) },
  { header: "Error", kind: "text", width: 50, cell: (r) => text(r.error) },
];

/**
 * Characters that make a spreadsheet program read a cell as a formula (or a DDE call) when it
 * opens or re-saves a file: OWASP "CSV Injection" lists `=`, `+`, `-`, `@`, tab and carriage
 * return; the full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20) are added because some programs
 * normalise them on input.
 */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/**
 * A text cell that no spreadsheet program will run: text that begins (after any leading
 * whitespace) with a formula character gets a `'` in front, as OWASP advises. The same text is
 * written to the CSV and the XLSX, so a sheet saved again as CSV from Excel stays harmless.
 */
export function neutralise(value: string): string {
  return FORMULA_START.test(value) || FORMULA_START.test(value.trimStart()) ? `'${value}` : value;
}

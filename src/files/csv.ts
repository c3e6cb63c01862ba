import { type Cell, COLUMNS, neutralise } from "./columns";
import type { PortfolioResultRow } from "./result-row";

/**
 * The CSV of a portfolio result (RFC 4180): UTF-8 with a byte order mark (so Excel reads ë, ü and €
 * right), comma-separated, CRLF line ends, one header row. A field is quoted only when it holds a
 * comma, a double quote, CR or LF, with its quotes doubled. Numbers are written bare, with a dot
 * for decimals; text is neutralised against formula injection (./columns.ts).
 */
export const CSV_BOM = "\uFEFF";
const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(cell: Cell): string {
  if (cell === null) return "";
  if (cell.kind === "number") return String(cell.value);
  const value = neutralise(cell.value);
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The header line, BOM first, with its CRLF. */
export function csvHeader(): string {
  return `${CSV_BOM}${COLUMNS.map((column) => csvField({ kind: "text", value: column.header })).join(",")}\r\n`;
}

/** One result row as a CSV line, with its CRLF. */
export function csvLine(row: PortfolioResultRow): string {
  return `${COLUMNS.map((column) => csvField(column.cell(row))).join(",")}\r\n`;
}

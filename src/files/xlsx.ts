import { Zip, ZipDeflate } from "fflate";
import { type Cell, COLUMNS, neutralise } from "./columns";
import type { PortfolioResultRow } from "./result-row";

/**
 * The second sheet ("Summary"): addresses per WWS sector as the job's summary counts them (items
 * assessed; duplicates and failures have no estimate), counted as the rows go by.
 */
export const SUMMARY_SHEET_NAME = "Summary";
const SECTOR_ROWS: Array<[NonNullable<PortfolioResultRow["rentClass"]>, string]> = [
  ["social", "Social (the whole points range)"],
  ["middle", "Middle (the whole points range)"],
  ["free", "Free (the whole points range)"],
  ["undecided", "Undecided (the range spans a sector boundary)"],
  ["outsideWws", "Outside the WWS (ligplaats, standplaats, not a dwelling)"],
  ["notAvailable", "Not available (a register could not answer or has no figure)"],
];
const SUMMARY_NOTE =
  "Estimates from registers and stated defaults (areas from BAG, WOZ value estimated from the value basis, rijksmonument status not read), not formal points counts: a formal count needs an inspection.";

/**
 * The XLSX of a portfolio result, written as it goes: one sheet ("Portfolio"), its header row bold
 * and frozen, a filter on the header, column widths per column, numbers as number cells (euro
 * amounts shown with a thousands separator), text as inline strings (no shared-string table to
 * hold in memory), each text neutralised against formula injection (./columns.ts) exactly as in
 * the CSV. The zip is fflate's streaming `Zip`: the sheet XML is deflated in 64 KiB pieces and
 * the compressed bytes are handed out as they come (`take`), so memory stays flat however many
 * rows there are. Sizes the zip learns only at the end go in data descriptors, which Excel,
 * LibreOffice and Numbers read.
 */

const MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships";
const XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
export const SHEET_NAME = "Portfolio";
/** Excel's limit on the characters in one cell. */
const MAX_CELL_CHARS = 32_767;
/** Sheet XML is deflated in pieces of about this many characters. */
const PIECE_CHARS = 64 * 1024;

/** Style indexes in styles.xml's cellXfs. */
const STYLE = { header: 1, money: 2, cents: 3 } as const;

const STATIC_PARTS: Record<string, string> = {
  "[Content_Types].xml": `${XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`,
  "_rels/.rels": `${XML_DECL}<Relationships xmlns="${PKG_REL_NS}"><Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
  "xl/_rels/workbook.xml.rels": `${XML_DECL}<Relationships xmlns="${PKG_REL_NS}"><Relationship Id="rId1" Type="${REL_NS}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL_NS}/styles" Target="styles.xml"/><Relationship Id="rId3" Type="${REL_NS}/worksheet" Target="worksheets/sheet2.xml"/></Relationships>`,
  // Fonts: regular, bold. Fills: the two every workbook must have. Cell formats: default, header
  // (bold), money (built-in format 3, "#,##0"), money with cents (built-in format 4, "#,##0.00").
  "xl/styles.xml": `${XML_DECL}<styleSheet xmlns="${MAIN_NS}"><fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`,
};

/** Column letters A, B, … (the sheet has fewer than 27 columns). */
const LETTERS = COLUMNS.map((_, i) => String.fromCharCode(65 + i));
const LAST_LETTER = LETTERS[LETTERS.length - 1] as string;

const NOT_XML =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: characters XML 1.0 does not allow are what is replaced
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text as XML character data: characters XML cannot hold become U+FFFD; CR is kept as `&#13;`. */
export function xmlText(value: string): string {
  return value
    .replace(NOT_XML, "\uFFFD")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll("\r", "&#13;");
}

function cellXml(ref: string, cell: Cell, style?: number): string {
  if (cell === null) return "";
  const s = style === undefined ? "" : ` s="${style}"`;
  if (cell.kind === "number") return `<c r="${ref}"${s}><v>${cell.value}</v></c>`;
  let value = neutralise(cell.value);
  if (value.length > MAX_CELL_CHARS) value = `${value.slice(0, MAX_CELL_CHARS - 1)}…`;
  return `<c r="${ref}"${s} t="inlineStr"><is><t xml:space="preserve">${xmlText(value)}</t></is></c>`;
}

function headerXml(): string {
  const cols = COLUMNS.map((column, i) => `<col min="${i + 1}" max="${i + 1}" width="${column.width}" customWidth="1"/>`).join("");
  const header = COLUMNS.map((column, i) => cellXml(`${LETTERS[i]}1`, { kind: "text", value: column.header }, STYLE.header)).join("");
  return (
    `${XML_DECL}<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}">` +
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>' +
    `<sheetFormatPr defaultRowHeight="15"/><cols>${cols}</cols><sheetData><row r="1">${header}</row>`
  );
}

export class XlsxBuilder {
  readonly #zip: Zip;
  readonly #sheet: ZipDeflate;
  readonly #encoder = new TextEncoder();
  #out: Uint8Array[] = [];
  #error: Error | null = null;
  #piece: string[] = [];
  #pieceChars = 0;
  /** The sheet row last written (1 is the header). */
  #sheetRow = 1;
  /** Assessed rows per WWS class, for the summary sheet. */
  readonly #sectors = new Map<string, number>();
  readonly #likely = new Map<string, number>();

  constructor() {
    this.#zip = new Zip((error, data) => {
      if (error) this.#error = error;
      else this.#out.push(data);
    });
    for (const [name, xml] of Object.entries(STATIC_PARTS)) this.#addWhole(name, xml);
    this.#sheet = new ZipDeflate("xl/worksheets/sheet1.xml", { level: 6 });
    this.#zip.add(this.#sheet);
    this.#append(headerXml());
  }

  addRow(row: PortfolioResultRow): void {
    const r = ++this.#sheetRow;
    let xml = `<row r="${r}">`;
    COLUMNS.forEach((column, i) => {
      xml += cellXml(
        `${LETTERS[i]}${r}`,
        column.cell(row),
        column.money === "cents" ? STYLE.cents : column.money ? STYLE.money : undefined,
      );
    });
    // As the job summary counts: assessed rows, one stored before their estimate was (migration 0014) as not available.
    if (row.status === "done") {
      const key = row.rentClass ?? "notAvailable";
      this.#sectors.set(key, (this.#sectors.get(key) ?? 0) + 1);
      if (key !== "outsideWws" && key !== "notAvailable" && row.rentSector !== null)
        this.#likely.set(row.rentSector, (this.#likely.get(row.rentSector) ?? 0) + 1);
    }
    this.#append(`${xml}</row>`);
  }

  /** The compressed bytes made so far, handed over once. */
  take(): Uint8Array[] {
    if (this.#error) throw this.#error;
    const out = this.#out;
    this.#out = [];
    return out;
  }

  /** Ends the sheet, adds the workbook and closes the zip; `take` then returns the rest. */
  finish(): void {
    const range = `$A$1:$${LAST_LETTER}$${this.#sheetRow}`;
    this.#append(`</sheetData><autoFilter ref="A1:${LAST_LETTER}${this.#sheetRow}"/></worksheet>`);
    this.#flush(true);
    this.#addWhole("xl/worksheets/sheet2.xml", this.#summaryXml());
    this.#addWhole(
      "xl/workbook.xml",
      `${XML_DECL}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><bookViews><workbookView/></bookViews><sheets><sheet name="${SHEET_NAME}" sheetId="1" r:id="rId1"/><sheet name="${SUMMARY_SHEET_NAME}" sheetId="2" r:id="rId3"/></sheets><definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">${SHEET_NAME}!${range}</definedName></definedNames></workbook>`,
    );
    this.#zip.end();
  }

  /** The summary sheet: dwellings per WWS class, their total, and what the figures are. */
  #summaryXml(): string {
    const row = (r: number, a: Cell, b: Cell, style?: number) =>
      `<row r="${r}">${cellXml(`A${r}`, a, style)}${cellXml(`B${r}`, b, style)}</row>`;
    const t = (value: string): Cell => ({ kind: "text", value });
    const n = (value: number): Cell => ({ kind: "number", value });
    const rows = [row(1, t("WWS sector (estimate)"), t("Dwellings"), STYLE.header)];
    for (const [key, words] of SECTOR_ROWS) rows.push(row(rows.length + 1, t(words), n(this.#sectors.get(key) ?? 0)));
    const total = [...this.#sectors.values()].reduce((a, b) => a + b, 0);
    rows.push(row(rows.length + 1, t("Assessed addresses"), n(total), STYLE.header));
    // Where the ranges leave the sector open: every dwelling with an estimate by its most likely total's sector.
    let r = rows.length + 2;
    rows.push(row(r++, t("Most likely sector (every dwelling with an estimate, undecided ones included)"), t("Dwellings"), STYLE.header));
    for (const sector of ["social", "middle", "free"] as const)
      rows.push(row(r++, t(`${sector[0]?.toUpperCase()}${sector.slice(1)} (most likely)`), n(this.#likely.get(sector) ?? 0)));
    rows.push(row(r + 1, t(SUMMARY_NOTE), null));
    return `${XML_DECL}<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><cols><col min="1" max="1" width="60" customWidth="1"/><col min="2" max="2" width="12" customWidth="1"/></cols><sheetData>${rows.join("")}</sheetData></worksheet>`;
  }

  #addWhole(name: string, xml: string): void {
    const file = new ZipDeflate(name, { level: 6 });
    this.#zip.add(file);
    file.push(this.#encoder.encode(xml), true);
  }

  #append(xml: string): void {
    this.#piece.push(xml);
    this.#pieceChars += xml.length;
    if (this.#pieceChars >= PIECE_CHARS) this.#flush(false);
  }

  #flush(final: boolean): void {
    const text = this.#piece.join("");
    this.#piece = [];
    this.#pieceChars = 0;
    this.#sheet.push(this.#encoder.encode(text), final);
  }
}

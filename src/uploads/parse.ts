import { Unzip, UnzipInflate, unzipSync } from "fflate";
import Papa from "papaparse";
import { SaxesParser } from "saxes";
import { type Cell, type ColumnMap, mapColumns, readRow, type UploadInput } from "./columns";

/**
 * Reading a portfolio spreadsheet (CSV or XLSX) into addresses, row by row, within a Worker's
 * memory. Pure (no bindings): the Worker (./store.ts) and the bench (bench/upload-parse.mjs) both
 * call `parseUpload`.
 *
 * - The type is read from the content, never from a name or header: a zip with an Excel workbook
 *   is XLSX; old Excel (.xls), PDF, images, other zips and binary are refused (415); text is CSV.
 * - CSV: papaparse, fed in chunks as it decodes; `,` or `;` (Dutch Excel) or tab, a UTF-8 BOM,
 *   quoted fields with delimiters and line breaks inside. Rows are handed on one at a time.
 * - XLSX: fflate lists the archive's parts from its central directory without inflating any, and
 *   refuses the file when a part it needs claims more than the unpacked limit or a compression
 *   ratio no spreadsheet has (a zip bomb). It then inflates only the shared strings and the first
 *   sheet, in small steps, counting every byte: a part that unpacks beyond what it claimed or
 *   the limit is stopped there. saxes reads the XML as it comes; the sheet is never held whole.
 */

export interface ParseLimits {
  /** Data rows (the header not counted). */
  maxRows: number;
  /** Unpacked bytes of the XLSX parts read (shared strings, the first sheet, the workbook). */
  maxUnpackedBytes: number;
}

/** Most row errors kept and reported; the count says how many there were. */
export const MAX_ROW_ERRORS_KEPT = 1000;
/** A part's unpacked size over its packed size beyond this is refused before inflating (spreadsheets reach about 10–50). */
export const MAX_COMPRESSION_RATIO = 250;

export interface RowError {
  /** The row number as a spreadsheet program shows it (the header is row 1 when it is the first row). */
  row: number;
  reason: string;
}

export interface ParsedUpload {
  kind: "csv" | "xlsx";
  /** The addresses to assess, in file order, each once. */
  inputs: UploadInput[];
  /** The row number of each input. */
  rows: number[];
  /** Rows that name no address or a malformed one (the first MAX_ROW_ERRORS_KEPT). */
  errors: RowError[];
  errorCount: number;
  /** Rows naming an address an earlier row named (the first MAX_ROW_ERRORS_KEPT); dropped, each address assessed once. */
  duplicates: Array<{ row: number; sameAs: number }>;
  duplicateCount: number;
  /** Rows with no cell filled, skipped. */
  emptyRows: number;
  /** The header as written, per address field used. */
  columns: ColumnMap["headers"];
  /** Headers of the columns that were ignored. */
  ignoredColumns: string[];
}

/** The whole file is refused; nothing of it is kept. */
export class UploadRefused extends Error {
  override name = "UploadRefused";
  constructor(
    readonly status: 413 | 415 | 422,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export type FileKind = "csv" | "xlsx";

const starts = (bytes: Uint8Array, ...sig: number[]) => sig.every((b, i) => bytes[i] === b);

/** What the bytes are, or the refusal (415) for what they are not. */
export function detectKind(bytes: Uint8Array): FileKind {
  if (bytes.length === 0) throw new UploadRefused(422, "empty_file", "The file is empty.");
  if (starts(bytes, 0x50, 0x4b, 0x03, 0x04) || starts(bytes, 0x50, 0x4b, 0x05, 0x06)) return "xlsx";
  const refuse = (reason: string, what: string) =>
    new UploadRefused(415, reason, `${what} Upload a CSV file or an Excel workbook (.xlsx): in Excel, "Save as" and choose one of those.`);
  if (starts(bytes, 0xd0, 0xcf, 0x11, 0xe0)) throw refuse("xls", "This is an old Excel file (.xls), which is not read here.");
  if (starts(bytes, 0x25, 0x50, 0x44, 0x46)) throw refuse("pdf", "This is a PDF, not a spreadsheet.");
  if (
    starts(bytes, 0x89, 0x50, 0x4e, 0x47) ||
    starts(bytes, 0xff, 0xd8, 0xff) ||
    starts(bytes, 0x47, 0x49, 0x46, 0x38) ||
    (starts(bytes, 0x52, 0x49, 0x46, 0x46) && starts(bytes.subarray(8), 0x57, 0x45, 0x42, 0x50))
  ) {
    throw refuse("image", "This is an image, not a spreadsheet.");
  }
  if (starts(bytes, 0x1f, 0x8b)) throw refuse("gzip", "This is a compressed (gzip) file, not a spreadsheet.");
  const head = bytes.subarray(0, 64 * 1024);
  if (head.includes(0)) throw refuse("binary", "This is a binary file, not a spreadsheet.");
  return "csv";
}

/** Reads `bytes` (CSV or XLSX, by content). Throws `UploadRefused` for a file refused as a whole. */
export function parseUpload(bytes: Uint8Array, limits: ParseLimits): ParsedUpload {
  const kind = detectKind(bytes);
  const sink = new RowSink(kind, limits);
  if (kind === "csv") readCsv(bytes, sink);
  else readXlsx(bytes, limits, sink);
  return sink.finish();
}

/** Takes rows one at a time: the first with any cell filled is the header; every later one an address or an error. */
class RowSink {
  #map: ColumnMap | undefined;
  #seen = new Map<string, number>();
  #dataRows = 0;
  readonly #out: ParsedUpload;

  constructor(
    kind: FileKind,
    private readonly limits: ParseLimits,
  ) {
    this.#out = {
      kind,
      inputs: [],
      rows: [],
      errors: [],
      errorCount: 0,
      duplicates: [],
      duplicateCount: 0,
      emptyRows: 0,
      columns: {},
      ignoredColumns: [],
    };
  }

  row(row: number, cells: readonly (Cell | undefined)[]): void {
    const out = this.#out;
    if (this.#map === undefined) {
      if (!cells.some((c) => c !== undefined && c.text.trim() !== "")) return;
      const mapped = mapColumns(cells.map((c) => c?.text ?? ""));
      if (!mapped.ok) throw new UploadRefused(422, "no_address_columns", mapped.reason);
      this.#map = mapped.map;
      out.columns = mapped.map.headers;
      out.ignoredColumns = mapped.map.ignored;
      return;
    }
    const outcome = readRow(this.#map, cells);
    if (outcome.kind === "empty") {
      out.emptyRows += 1;
      return;
    }
    this.#dataRows += 1;
    if (this.#dataRows > this.limits.maxRows) {
      throw new UploadRefused(
        422,
        "too_many_rows",
        `The file has more than ${this.limits.maxRows} address rows, the most one upload takes. Split it into files of at most ${this.limits.maxRows} rows.`,
      );
    }
    if (outcome.kind === "error") {
      out.errorCount += 1;
      if (out.errors.length < MAX_ROW_ERRORS_KEPT) out.errors.push({ row, reason: outcome.reason });
      return;
    }
    const first = this.#seen.get(outcome.key);
    if (first !== undefined) {
      out.duplicateCount += 1;
      if (out.duplicates.length < MAX_ROW_ERRORS_KEPT) out.duplicates.push({ row, sameAs: first });
      return;
    }
    this.#seen.set(outcome.key, row);
    out.inputs.push(outcome.input);
    out.rows.push(row);
  }

  finish(): ParsedUpload {
    if (this.#map === undefined) {
      throw new UploadRefused(
        422,
        "no_header",
        "The file has no rows: the first row must name the address columns (e.g. postcode, huisnummer).",
      );
    }
    if (this.#dataRows === 0) throw new UploadRefused(422, "no_rows", "The file has a header row but no address rows.");
    return this.#out;
  }
}

// ---------------------------------------------------------------- CSV

/** The parts of a Node readable stream papaparse's stream reader uses, fed by us chunk by chunk. */
class ChunkFeed {
  readonly readable = true;
  #listeners = new Map<string, Set<(arg?: unknown) => void>>();
  read(): null {
    return null;
  }
  on(event: string, fn: (arg?: unknown) => void): this {
    const set = this.#listeners.get(event) ?? new Set();
    set.add(fn);
    this.#listeners.set(event, set);
    return this;
  }
  removeListener(event: string, fn: (arg?: unknown) => void): this {
    this.#listeners.get(event)?.delete(fn);
    return this;
  }
  pause(): void {}
  resume(): void {}
  emit(event: string, arg?: unknown): void {
    for (const fn of [...(this.#listeners.get(event) ?? [])]) fn(arg);
  }
}

const CSV_CHUNK_BYTES = 256 * 1024;

function decoderFor(bytes: Uint8Array): TextDecoder {
  // UTF-8 (with or without BOM) is what Excel's "CSV UTF-8" and every other program write; Excel's
  // plain "CSV" on Windows writes Windows-1252, which is read as such when the bytes are not UTF-8.
  try {
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes.subarray(0, Math.min(bytes.length, 4 * 1024 * 1024)), {
      stream: true,
    });
    return new TextDecoder("utf-8", { fatal: false, ignoreBOM: false });
  } catch {
    return new TextDecoder("windows-1252");
  }
}

/**
 * The delimiter: whichever of `;`, `,` and tab the first line (outside quotes) has most of;
 * `,` when it has none. Read from the header, which names the columns, so a file of one column
 * or with only a header is read right too (papaparse's own guess needs several rows).
 */
export function guessDelimiter(text: string): string {
  const counts = new Map([
    [";", 0],
    [",", 0],
    ["\t", 0],
  ]);
  let quoted = false;
  for (let i = 0; i < text.length && i < 64 * 1024; i++) {
    const ch = text[i] as string;
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === "\n" || ch === "\r")) {
      if ([...counts.values()].some((n) => n > 0)) break;
    } else if (!quoted && counts.has(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best = ",";
  let most = 0;
  for (const [delimiter, n] of counts) {
    if (n > most) {
      best = delimiter;
      most = n;
    }
  }
  return best;
}

function readCsv(bytes: Uint8Array, sink: RowSink): void {
  const feed = new ChunkFeed();
  const decoder = decoderFor(bytes);
  let row = 0;
  let failure: unknown;
  const head = decoder.decode(bytes.subarray(0, 64 * 1024), { stream: true });
  decoder.decode(); // reset: the stream is decoded again from the start below
  Papa.parse(feed as unknown as NodeJS.ReadableStream, {
    delimiter: guessDelimiter(head),
    skipEmptyLines: false,
    step(result, parser) {
      if (failure !== undefined) return;
      row += 1;
      const data = result.data as unknown as string[];
      try {
        sink.row(
          row,
          data.map((text) => ({ text })),
        );
      } catch (error) {
        failure = error;
        parser.abort();
      }
    },
  });
  for (let at = 0; at < bytes.length && failure === undefined; at += CSV_CHUNK_BYTES) {
    const text = decoder.decode(bytes.subarray(at, at + CSV_CHUNK_BYTES), { stream: true });
    if (text !== "") feed.emit("data", text);
  }
  if (failure === undefined) {
    const rest = decoder.decode();
    if (rest !== "") feed.emit("data", rest);
    feed.emit("end");
  }
  if (failure !== undefined) throw failure;
}

// ---------------------------------------------------------------- XLSX

interface Part {
  name: string;
  size: number;
  originalSize: number;
}

const notWorkbook = (detail: string) =>
  new UploadRefused(
    415,
    "not_xlsx",
    `This is a zip archive but not a readable Excel workbook (${detail}). Upload a CSV file or an .xlsx saved by Excel, LibreOffice or Google Sheets.`,
  );

function bomb(part: string, limit: number): UploadRefused {
  return new UploadRefused(
    413,
    "xlsx_unpacked_too_large",
    `The workbook's ${part} unpacks to more than ${Math.floor(limit / (1024 * 1024))} MiB (or far more than its packed size), which no spreadsheet of the allowed size does; it was refused without unpacking. Save the sheet as CSV, or remove other content.`,
  );
}

/** The archive's parts, from its central directory, without inflating anything. */
function listParts(bytes: Uint8Array): Map<string, Part> {
  const parts = new Map<string, Part>();
  try {
    unzipSync(bytes, {
      filter(file) {
        parts.set(file.name, { name: file.name, size: file.size, originalSize: file.originalSize });
        return false;
      },
    });
  } catch {
    throw notWorkbook("its table of contents cannot be read");
  }
  return parts;
}

/** Inflates the named parts in small steps, handing each decoded text chunk on; stops a part that unpacks beyond `budget`. */
function streamParts(bytes: Uint8Array, wanted: Map<string, (text: string) => void>, budget: { left: number; limit: number }): Set<string> {
  const unzip = new Unzip();
  unzip.register(UnzipInflate);
  const finished = new Set<string>();
  let failure: unknown;
  unzip.onfile = (file) => {
    const take = wanted.get(file.name);
    if (take === undefined) return;
    const decoder = new TextDecoder("utf-8");
    let inflated = 0;
    const claimed = file.originalSize;
    file.ondata = (error, chunk, final) => {
      if (failure !== undefined) return;
      try {
        if (error) throw notWorkbook(`the part ${file.name} is damaged`);
        inflated += chunk.length;
        budget.left -= chunk.length;
        // A part that unpacks beyond its claim, the limit, or the ratio is stopped where it is.
        if (
          budget.left < 0 ||
          (claimed !== undefined && claimed > 0 && inflated > claimed) ||
          inflated > MAX_COMPRESSION_RATIO * Math.max(file.size ?? 0, 1024)
        ) {
          throw bomb(file.name, budget.limit);
        }
        const text = decoder.decode(chunk, { stream: !final });
        if (text !== "") take(text);
        if (final) finished.add(file.name);
      } catch (thrown) {
        failure = thrown;
        file.terminate();
      }
    };
    try {
      file.start();
    } catch {
      failure = notWorkbook(`the part ${file.name} uses a compression method that is not supported`);
    }
  };
  // Small steps: deflate can expand about 1000-fold, so one step's output stays within a few MB.
  const STEP = 4 * 1024;
  try {
    for (let at = 0; at < bytes.length && failure === undefined; at += STEP) {
      unzip.push(bytes.subarray(at, at + STEP), at + STEP >= bytes.length);
    }
  } catch (error) {
    failure ??= error instanceof UploadRefused ? error : notWorkbook("it is damaged");
  }
  if (failure !== undefined) throw failure;
  return finished;
}

function xmlParser(): SaxesParser {
  return new SaxesParser({ xmlns: false, position: false });
}

/** Reads a small part (workbook, its relationships) whole, within the budget. */
function readSmallPart(bytes: Uint8Array, name: string, budget: { left: number; limit: number }): string | undefined {
  let text = "";
  const done = streamParts(bytes, new Map([[name, (t: string) => (text += t)]]), budget);
  return done.has(name) ? text : undefined;
}

/** The first sheet's part name: the workbook's first <sheet>, through its relationship; sheet1.xml when they do not say. */
function firstSheet(bytes: Uint8Array, parts: Map<string, Part>, budget: { left: number; limit: number }): string {
  const workbook = readSmallPart(bytes, "xl/workbook.xml", budget);
  const rels = parts.has("xl/_rels/workbook.xml.rels") ? readSmallPart(bytes, "xl/_rels/workbook.xml.rels", budget) : undefined;
  let relId: string | undefined;
  if (workbook !== undefined) {
    const p = xmlParser();
    p.on("opentag", (tag) => {
      if (relId === undefined && localName(tag.name) === "sheet") {
        const id = Object.entries(tag.attributes).find(([k]) => localName(k) === "id" && k !== "sheetId")?.[1];
        if (typeof id === "string") relId = id;
      }
    });
    safeXml(p, workbook, "xl/workbook.xml");
  }
  if (relId !== undefined && rels !== undefined) {
    let target: string | undefined;
    const p = xmlParser();
    p.on("opentag", (tag) => {
      if (localName(tag.name) === "Relationship" && tag.attributes.Id === relId) target = String(tag.attributes.Target ?? "");
    });
    safeXml(p, rels, "xl/_rels/workbook.xml.rels");
    if (target) {
      const name = target.startsWith("/") ? target.slice(1) : `xl/${target.replace(/^\.\//, "")}`;
      if (parts.has(name)) return name;
    }
  }
  if (parts.has("xl/worksheets/sheet1.xml")) return "xl/worksheets/sheet1.xml";
  const any = [...parts.keys()].filter((n) => /^xl\/worksheets\/[^/]+\.xml$/.test(n)).sort()[0];
  if (any === undefined) throw notWorkbook("it has no worksheet");
  return any;
}

function localName(name: string): string {
  const i = name.indexOf(":");
  return i < 0 ? name : name.slice(i + 1);
}

function safeXml(p: SaxesParser, text: string, part: string): void {
  try {
    p.write(text).close();
  } catch {
    throw notWorkbook(`the part ${part} is not well-formed XML`);
  }
}

/** "B12" → 1 (zero-based column); undefined when the reference is not a cell reference. */
function columnOf(ref: string): number | undefined {
  const m = /^([A-Z]{1,3})\d*$/.exec(ref);
  if (!m) return undefined;
  let n = 0;
  for (const ch of m[1] as string) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

/** Columns beyond this are not read (address columns sit at the left; XFD is 16384). */
const MAX_COLUMNS = 256;

function readXlsx(bytes: Uint8Array, limits: ParseLimits, sink: RowSink): void {
  const parts = listParts(bytes);
  if (!parts.has("xl/workbook.xml")) throw notWorkbook("it has no xl/workbook.xml");
  const budget = { left: limits.maxUnpackedBytes, limit: limits.maxUnpackedBytes };
  // Before anything is inflated: what the needed parts claim, and how far they claim to expand.
  const check = (part: Part | undefined) => {
    if (!part) return;
    if (part.originalSize > limits.maxUnpackedBytes || part.originalSize > MAX_COMPRESSION_RATIO * Math.max(part.size, 1024)) {
      throw bomb(part.name, limits.maxUnpackedBytes);
    }
  };
  check(parts.get("xl/workbook.xml"));
  check(parts.get("xl/_rels/workbook.xml.rels"));
  check(parts.get("xl/sharedStrings.xml"));
  const sheet = firstSheet(bytes, parts, budget);
  check(parts.get(sheet));
  const claimed = (parts.get("xl/sharedStrings.xml")?.originalSize ?? 0) + (parts.get(sheet)?.originalSize ?? 0);
  if (claimed > budget.left) throw bomb("sheet and shared strings together", limits.maxUnpackedBytes);

  // Shared strings first (the sheet refers to them by index); they are held, within the limit.
  const shared: string[] = [];
  if (parts.has("xl/sharedStrings.xml")) {
    const p = xmlParser();
    let inSi = false;
    let inT = false;
    let inPhonetic = false;
    let current = "";
    p.on("opentag", (tag) => {
      const n = localName(tag.name);
      if (n === "si") {
        inSi = true;
        current = "";
      } else if (n === "rPh") inPhonetic = true;
      else if (n === "t" && inSi && !inPhonetic) inT = true;
    });
    p.on("closetag", (tag) => {
      const n = localName(tag.name);
      if (n === "si") {
        shared.push(current);
        inSi = false;
      } else if (n === "rPh") inPhonetic = false;
      else if (n === "t") inT = false;
    });
    p.on("text", (t) => {
      if (inT) current += t;
    });
    streamXml(bytes, "xl/sharedStrings.xml", p, budget);
  }

  // The sheet, row by row.
  const p = xmlParser();
  let rowNumber = 0;
  let cells: (Cell | undefined)[] = [];
  let col = -1;
  let cellType = "";
  let cellFormula = false;
  let value = "";
  let inValue = false;
  let inInline = false;
  let inlineText = "";
  let sheetDataDone = false;
  p.on("opentag", (tag) => {
    const n = localName(tag.name);
    if (n === "row") {
      const r = Number(tag.attributes.r);
      rowNumber = Number.isInteger(r) && r > rowNumber ? r : rowNumber + 1;
      cells = [];
      col = -1;
    } else if (n === "c") {
      const ref = typeof tag.attributes.r === "string" ? columnOf(tag.attributes.r) : undefined;
      col = ref ?? col + 1;
      cellType = String(tag.attributes.t ?? "n");
      cellFormula = false;
      value = "";
      inlineText = "";
    } else if (n === "v") inValue = true;
    else if (n === "f") cellFormula = true;
    else if (n === "is") inInline = true;
  });
  p.on("text", (t) => {
    if (inValue) value += t;
    else if (inInline) inlineText += t;
  });
  p.on("closetag", (tag) => {
    const n = localName(tag.name);
    if (n === "v") inValue = false;
    else if (n === "is") inInline = false;
    else if (n === "c") {
      if (col < 0 || col >= MAX_COLUMNS) return;
      let text: string;
      if (cellType === "s") text = shared[Number(value)] ?? "";
      else if (cellType === "inlineStr") text = inlineText;
      else if (cellType === "b") text = value === "1" ? "TRUE" : value === "0" ? "FALSE" : value;
      else text = value;
      cells[col] = { text, ...(cellFormula && { formula: true }), ...(cellType === "n" && value !== "" && { numeric: true }) };
    } else if (n === "row") {
      sink.row(rowNumber, cells);
    } else if (n === "sheetData") sheetDataDone = true;
  });
  streamXml(bytes, sheet, p, budget);
  if (!sheetDataDone && rowNumber === 0) throw notWorkbook("its first sheet has no data");
}

function streamXml(bytes: Uint8Array, part: string, p: SaxesParser, budget: { left: number; limit: number }): void {
  const feed = (text: string) => {
    try {
      p.write(text);
    } catch (error) {
      if (error instanceof UploadRefused) throw error;
      throw notWorkbook(`the part ${part} is not well-formed XML`);
    }
  };
  const done = streamParts(bytes, new Map([[part, feed]]), budget);
  if (!done.has(part)) throw notWorkbook(`the part ${part} could not be read`);
  try {
    p.close();
  } catch {
    throw notWorkbook(`the part ${part} is not well-formed XML`);
  }
}

import { parseAddressId, parseAddressKey } from "../domain/address-input";

/**
 * The columns of a portfolio spreadsheet and how one row becomes an address, or a reason it
 * cannot. Pure: the CSV and XLSX readers (./parse.ts) hand every row's cells here as text.
 */

/** The address fields a column can hold. */
export const UPLOAD_FIELDS = ["addressId", "postcode", "houseNumber", "letter", "addition"] as const;
export type UploadField = (typeof UPLOAD_FIELDS)[number];

/**
 * Header spellings accepted per field, compared after lower-casing and dropping everything but
 * letters and digits ("Huisnr.", "huis nr" and "HUISNR" are one spelling). Dutch spellings follow
 * the BAG's own names (nummeraanduiding, huisnummer, huisletter, huisnummertoevoeging).
 */
export const HEADER_SPELLINGS: Record<UploadField, readonly string[]> = {
  addressId: [
    "addressid",
    "nummeraanduiding",
    "nummeraanduidingid",
    "nummeraanduidingidentificatie",
    "idnummeraanduiding",
    "bagid",
    "bagadresid",
    "bagnummeraanduiding",
    "bagnummeraanduidingid",
    "adresid",
    "adresseerbaarobjectnummeraanduiding",
  ],
  postcode: ["postcode", "pc", "pc6", "postalcode", "zipcode", "zip"],
  houseNumber: ["housenumber", "huisnummer", "huisnr", "hnr", "nr", "nummer", "number"],
  letter: ["letter", "huisletter", "houseletter"],
  addition: [
    "addition",
    "toevoeging",
    "huisnummertoevoeging",
    "huisnrtoevoeging",
    "housenumberaddition",
    "toev",
    "huisnummertoev",
    "huisnummerletter",
  ],
};

const SPELLING_TO_FIELD = new Map<string, UploadField>(
  Object.entries(HEADER_SPELLINGS).flatMap(([field, spellings]) => spellings.map((s) => [s, field as UploadField] as const)),
);

export function normaliseHeader(header: string): string {
  return header.toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");
}

/** Where each field is in the header row, and the headers that were left aside. */
export interface ColumnMap {
  at: Partial<Record<UploadField, number>>;
  /** The header as written, per field used. */
  headers: Partial<Record<UploadField, string>>;
  /** Headers of columns that are not address columns (ignored), as written. */
  ignored: string[];
}

/** Maps a header row, or says what is wrong with it. */
export function mapColumns(header: readonly string[]): { ok: true; map: ColumnMap } | { ok: false; reason: string } {
  const at: ColumnMap["at"] = {};
  const headers: ColumnMap["headers"] = {};
  const ignored: string[] = [];
  header.forEach((raw, i) => {
    const written = raw.trim();
    const field = SPELLING_TO_FIELD.get(normaliseHeader(written));
    if (field === undefined || at[field] !== undefined) {
      if (written !== "") ignored.push(written.slice(0, 60));
      return;
    }
    at[field] = i;
    headers[field] = written;
  });
  if (at.addressId === undefined && (at.postcode === undefined || at.houseNumber === undefined)) {
    const seen = header
      .map((h) => h.trim())
      .filter((h) => h !== "")
      .slice(0, 12)
      .map((h) => `"${h.slice(0, 40)}"`);
    return {
      ok: false,
      reason: `The first row must name the address columns: addressId (or nummeraanduiding, bag id), or postcode and houseNumber (or huisnummer, huisnr), with letter (huisletter) and addition (toevoeging) if you have them. The first row has ${seen.length > 0 ? seen.join(", ") : "no headers"}.`,
    };
  }
  return { ok: true, map: { at, headers, ignored } };
}

/** One address as a row names it, normalised. */
export type UploadInput =
  | { addressId: string }
  | { postcode: string; houseNumber: number; houseLetter?: string; houseNumberAddition?: string };

/** A cell as the readers hand it: its text, and for XLSX whether it holds a formula. */
export interface Cell {
  text: string;
  formula?: boolean;
  /** An XLSX number cell (a BAG id stored as a number has lost its leading zero). */
  numeric?: boolean;
}

const FORMULA_START = /^[=+\-@\t\r]/;
const FIELD_NAMES: Record<UploadField, string> = {
  addressId: "addressId",
  postcode: "postcode",
  houseNumber: "houseNumber",
  letter: "letter",
  addition: "addition",
};

/** The address a row names, its key for finding repeats, or why it names none. */
export type RowOutcome = { kind: "empty" } | { kind: "address"; input: UploadInput; key: string } | { kind: "error"; reason: string };

export function readRow(map: ColumnMap, cells: readonly (Cell | undefined)[]): RowOutcome {
  const value: Partial<Record<UploadField, string>> = {};
  for (const field of UPLOAD_FIELDS) {
    const i = map.at[field];
    if (i === undefined) continue;
    const cell = cells[i];
    if (cell === undefined) continue;
    if (cell.formula || FORMULA_START.test(cell.text) || FORMULA_START.test(cell.text.trimStart())) {
      return {
        kind: "error",
        reason: `${FIELD_NAMES[field]} looks like a spreadsheet formula (it starts with =, +, -, @ or is computed); paste the values instead`,
      };
    }
    const text = cell.text.trim();
    if (text !== "") value[field] = field === "addressId" ? addressIdText(text, cell.numeric === true) : text;
  }
  if (Object.keys(value).length === 0) {
    return cells.some((c) => c !== undefined && c.text.trim() !== "")
      ? { kind: "error", reason: "names no address: the address columns are empty" }
      : { kind: "empty" };
  }
  if (value.addressId !== undefined) {
    const id = parseAddressId(value.addressId);
    if (!id.ok) return { kind: "error", reason: id.error };
    return { kind: "address", input: { addressId: id.value }, key: `id:${id.value}` };
  }
  if (value.postcode === undefined) return { kind: "error", reason: "postcode is missing (a house number alone names no address)" };
  if (value.houseNumber === undefined) return { kind: "error", reason: "houseNumber is missing (a postcode alone names no address)" };
  const key = parseAddressKey({
    postcode: value.postcode,
    houseNumber: value.houseNumber,
    houseLetter: value.letter ?? null,
    houseNumberAddition: value.addition ?? null,
  });
  if (!key.ok) return { kind: "error", reason: key.error };
  const k = key.value;
  return {
    kind: "address",
    input: {
      postcode: k.postcode,
      houseNumber: k.houseNumber,
      ...(k.houseLetter !== null && { houseLetter: k.houseLetter }),
      ...(k.houseNumberAddition !== null && { houseNumberAddition: k.houseNumberAddition }),
    },
    key: `at:${k.postcode}|${k.houseNumber}|${k.houseLetter ?? ""}|${k.houseNumberAddition ?? ""}`,
  };
}

/**
 * A BAG id as spreadsheets mangle it: a number cell drops the leading zero of municipality codes
 * below 1000 ("0307…" becomes 307…), and CSV from such a cell may read "3.072E+14".
 */
function addressIdText(text: string, numeric: boolean): string {
  let digits = text;
  if (/^\d+(\.0+)?$/.test(text)) digits = text.replace(/\.0+$/, "");
  else if (/^\d(\.\d+)?E\+\d+$/i.test(text)) {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) return text;
    digits = String(n);
  } else return text;
  return (numeric || digits.length !== text.length || digits.length >= 13) && digits.length < 16 ? digits.padStart(16, "0") : digits;
}

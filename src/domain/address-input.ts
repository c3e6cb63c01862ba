import type { AddressKey } from "./records";

/**
 * Dutch address input rules (Kadaster BAG/BRK): postcode four digits, the first not 0, then two
 * capitals, never SA, SD or SS; house number 1–99999; house letter one letter; addition 1–4
 * letters or digits. Inputs are normalised first ("1234 ab" → "1234AB", "12a" → 12 + "A").
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const POSTCODE = /^([1-9][0-9]{3})\s?([A-Z]{2})$/;
const FORBIDDEN_PAIRS = new Set(["SA", "SD", "SS"]);
const MAX_INPUT = 40;

export function parsePostcode(input: string): Parsed<string> {
  if (input.length > MAX_INPUT) return { ok: false, error: "The postcode is far too long: a Dutch postcode is like 1234 AB." };
  const text = input.trim().toUpperCase();
  const match = POSTCODE.exec(text);
  if (!match) {
    if (/^0/.test(text)) return { ok: false, error: `"${text}" is not a Dutch postcode: the first digit is never 0 (e.g. 1234 AB).` };
    return { ok: false, error: `"${text.slice(0, 20)}" is not a Dutch postcode: use four digits and two letters, e.g. 1234 AB.` };
  }
  const [, digits, letters] = match as unknown as [string, string, string];
  if (FORBIDDEN_PAIRS.has(letters)) {
    return { ok: false, error: `"${digits} ${letters}" is not a Dutch postcode: the letter pairs SA, SD and SS are never used.` };
  }
  return { ok: true, value: `${digits}${letters}` };
}

export interface HouseNumberParts {
  houseNumber: number;
  houseLetter: string | null;
  houseNumberAddition: string | null;
}

/**
 * A house number as people write it: 12, "12", "12a", "12 A", "12-A", "12 A 2", "12-2", "12A-bis".
 * Explicit `letter` / `addition` arguments win over what is embedded in the number.
 */
export function parseHouseNumber(number: string | number, letter?: string | null, addition?: string | null): Parsed<HouseNumberParts> {
  const raw = String(number).trim();
  if (raw.length > MAX_INPUT) return { ok: false, error: "The house number is far too long: use e.g. 12, 12A or 12-2." };
  const match = /^(\d{1,6})(?:[\s-]*([A-Za-z])(?![A-Za-z0-9]))?(?:[\s-]*([A-Za-z0-9]{1,4}))?$/.exec(raw);
  if (!match)
    return {
      ok: false,
      error: `"${raw.slice(0, 20)}" is not a house number: use a number from 1 to 99999, optionally with a letter and an addition, e.g. 12, 12A, 12-2 or 12 A 2.`,
    };
  const houseNumber = Number(match[1]);
  if (!Number.isInteger(houseNumber) || houseNumber < 1 || houseNumber > 99999) {
    return { ok: false, error: `House number ${raw} is out of range: Dutch house numbers run from 1 to 99999.` };
  }
  let houseLetter = match[2] ? match[2].toUpperCase() : null;
  let houseNumberAddition = match[3] ? match[3].toUpperCase() : null;
  if (letter !== undefined && letter !== null && letter.trim() !== "") {
    const l = letter.trim();
    if (!/^[A-Za-z]$/.test(l))
      return { ok: false, error: `House letter "${l.slice(0, 10)}" is not valid: it is exactly one letter (A–Z).` };
    houseLetter = l.toUpperCase();
  }
  if (addition !== undefined && addition !== null && addition.trim() !== "") {
    const a = addition.trim();
    if (!/^[A-Za-z0-9]{1,4}$/.test(a)) {
      return {
        ok: false,
        error: `House number addition "${a.slice(0, 10)}" is not valid: it is 1 to 4 letters or digits (e.g. 2, BIS, H).`,
      };
    }
    houseNumberAddition = a.toUpperCase();
  }
  return { ok: true, value: { houseNumber, houseLetter, houseNumberAddition } };
}

export function parseAddressKey(input: {
  postcode: string;
  houseNumber: string | number;
  houseLetter?: string | null;
  houseNumberAddition?: string | null;
}): Parsed<AddressKey> {
  const postcode = parsePostcode(input.postcode);
  if (!postcode.ok) return postcode;
  const number = parseHouseNumber(input.houseNumber, input.houseLetter, input.houseNumberAddition);
  if (!number.ok) return number;
  return { ok: true, value: { postcode: postcode.value, ...number.value } };
}

const BAG_ID = /^\d{4}(01|02|03|10|20|30)\d{10}$/;

/** A BAG nummeraanduiding (address) id: 16 digits with type code 20, never all zeros. */
export function parseAddressId(input: string): Parsed<string> {
  const id = input.trim();
  if (!BAG_ID.test(id) || id === "0000000000000000") {
    return { ok: false, error: `"${id.slice(0, 24)}" is not a BAG address id: it is 16 digits, e.g. 0307200000463989.` };
  }
  if (id.slice(4, 6) !== "20") {
    return {
      ok: false,
      error: `${id} is a BAG id of another kind (type ${id.slice(4, 6)}); an address (nummeraanduiding) id has type 20 in digits 5–6.`,
    };
  }
  return { ok: true, value: id };
}

/** "Lijsterstraat 20 A-2, 3815 DT Amersfoort" style label; "Dorpsweg 12, Urk" without a postcode. */
export function formatAddress(a: {
  street: string;
  houseNumber: number;
  houseLetter: string | null;
  houseNumberAddition: string | null;
  postcode: string | null;
  place: string;
}): string {
  const number = `${a.houseNumber}${a.houseLetter ?? ""}${a.houseNumberAddition ? `-${a.houseNumberAddition}` : ""}`;
  if (a.postcode === null) return `${a.street} ${number}, ${a.place}`;
  return `${a.street} ${number}, ${a.postcode.slice(0, 4)} ${a.postcode.slice(4)} ${a.place}`;
}

export function formatHouseNumber(a: { houseNumber: number; houseLetter: string | null; houseNumberAddition: string | null }): string {
  return `${a.houseNumber}${a.houseLetter ?? ""}${a.houseNumberAddition ? `-${a.houseNumberAddition}` : ""}`;
}

/**
 * The readings of a house number's letter and addition to try against the register, the one
 * as written first. In Amsterdam `100-H`, `100 H`, `2-III` mean toevoegingen (H for "huis",
 * I/II/III for floors), while `100H` elsewhere is a huisletter: a lone letter written as either
 * is tried as the other too. Letter and addition both given, or neither: one reading.
 */
export function houseNumberReadings<T extends HouseNumberParts>(parts: T): T[] {
  const { houseLetter, houseNumberAddition } = parts;
  if (houseLetter !== null && houseNumberAddition === null)
    return [parts, { ...parts, houseLetter: null, houseNumberAddition: houseLetter }];
  if (houseLetter === null && houseNumberAddition !== null && /^[A-Z]$/i.test(houseNumberAddition)) {
    return [parts, { ...parts, houseLetter: houseNumberAddition.toUpperCase(), houseNumberAddition: null }];
  }
  return [parts];
}

/** The longest free-text address search accepted. */
export const MAX_ADDRESS_QUERY = 200;

/** A free-text address search taken apart: the words to match, and a postcode and house number when given. */
export interface AddressQuery {
  /** The input, trimmed and with its whitespace collapsed. */
  text: string;
  /** Lower-cased words of street and place (letters and digits only), in input order; may be partial ("polluxstr"). */
  words: string[];
  /** A full postcode, normalised ("3817AC"), when the input has one. */
  postcode: string | null;
  /** The house number with its letter and addition as written, when the input has one. */
  houseNumber: HouseNumberParts | null;
}

const QUERY_POSTCODE = /(^|[^\p{L}\p{N}])([1-9][0-9]{3})\s?([A-Za-z]{2})(?=$|[^\p{L}\p{N}])/u;
const NUMBER_TOKEN = /^\d{1,5}(?:[A-Za-z]|-[A-Za-z0-9]{1,4}|[A-Za-z]-[A-Za-z0-9]{1,4})?$/;
/** What may follow a house number as its letter or addition when written apart: "123 H", "2 III", "20 A 2", "7 bis". */
const NUMBER_SUFFIX = /^(?:[A-Za-z]|\d{1,4}|I{1,3}|IV|bis|hs)$/i;

/**
 * Takes a free-text address apart: "Keizersgracht 123 Amsterdam", "3817AC 1", "3817 ac 1-2",
 * "Polluxstr 1 Amersf", "Lijsterstraat 20 A 2". The postcode is the first `1234AB`/`1234 AB`;
 * the house number is the last number-like token (so "1e Jan Steenstraat 12" gives 12), with a
 * short letter or addition right after it ("123 H", "2 III"); the rest are words.
 */
export function parseAddressQuery(input: string): Parsed<AddressQuery> {
  const text = input.replace(/\s+/g, " ").trim();
  if (text === "") {
    return { ok: false, error: 'Give an address to search for, e.g. "Keizersgracht 123 Amsterdam", "3817AC 1" or "Polluxstr 1 Amersf".' };
  }
  if (input.length > MAX_ADDRESS_QUERY) {
    return {
      ok: false,
      error: `The search text is too long (${input.length} characters; at most ${MAX_ADDRESS_QUERY}): give street, number and place, or postcode and number.`,
    };
  }
  let rest = text;
  let postcode: string | null = null;
  const pc = QUERY_POSTCODE.exec(rest);
  if (pc) {
    const parsed = parsePostcode(`${pc[2]}${pc[3]}`);
    if (parsed.ok) {
      postcode = parsed.value;
      rest = `${rest.slice(0, pc.index)}${pc[1]} ${rest.slice(pc.index + pc[0].length)}`;
    }
  }
  // Tokens: runs of letters and digits, a hyphen kept inside a number ("20-2", "100-H").
  const tokens = rest.match(/\d+(?:[A-Za-z]?-[\p{L}\p{N}]+|[A-Za-z](?![\p{L}\p{N}]))?|[\p{L}\p{N}]+/gu) ?? [];
  let numberAt = -1;
  for (let i = tokens.length - 1; i >= 0; i--) {
    const token = tokens[i] as string;
    if (!NUMBER_TOKEN.test(token)) continue;
    // A leading "1e" or "2" followed by words is part of the street ("1e Jan Steenstraat", "2e Hugo de Grootstraat").
    if (i === 0 && postcode === null && tokens.length > 1 && /\D/.test(token)) continue;
    numberAt = i;
    break;
  }
  // "20 A 2", "20 2": the last number-like token may be the addition of the number before it.
  const isBare = (j: number) => j >= 0 && /^\d{1,5}$/.test(tokens[j] as string);
  if (
    numberAt >= 2 &&
    isBare(numberAt - 2) &&
    /^[A-Za-z]$/.test(tokens[numberAt - 1] as string) &&
    NUMBER_SUFFIX.test(tokens[numberAt] as string)
  ) {
    numberAt -= 2;
  } else if (numberAt >= 1 && isBare(numberAt - 1) && /^\d{1,4}$/.test(tokens[numberAt] as string) && numberAt === tokens.length - 1) {
    numberAt -= 1;
  }
  let houseNumber: HouseNumberParts | null = null;
  let used = new Set<number>();
  if (numberAt >= 0) {
    const token = tokens[numberAt] as string;
    const next = tokens[numberAt + 1];
    const afterNext = tokens[numberAt + 2];
    const candidates: Array<[string, number[]]> = [];
    // "20 A 2": a letter and an addition written apart.
    if (/^\d+$/.test(token) && next && /^[A-Za-z]$/.test(next) && afterNext && NUMBER_SUFFIX.test(afterNext)) {
      candidates.push([`${token} ${next} ${afterNext}`, [numberAt, numberAt + 1, numberAt + 2]]);
    }
    if (next && !/-/.test(token) && NUMBER_SUFFIX.test(next)) {
      candidates.push([`${token} ${next}`, [numberAt, numberAt + 1]]);
    }
    candidates.push([token, [numberAt]]);
    for (const [written, at] of candidates) {
      const parsed = parseHouseNumber(written);
      if (parsed.ok) {
        houseNumber = parsed.value;
        used = new Set(at);
        break;
      }
    }
  }
  const words = tokens
    .filter((_, i) => !used.has(i))
    .flatMap((t) => t.split("-"))
    .map((t) => t.toLowerCase())
    .filter((t) => t !== "");
  return { ok: true, value: { text, words, postcode, houseNumber } };
}

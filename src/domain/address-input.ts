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

/** "Lijsterstraat 20 A-2, 3815 DT Amersfoort" style label. */
export function formatAddress(a: {
  street: string;
  houseNumber: number;
  houseLetter: string | null;
  houseNumberAddition: string | null;
  postcode: string;
  place: string;
}): string {
  const number = `${a.houseNumber}${a.houseLetter ?? ""}${a.houseNumberAddition ? `-${a.houseNumberAddition}` : ""}`;
  return `${a.street} ${number}, ${a.postcode.slice(0, 4)} ${a.postcode.slice(4)} ${a.place}`;
}

export function formatHouseNumber(a: { houseNumber: number; houseLetter: string | null; houseNumberAddition: string | null }): string {
  return `${a.houseNumber}${a.houseLetter ?? ""}${a.houseNumberAddition ? `-${a.houseNumberAddition}` : ""}`;
}

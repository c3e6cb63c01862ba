import { z } from "zod";
import { type AddressQuery, houseNumberReadings, parsePostcode } from "../../domain/address-input";
import { log } from "../../log";
import { type AddressKey, RegisterError } from "../types";
import { BUURT_CODE_RE } from "./cbs";
import { getJson, type HttpOptions, NOT_FOUND } from "./http";
import { REGISTER, REGISTER_NAMES } from "./registers";

/**
 * PDOK Locatieserver v3.1 `free` search, for BAG addresses. v3.1 answers 400 to any query
 * parameter it does not know, so requests carry only `q`, `fq`, `fl`, `rows` and `start`, and
 * only values this module has validated (a postcode, a house number, a BAG id) go into them.
 *
 * Wire format notes: `huisletter` and `huisnummertoevoeging` are absent when empty;
 * `centroide_ll` is WKT `POINT(lon lat)` with longitude first; `gemeentecode` has no `GM`.
 */

export const LOCATIESERVER_FREE_URL = "https://api.pdok.nl/bzk/locatieserver/search/v3_1/free";
/** A register's failure names it: "PDOK Locatieserver …" (see http.ts for timeouts, 429 and 5xx). */
const REJECTED = { 400: "PDOK Locatieserver rejected the address search (HTTP 400)." };
/** The most `rows` v3.1 allows. */
export const PAGE_SIZE = 100;
/** A PC6 holds a few hundred addresses at most; stop paging well before `start`'s limit. */
const MAX_PAGES = 10;
/** The fields we read; asking for them keeps answers small. */
export const FIELDS = [
  "id",
  "type",
  "nummeraanduiding_id",
  "adresseerbaarobject_id",
  "straatnaam",
  "huisnummer",
  "huisletter",
  "huisnummertoevoeging",
  "postcode",
  "woonplaatsnaam",
  "gemeentecode",
  "gemeentenaam",
  "provinciecode",
  "provincienaam",
  "wijkcode",
  "wijknaam",
  "buurtcode",
  "buurtnaam",
  "centroide_ll",
].join(" ");

export const NUMMERAANDUIDING_RE = /^\d{4}20\d{10}$/;
export const ADRESSEERBAAR_OBJECT_RE = /^\d{4}(01|02|03)\d{10}$/;
const WIJK_RE = /^WK[0-9]{4}[0-9A-Z]{2}$/;

/** One address as the Locatieserver describes it, mapped to our names. */
export interface LocatieserverAddress {
  /** BAG nummeraanduiding id. */
  id: string;
  /** BAG verblijfsobject/ligplaats/standplaats id. */
  unitId: string;
  postcode: string;
  houseNumber: number;
  houseLetter: string | null;
  houseNumberAddition: string | null;
  street: string;
  place: string;
  /** `GM` + the four-digit gemeentecode. */
  municipalityCode: string;
  municipalityName: string | null;
  provinceCode: string | null;
  provinceName: string | null;
  districtCode: string | null;
  districtName: string | null;
  neighbourhoodCode: string | null;
  neighbourhoodName: string | null;
  lat: number;
  lon: number;
}

const optionalText = z
  .string()
  .nullish()
  .transform((v) => (v === undefined || v === null || v.trim() === "" ? null : v.trim()));

/** Only what an address needs; other doc types and fields pass through unread. */
const AddressDocSchema = z.object({
  type: z.literal("adres"),
  nummeraanduiding_id: z.string().regex(NUMMERAANDUIDING_RE),
  adresseerbaarobject_id: z.string().regex(ADRESSEERBAAR_OBJECT_RE),
  straatnaam: z.string().trim().min(1),
  huisnummer: z.number().int().min(1).max(99999),
  huisletter: optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z]$/)
      .nullable(),
  ),
  huisnummertoevoeging: optionalText.pipe(
    z
      .string()
      .regex(/^[0-9A-Za-z]{1,4}$/)
      .nullable(),
  ),
  // BAG has addresses without a postcode (units whose only use is "overige gebruiksfunctie").
  postcode: optionalText.pipe(
    z
      .string()
      .refine((value) => normalisePostcode(value) === value, "a compact Dutch postcode")
      .nullable(),
  ),
  woonplaatsnaam: z.string().trim().min(1),
  gemeentecode: z.string().regex(/^\d{4}$/),
  gemeentenaam: optionalText,
  provinciecode: optionalText,
  provincienaam: optionalText,
  wijkcode: optionalText,
  wijknaam: optionalText,
  buurtcode: optionalText,
  buurtnaam: optionalText,
  centroide_ll: z.string(),
});

const FreeResponseSchema = z.object({
  response: z.object({
    numFound: z.number().int().min(0),
    start: z.number().int().min(0),
    docs: z.array(z.record(z.string(), z.unknown())),
  }),
});

/** `POINT(lon lat)` → coordinates, only inside the Netherlands' bounds (the D1 schema's too). */
export function parsePoint(wkt: string): { lon: number; lat: number } | null {
  const match = /^POINT\s*\(\s*(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)\s*\)$/i.exec(wkt.trim());
  if (!match) return null;
  const lon = Number(match[1]);
  const lat = Number(match[2]);
  if (!(lat >= 50.5 && lat <= 53.7 && lon >= 3.2 && lon <= 7.3)) return null;
  return { lon, lat };
}

/** An address as a search finds it: BAG also has addresses without a postcode. */
export type LocatieserverCandidate = Omit<LocatieserverAddress, "postcode"> & { postcode: string | null };

/** One `adres` doc mapped, or null when it is not a complete, well-formed address with a postcode. */
export function parseAddressDoc(doc: unknown): LocatieserverAddress | null {
  const candidate = parseAddressCandidate(doc);
  return candidate && candidate.postcode !== null ? { ...candidate, postcode: candidate.postcode } : null;
}

/** One `adres` doc mapped, with or without a postcode; null when it is not a well-formed address. */
export function parseAddressCandidate(doc: unknown): LocatieserverCandidate | null {
  const parsed = AddressDocSchema.safeParse(doc);
  if (!parsed.success) return null;
  const d = parsed.data;
  const point = parsePoint(d.centroide_ll);
  if (!point) return null;
  const neighbourhoodCode = d.buurtcode !== null && BUURT_CODE_RE.test(d.buurtcode) ? d.buurtcode : null;
  // The wijk code is the buurt code's first eight characters with WK instead of BU.
  const districtCode =
    d.wijkcode !== null && WIJK_RE.test(d.wijkcode) ? d.wijkcode : neighbourhoodCode ? `WK${neighbourhoodCode.slice(2, 8)}` : null;
  return {
    id: d.nummeraanduiding_id,
    unitId: d.adresseerbaarobject_id,
    postcode: d.postcode,
    houseNumber: d.huisnummer,
    houseLetter: d.huisletter,
    houseNumberAddition: d.huisnummertoevoeging,
    street: d.straatnaam,
    place: d.woonplaatsnaam,
    municipalityCode: `GM${d.gemeentecode}`,
    municipalityName: d.gemeentenaam,
    provinceCode: d.provinciecode,
    provinceName: d.provincienaam,
    districtCode,
    districtName: districtCode !== null && districtCode === d.wijkcode ? d.wijknaam : null,
    neighbourhoodCode,
    neighbourhoodName: neighbourhoodCode !== null ? d.buurtnaam : null,
    lat: point.lat,
    lon: point.lon,
  };
}

function freeUrl(q: string, filters: string[], start: number, rows: number): string {
  const params = new URLSearchParams({ q });
  for (const fq of filters) params.append("fq", fq);
  params.set("fl", FIELDS);
  params.set("rows", String(rows));
  params.set("start", String(start));
  return `${LOCATIESERVER_FREE_URL}?${params}`;
}

/**
 * Runs a `free` query page by page and maps the `adres` docs: those with a postcode, and
 * (apart) those without one, which are well-formed BAG addresses, not a changed format.
 * Malformed docs are skipped.
 */
async function searchAll(
  q: string,
  filters: string[],
  options: HttpOptions,
  maxRows = PAGE_SIZE * MAX_PAGES,
): Promise<{ found: LocatieserverAddress[]; withoutPostcode: LocatieserverCandidate[]; numFound: number }> {
  const found: LocatieserverAddress[] = [];
  const withoutPostcode: LocatieserverCandidate[] = [];
  let numFound = 0;
  let start = 0;
  let skipped = 0;
  for (let page = 0; page < MAX_PAGES && start < maxRows; page++) {
    const rows = Math.min(PAGE_SIZE, maxRows - start);
    const answer = await getJson(
      {
        register: REGISTER.locatieserver,
        url: freeUrl(q, filters, start, rows),
        schema: FreeResponseSchema,
        statusMessages: REJECTED,
      },
      options,
    );
    if (answer === NOT_FOUND) break;
    const { docs } = answer.response;
    numFound = answer.response.numFound;
    for (const doc of docs) {
      const candidate = parseAddressCandidate(doc);
      if (candidate === null) skipped++;
      else if (candidate.postcode === null) withoutPostcode.push(candidate);
      else found.push({ ...candidate, postcode: candidate.postcode });
    }
    // Advance by what actually came back, so a short page never skips documents.
    start += docs.length;
    if (docs.length === 0 || start >= numFound) break;
  }
  if (skipped > 0) {
    log("warn", "locatieserver_docs_skipped", { skipped, kept: found.length });
    // Nothing readable at all is a changed format, not "no addresses here".
    if (found.length === 0 && withoutPostcode.length === 0) {
      throw new RegisterError(
        REGISTER.locatieserver,
        `${REGISTER_NAMES[REGISTER.locatieserver]} answered in an unexpected format; try again later.`,
      );
    }
  }
  return { found, withoutPostcode, numFound };
}

async function search(q: string, filters: string[], options: HttpOptions, maxRows?: number): Promise<LocatieserverAddress[]> {
  return (await searchAll(q, filters, options, maxRows)).found;
}

/** Normalises `1118 cp` to `1118CP` by the domain's postcode rules; null when it is not a Dutch postcode. */
export function normalisePostcode(input: string): string | null {
  const parsed = parsePostcode(input.replace(/\s+/g, ""));
  return parsed.ok ? parsed.value : null;
}

/**
 * Every address at a postcode (optionally only at one house number), in BAG order:
 * number, then letter, then addition, the bare number first.
 */
export async function addressesAtPostcode(
  postcode: string,
  houseNumber: number | undefined,
  options: HttpOptions = {},
): Promise<LocatieserverAddress[]> {
  const pc = normalisePostcode(postcode);
  if (pc === null) return [];
  const filters = ["type:adres"];
  if (houseNumber !== undefined) {
    if (!Number.isInteger(houseNumber) || houseNumber < 1 || houseNumber > 99999) return [];
    filters.push(`huisnummer:${houseNumber}`);
  }
  const found = await search(`postcode:${pc}`, filters, options);
  // The search matches tokens; keep only exact postcode (and number) matches.
  return sortAddresses(found.filter((a) => a.postcode === pc && (houseNumber === undefined || a.houseNumber === houseNumber)));
}

/**
 * One address by its nummeraanduiding id, or null when the Locatieserver does not know it. An
 * address BAG registers without a postcode (a shed, garage, some moorings) is found too, with
 * `postcode: null`: its id is the only way to name it.
 */
export async function addressByNummeraanduiding(id: string, options: HttpOptions = {}): Promise<LocatieserverCandidate | null> {
  if (!NUMMERAANDUIDING_RE.test(id)) return null;
  const { found, withoutPostcode } = await searchAll(`nummeraanduiding_id:${id}`, ["type:adres"], options, 1);
  return found.find((a) => a.id === id) ?? withoutPostcode.find((a) => a.id === id) ?? null;
}

/** Characters Solr reads as syntax in `q`; the search text goes in as plain words. */
const SOLR_SYNTAX = /[^\p{L}\p{N}' ]+/gu;

/** Ranked addresses for a free-text search, with how many the Locatieserver found in all. */
export interface LocatieserverSearch {
  numFound: number;
  candidates: Array<LocatieserverCandidate & { score: number | null; label: string | null }>;
}

const SearchResponseSchema = z.object({
  response: z.object({
    numFound: z.number().int().min(0),
    docs: z.array(z.record(z.string(), z.unknown())),
  }),
});

/**
 * Free-text address search: one `free` request with `fq=type:adres` (its terms may be partial:
 * "Polluxstr 1 Amersf"), the best `rows` addresses in the Locatieserver's score order. The
 * input goes in as words only (no Solr syntax), at most 200 characters.
 */
export async function searchAddressText(query: AddressQuery, rows: number, options: HttpOptions = {}): Promise<LocatieserverSearch> {
  const parts = [...query.words];
  if (query.postcode) parts.push(query.postcode);
  if (query.houseNumber) {
    const n = query.houseNumber;
    parts.push(`${n.houseNumber}${n.houseLetter ?? ""}${n.houseNumberAddition ? ` ${n.houseNumberAddition}` : ""}`);
  }
  const q = parts.join(" ").replace(SOLR_SYNTAX, " ").replace(/\s+/g, " ").trim().slice(0, 200);
  if (q === "") return { numFound: 0, candidates: [] };
  const params = new URLSearchParams({ q });
  params.append("fq", "type:adres");
  params.set("fl", `${FIELDS} weergavenaam score`);
  params.set("rows", String(Math.min(Math.max(1, Math.trunc(rows)), PAGE_SIZE)));
  params.set("start", "0");
  const answer = await getJson(
    {
      register: REGISTER.locatieserver,
      url: `${LOCATIESERVER_FREE_URL}?${params}`,
      schema: SearchResponseSchema,
      statusMessages: REJECTED,
    },
    options,
  );
  if (answer === NOT_FOUND) return { numFound: 0, candidates: [] };
  let skipped = 0;
  const candidates: LocatieserverSearch["candidates"] = [];
  for (const doc of answer.response.docs) {
    const candidate = parseAddressCandidate(doc);
    if (!candidate) {
      skipped++;
      continue;
    }
    const score = typeof doc.score === "number" && Number.isFinite(doc.score) ? doc.score : null;
    const label = typeof doc.weergavenaam === "string" && doc.weergavenaam.trim() !== "" ? doc.weergavenaam.trim() : null;
    candidates.push({ ...candidate, score, label });
  }
  if (skipped > 0) {
    log("warn", "locatieserver_docs_skipped", { skipped, kept: candidates.length });
    if (candidates.length === 0) {
      throw new RegisterError(
        REGISTER.locatieserver,
        `${REGISTER_NAMES[REGISTER.locatieserver]} answered in an unexpected format; try again later.`,
      );
    }
  }
  return { numFound: answer.response.numFound, candidates };
}

/**
 * The address among `candidates` with the key's letter and addition (case-insensitive). When
 * none has them as written, a lone letter is tried as an addition and a lone one-letter addition
 * as a letter (Amsterdam's `100-H`, `100 H` are toevoeging H; see `houseNumberReadings`).
 */
export function matchAddress<T extends Omit<AddressKey, "postcode"> & { postcode: string | null }>(
  candidates: readonly T[],
  key: AddressKey,
): T | null {
  const same = (a: string | null, b: string | null) => (a ?? "").toUpperCase() === (b ?? "").toUpperCase();
  for (const reading of houseNumberReadings(key)) {
    const found = candidates.find(
      (a) =>
        a.postcode === reading.postcode &&
        a.houseNumber === reading.houseNumber &&
        same(a.houseLetter, reading.houseLetter) &&
        same(a.houseNumberAddition, reading.houseNumberAddition),
    );
    if (found) return found;
  }
  return null;
}

function sortAddresses(list: LocatieserverAddress[]): LocatieserverAddress[] {
  return list.sort(
    (a, b) =>
      a.houseNumber - b.houseNumber ||
      (a.houseLetter ?? "").localeCompare(b.houseLetter ?? "") ||
      (a.houseNumberAddition ?? "").localeCompare(b.houseNumberAddition ?? ""),
  );
}

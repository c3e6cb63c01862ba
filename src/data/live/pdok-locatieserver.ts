import { z } from "zod";
import { parsePostcode } from "../../domain/address-input";
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
  postcode: z.string().refine((value) => normalisePostcode(value) === value, "a compact Dutch postcode"),
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

/** One `adres` doc mapped, or null when it is not a complete, well-formed address. */
export function parseAddressDoc(doc: unknown): LocatieserverAddress | null {
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

/** Runs a `free` query page by page and maps the `adres` docs; malformed docs are skipped. */
async function search(
  q: string,
  filters: string[],
  options: HttpOptions,
  maxRows = PAGE_SIZE * MAX_PAGES,
): Promise<LocatieserverAddress[]> {
  const found: LocatieserverAddress[] = [];
  let start = 0;
  let skipped = 0;
  for (let page = 0; page < MAX_PAGES && start < maxRows; page++) {
    const rows = Math.min(PAGE_SIZE, maxRows - start);
    const answer = await getJson(
      {
        register: REGISTER.locatieserver,
        url: freeUrl(q, filters, start, rows),
        schema: FreeResponseSchema,
        statusMessages: { 400: "PDOK Locatieserver rejected the address search (HTTP 400)." },
      },
      options,
    );
    if (answer === NOT_FOUND) break;
    const { docs, numFound } = answer.response;
    for (const doc of docs) {
      const address = parseAddressDoc(doc);
      if (address) found.push(address);
      else skipped++;
    }
    // Advance by what actually came back, so a short page never skips documents.
    start += docs.length;
    if (docs.length === 0 || start >= numFound) break;
  }
  if (skipped > 0) {
    log("warn", "locatieserver_docs_skipped", { skipped, kept: found.length });
    // Nothing readable at all is a changed format, not "no addresses here".
    if (found.length === 0) {
      throw new RegisterError(
        REGISTER.locatieserver,
        `${REGISTER_NAMES[REGISTER.locatieserver]} answered in an unexpected format; try again later.`,
      );
    }
  }
  return found;
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

/** One address by its nummeraanduiding id, or null when the Locatieserver does not know it. */
export async function addressByNummeraanduiding(id: string, options: HttpOptions = {}): Promise<LocatieserverAddress | null> {
  if (!NUMMERAANDUIDING_RE.test(id)) return null;
  const found = await search(`nummeraanduiding_id:${id}`, ["type:adres"], options, 1);
  return found.find((a) => a.id === id) ?? null;
}

/** The address among `candidates` with the key's letter and addition (case-insensitive). */
export function matchAddress<T extends AddressKey>(candidates: readonly T[], key: AddressKey): T | null {
  const same = (a: string | null, b: string | null) => (a ?? "").toUpperCase() === (b ?? "").toUpperCase();
  return (
    candidates.find(
      (a) =>
        a.postcode === key.postcode &&
        a.houseNumber === key.houseNumber &&
        same(a.houseLetter, key.houseLetter) &&
        same(a.houseNumberAddition, key.houseNumberAddition),
    ) ?? null
  );
}

function sortAddresses(list: LocatieserverAddress[]): LocatieserverAddress[] {
  return list.sort(
    (a, b) =>
      a.houseNumber - b.houseNumber ||
      (a.houseLetter ?? "").localeCompare(b.houseLetter ?? "") ||
      (a.houseNumberAddition ?? "").localeCompare(b.houseNumberAddition ?? ""),
  );
}

import { z } from "zod";
import { log } from "../../log";
import { RegisterError } from "../types";
import { getJson, type HttpOptions, NOT_FOUND } from "./http";
import { LOCATIESERVER_FREE_URL, NUMMERAANDUIDING_RE } from "./pdok-locatieserver";
import { DEFAULT_REGISTER_URLS, REGISTER, REGISTER_NAMES } from "./registers";

/**
 * The cadastral parcel(s) of an address: PDOK Locatieserver names them (`gekoppeld_perceel` of
 * the address's `adres` doc, kadastrale aanduidingen such as "VLO00-E-600"), then PDOK BRK
 * Kadastrale Kaart OGC API Features v1 (`collections/perceel`) gives each one's area and its
 * soort grootte. Sources: test/fixtures/registers/brk-perceel-*.source.md.
 *
 * The BRK items are selected with property query parameters (`akr_kadastrale_gemeente_code_waarde`,
 * `sectie`, `perceelnummer`), as for BAG's `identificatie`, not with a CQL2 `filter`, and the
 * answer is checked against the parcel asked: features that are not that parcel mean the
 * register ignored the selection, which is an error, never a miss.
 */

export const BRK_OGC_BASE = DEFAULT_REGISTER_URLS[REGISTER.brk];
/** Kadastrale aanduiding as the Locatieserver writes it: AKR gemeente code, sectie, perceelnummer. */
export const PARCEL_ID_RE = /^([A-Z]{2}[A-Z0-9]\d{2})-([A-Z]{1,2})-(\d{1,5})$/;
/** More linked parcels than this (an apartment complex over many plots) are not all looked up. */
export const MAX_PARCELS = 5;

export interface BrkParcelFacts {
  id: string;
  cadastralCode: string;
  cadastralName: string | null;
  section: string;
  parcelNumber: number;
  areaM2: number | null;
  areaKind: string | null;
}

export function parseParcelId(id: string): { cadastralCode: string; section: string; parcelNumber: number } | null {
  const m = PARCEL_ID_RE.exec(id.trim().toUpperCase());
  if (!m?.[1] || !m[2] || !m[3]) return null;
  const parcelNumber = Number(m[3]);
  return parcelNumber >= 1 ? { cadastralCode: m[1], section: m[2], parcelNumber } : null;
}

const LinkedParcels = z.object({
  response: z.object({
    docs: z.array(
      z.object({
        nummeraanduiding_id: z.string(),
        gekoppeld_perceel: z.union([z.string(), z.array(z.string())]).nullish(),
      }),
    ),
  }),
});

/**
 * The kadastrale aanduidingen the Locatieserver links to an address (nummeraanduiding id), in
 * its order; null when it does not know the address.
 */
export async function linkedParcelIds(addressId: string, options: HttpOptions = {}): Promise<string[] | null> {
  if (!NUMMERAANDUIDING_RE.test(addressId)) return null;
  const params = new URLSearchParams({ q: `nummeraanduiding_id:${addressId}`, fl: "nummeraanduiding_id gekoppeld_perceel", rows: "1" });
  params.append("fq", "type:adres");
  const body = await getJson(
    { register: REGISTER.locatieserver, url: `${LOCATIESERVER_FREE_URL}?${params}`, schema: LinkedParcels },
    options,
  );
  if (body === NOT_FOUND) return null;
  const doc = body.response.docs.find((d) => d.nummeraanduiding_id === addressId);
  if (!doc) return null;
  const linked = doc.gekoppeld_perceel ?? [];
  return [...new Set(typeof linked === "string" ? [linked] : linked)];
}

const number = z.union([
  z.number(),
  z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .transform(Number),
]);
const text = z
  .string()
  .nullish()
  .transform((v) => (v?.trim() ? v.trim() : null));
const PerceelItems = z.object({
  type: z.literal("FeatureCollection"),
  features: z.array(
    z.object({
      properties: z.object({
        akr_kadastrale_gemeente_code_waarde: z.string(),
        kadastrale_gemeente_waarde: text,
        sectie: z.string(),
        perceelnummer: number,
        kadastrale_grootte_waarde: number.nullish(),
        soort_grootte_waarde: text,
      }),
    }),
  ),
});

const unexpected = () =>
  new RegisterError(REGISTER.brk, `${REGISTER_NAMES[REGISTER.brk]} answered in an unexpected format; try again later.`);

/** One parcel by its kadastrale aanduiding; null when BRK does not know it (or the id is not one). */
export async function fetchParcel(id: string, options: HttpOptions = {}): Promise<BrkParcelFacts | null> {
  const parsed = parseParcelId(id);
  if (!parsed) return null;
  const params = new URLSearchParams({
    f: "json",
    akr_kadastrale_gemeente_code_waarde: parsed.cadastralCode,
    sectie: parsed.section,
    perceelnummer: String(parsed.parcelNumber),
    limit: "10",
  });
  const body = await getJson(
    { register: REGISTER.brk, url: `${BRK_OGC_BASE}/collections/perceel/items?${params}`, schema: PerceelItems },
    options,
  );
  if (body === NOT_FOUND || body.features.length === 0) return null;
  const match = body.features.find(
    ({ properties: p }) =>
      p.akr_kadastrale_gemeente_code_waarde === parsed.cadastralCode &&
      p.sectie === parsed.section &&
      p.perceelnummer === parsed.parcelNumber,
  );
  if (!match) {
    log("warn", "register_failed", { register: REGISTER.brk, reason: "selection_ignored" });
    throw unexpected();
  }
  const p = match.properties;
  const area = p.kadastrale_grootte_waarde;
  return {
    id: `${parsed.cadastralCode}-${parsed.section}-${parsed.parcelNumber}`,
    cadastralCode: parsed.cadastralCode,
    cadastralName: p.kadastrale_gemeente_waarde,
    section: parsed.section,
    parcelNumber: parsed.parcelNumber,
    areaM2: area !== null && area !== undefined && Number.isFinite(area) && area >= 0 ? area : null,
    areaKind: p.soort_grootte_waarde,
  };
}

/**
 * The parcels of an address: the Locatieserver's links, each looked up in BRK (at most
 * `MAX_PARCELS`; ones BRK does not know are left out). Null when the Locatieserver does not
 * know the address; [] when it links no parcel (a houseboat, a caravan pitch).
 */
export async function fetchParcelsOfAddress(addressId: string, options: HttpOptions = {}): Promise<BrkParcelFacts[] | null> {
  const ids = await linkedParcelIds(addressId, options);
  if (ids === null) return null;
  const valid = ids.filter((id) => parseParcelId(id) !== null).slice(0, MAX_PARCELS);
  // Asked side by side; once all have settled, the first failure in the Locatieserver's order is thrown.
  const settled = await Promise.allSettled(valid.map((id) => fetchParcel(id, options)));
  const parcels: BrkParcelFacts[] = [];
  for (const result of settled) {
    if (result.status === "rejected") throw result.reason;
    const parcel = result.value;
    if (parcel && !parcels.some((p) => p.id === parcel.id)) parcels.push(parcel);
  }
  return parcels;
}

import { z } from "zod";
import { log } from "../../log";
import { RegisterError, type Unit } from "../types";
import { getJson, type HttpOptions, NOT_FOUND } from "./http";
import { REGISTER, REGISTER_NAMES } from "./registers";

/**
 * PDOK BAG OGC API Features v2 (no key). Answers are GeoJSON: a collection query gives a
 * `FeatureCollection` whose `features[].properties` hold the BAG attributes; one item gives a
 * `Feature`. A verblijfsobject lists its panden as `pand.href` (a property whose name contains
 * a dot): OGC item URLs ending in a feature UUID, not BAG ids. We never follow those URLs as
 * given; we take the UUID from a URL on this API's own `pand` items path and build the request.
 * `gebruiksdoel` comes as one string, comma-joined when a unit has several use purposes
 * ("onderwijsfunctie,woonfunctie"), or as an array (reference sections 3 and 13); both are read.
 * The API does not publish "in onderzoek", so `inResearch` is always null (unknown, not false).
 */

export const BAG_OGC_BASE = "https://api.pdok.nl/kadaster/bag/ogc/v2";
/** A unit in more panden than this is rare; the rest are not fetched. */
export const MAX_BUILDINGS = 10;

export const UNIT_ID_RE = /^\d{4}(01|02|03)\d{10}$/;
const BUILDING_ID_RE = /^\d{4}10\d{10}$/;
const NUMMERAANDUIDING_RE = /^\d{4}20\d{10}$/;
const FEATURE_ID_RE = /^[0-9A-Za-z][0-9A-Za-z-]{0,63}$/;

const COLLECTION_BY_TYPE: Record<string, Unit["kind"]> = { "01": "verblijfsobject", "02": "ligplaats", "03": "standplaats" };

export interface BagUnitFacts {
  id: string;
  kind: Unit["kind"];
  status: string;
  usePurposes: string[];
  /** BAG "in onderzoek": null, since the OGC API v2 does not publish it. */
  inResearch: boolean | null;
  surfaceM2: number | null;
  /** The unit's hoofdadres (nummeraanduiding id), when BAG gives it. */
  mainAddressId: string | null;
}

export interface BagBuildingFacts {
  id: string;
  buildYear: number | null;
  status: string;
}

const nullableInt = z
  .number()
  .nullish()
  .transform((v) => (typeof v === "number" && Number.isInteger(v) ? v : null));

const UnitPropertiesSchema = z.object({
  identificatie: z.string().regex(UNIT_ID_RE),
  status: z.string().min(1),
  /** "woonfunctie", "winkelfunctie,woonfunctie" or ["winkelfunctie", "woonfunctie"]; absent on ligplaatsen/standplaatsen. */
  gebruiksdoel: z.union([z.string(), z.array(z.string())]).nullish(),
  oppervlakte: nullableInt,
  hoofdadres_identificatie: z.string().nullish(),
  "pand.href": z.array(z.string()).nullish(),
});

const UnitCollectionSchema = z.object({
  type: z.literal("FeatureCollection"),
  features: z.array(z.object({ type: z.literal("Feature"), properties: z.record(z.string(), z.unknown()) })),
});

const BuildingFeatureSchema = z.object({
  type: z.literal("Feature"),
  properties: z.object({
    identificatie: z.string().regex(BUILDING_ID_RE),
    bouwjaar: nullableInt,
    status: z.string().min(1),
  }),
});

/** The kind of BAG object an adresseerbaar-object id names (its type code), or null. */
export function unitKind(unitId: string): Unit["kind"] | null {
  if (!UNIT_ID_RE.test(unitId)) return null;
  return COLLECTION_BY_TYPE[unitId.slice(4, 6)] ?? null;
}

/**
 * "winkelfunctie, woonfunctie", or ["winkelfunctie", "woonfunctie"] (entries may themselves be
 * comma-joined) → ["winkelfunctie", "woonfunctie"]: lower case, without blanks or repeats, in order.
 */
export function splitPurposes(value: string | readonly string[] | null | undefined): string[] {
  if (!value) return [];
  const parts = (typeof value === "string" ? [value] : value).flatMap((entry) => entry.split(","));
  return [...new Set(parts.map((p) => p.trim().toLowerCase()).filter(Boolean))];
}

/** The feature id at the end of a `pand.href`, only when it points at this API's pand items. */
export function buildingFeatureId(href: string): string | null {
  const prefix = `${BAG_OGC_BASE}/collections/pand/items/`;
  if (!href.startsWith(prefix)) return null;
  const rest = href.slice(prefix.length).split(/[?#]/)[0] ?? "";
  return FEATURE_ID_RE.test(rest) ? rest : null;
}

/** A bouwjaar BAG could mean: unknown placeholders (such as 9999) become null. */
function plausibleYear(year: number | null, now: Date): number | null {
  if (year === null) return null;
  return year >= 1000 && year <= now.getUTCFullYear() + 5 ? year : null;
}

async function fetchBuilding(featureId: string, options: HttpOptions, now: Date): Promise<BagBuildingFacts | null> {
  const answer = await getJson(
    {
      register: REGISTER.bag,
      url: `${BAG_OGC_BASE}/collections/pand/items/${encodeURIComponent(featureId)}?f=json`,
      schema: BuildingFeatureSchema,
      notFoundStatuses: [404],
    },
    options,
  );
  if (answer === NOT_FOUND) return null;
  const p = answer.properties;
  return { id: p.identificatie, buildYear: plausibleYear(p.bouwjaar, now), status: p.status };
}

/**
 * A unit and the panden it lies in, or null when BAG has no such unit.
 * @throws RegisterError when BAG cannot be reached or answers in an unexpected shape.
 */
export async function fetchUnit(
  unitId: string,
  options: HttpOptions = {},
  now: Date = new Date(),
): Promise<{ unit: BagUnitFacts; buildings: BagBuildingFacts[] } | null> {
  const kind = unitKind(unitId);
  if (kind === null || unitId === "0000000000000000") return null;
  const params = new URLSearchParams({ f: "json", identificatie: unitId, limit: "10" });
  const answer = await getJson(
    { register: REGISTER.bag, url: `${BAG_OGC_BASE}/collections/${kind}/items?${params}`, schema: UnitCollectionSchema },
    options,
  );
  if (answer === NOT_FOUND) return null;
  const feature = answer.features.find((f) => f.properties.identificatie === unitId);
  if (!feature) return null;
  const parsed = UnitPropertiesSchema.safeParse(feature.properties);
  if (!parsed.success) {
    // Not a miss: caching it as one would hide the unit for a month.
    log("warn", "register_failed", {
      register: REGISTER.bag,
      reason: "shape",
      paths: parsed.error.issues.map((i) => i.path.join(".")).join(", "),
    });
    throw new RegisterError(REGISTER.bag, `${REGISTER_NAMES[REGISTER.bag]} answered in an unexpected format; try again later.`);
  }
  const p = parsed.data;
  const hrefs = p["pand.href"] ?? [];
  const featureIds = [...new Set(hrefs.map(buildingFeatureId).filter((id): id is string => id !== null))];
  if (featureIds.length < hrefs.length) log("warn", "bag_pand_href_ignored", { ignored: hrefs.length - featureIds.length });
  const buildings = (await Promise.all(featureIds.slice(0, MAX_BUILDINGS).map((id) => fetchBuilding(id, options, now)))).filter(
    (b): b is BagBuildingFacts => b !== null,
  );
  const main = p.hoofdadres_identificatie;
  return {
    unit: {
      id: p.identificatie,
      kind,
      status: p.status,
      usePurposes: splitPurposes(p.gebruiksdoel),
      inResearch: null,
      surfaceM2: p.oppervlakte !== null && p.oppervlakte >= 1 ? p.oppervlakte : null,
      mainAddressId: typeof main === "string" && NUMMERAANDUIDING_RE.test(main) ? main : null,
    },
    buildings: [...new Map(buildings.map((b) => [b.id, b])).values()],
  };
}

import { z } from "zod";
import { log } from "../../log";
import { RegisterError } from "../types";
import { CBS_ODATA_BASE, resolveColumns } from "./cbs-properties";
import { getJson, type HttpOptions, NOT_FOUND } from "./http";
import { type Attribution, cbsAttribution, REGISTER, REGISTER_NAMES } from "./registers";

/**
 * CBS Kerncijfers wijken en buurten (KWB), OData v3: one `TypedDataSet` row per buurt for the
 * measures, and the `WijkenEnBuurten` dimension for the buurt's and wijk's names (the data rows
 * carry codes only). Region codes and names come back space-padded, so they are trimmed.
 *
 * Units as CBS publishes them: average WOZ in ×1000 EUR (kept so, as `avgWozThousands`),
 * distances in km, shares in %. A measure CBS does not publish (null) stays null, never 0.
 */

export { CBS_ODATA_BASE };

/** The measures of a KWB table that the `Neighbourhood` record holds. */
interface KwbColumns {
  inhabitants: string;
  households: string;
  avgHouseholdSize: string;
  avgWozThousands: string;
  dwellings: string;
  pctOwnerOccupied: string;
  distGp: string;
  distSupermarket: string;
  distSchool: string;
}

/**
 * The measures by the stable part of their v3 key. CBS suffixes every key with its position in
 * the table (`GemiddeldeWOZWaardeVanWoningen_39` in 2024, `_36` in 2023), so the full keys are
 * resolved from the table's `DataProperties` at run time (cbs-properties.ts) and another year's
 * table needs only the `CBS_KWB_TABLE` setting.
 * Not KWB measures, so always null from this source: distance to a station (CBS publishes it
 * in the separate nabijheid table), the share built before 1945 (KWB only splits at 2000),
 * crime, liveability, flood depth, soil and foundation risk.
 */
export const KWB_COLUMNS = {
  inhabitants: "AantalInwoners",
  households: "HuishoudensTotaal",
  avgHouseholdSize: "GemiddeldeHuishoudensgrootte",
  avgWozThousands: "GemiddeldeWOZWaardeVanWoningen",
  dwellings: "Woningvoorraad",
  pctOwnerOccupied: "Koopwoningen",
  distGp: "AfstandTotHuisartsenpraktijk",
  distSupermarket: "AfstandTotGroteSupermarkt",
  distSchool: "AfstandTotSchool",
} as const satisfies KwbColumns;

/** The KWB editions by table id (CBS StatLine), with the year each describes. */
export const KWB_TABLES = {
  "86165NED": { year: 2025 },
  "85984NED": { year: 2024 },
  "85618NED": { year: 2023 },
  "85318NED": { year: 2022 },
  "85039NED": { year: 2021 },
} as const satisfies Record<string, { year: number }>;
export type KwbTableId = keyof typeof KWB_TABLES;
export const DEFAULT_KWB_TABLE: KwbTableId = "85984NED";

export function isKwbTable(id: string): id is KwbTableId {
  return Object.hasOwn(KWB_TABLES, id);
}

export function kwbAttribution(tableId: KwbTableId = DEFAULT_KWB_TABLE): Attribution {
  return cbsAttribution(tableId, KWB_TABLES[tableId].year);
}

/** A CBS buurt (neighbourhood) code: `BU`, the municipality's four digits, then the wijk's and the buurt's two characters. */
export const BUURT_CODE_RE = /^BU[0-9]{4}[0-9A-Z]{4}$/;

/** A buurt's KWB figures mapped to our names, before they are cached. */
export interface CbsNeighbourhoodFacts {
  code: string;
  /** The buurt's name from the dimension; null when CBS did not give it. */
  name: string | null;
  districtCode: string;
  districtName: string | null;
  municipalityCode: string;
  municipalityName: string | null;
  tableId: KwbTableId;
  datasetYear: number;
  inhabitants: number | null;
  households: number | null;
  avgHouseholdSize: number | null;
  /** ×1000 EUR, as published. */
  avgWozThousands: number | null;
  /** The buurt's dwellings (`Woningvoorraad`). */
  dwellings: number | null;
  /** The municipality's average WOZ from the same table (its GM row), ×1000 EUR; null when the row or figure is absent. */
  municipalityAvgWozThousands: number | null;
  pctOwnerOccupied: number | null;
  distGpKm: number | null;
  distSupermarketKm: number | null;
  distSchoolKm: number | null;
}

const trimmed = z.string().transform((s) => s.trim());
const measure = z
  .number()
  .nullish()
  .transform((v) => (typeof v === "number" && Number.isFinite(v) ? v : null));

const DataSetSchema = z.object({ value: z.array(z.record(z.string(), z.unknown())) });
const DimensionSchema = z.object({ value: z.array(z.object({ Key: trimmed, Title: trimmed })) });

const RowSchema = z.object({ WijkenEnBuurten: trimmed, Gemeentenaam_1: trimmed.nullish() });

/** Every pinned measure must be a number or null; an absent key is null too. */
function measuresSchema(columns: KwbColumns) {
  return z.record(z.string(), z.unknown()).pipe(z.object(Object.fromEntries(Object.values(columns).map((key) => [key, measure]))));
}

function odataUrl(tableId: string, path: string, filter: string): string {
  // CBS accepts `$`-parameters literally; URLSearchParams would encode the `$` too.
  return `${CBS_ODATA_BASE}/${tableId}/${path}?$filter=${encodeURIComponent(filter)}&$format=json`;
}

/**
 * A buurt's figures from a pinned KWB table, or null when the table has no row for the code
 * (e.g. a buurt created after that year's edition).
 * @throws RegisterError when CBS cannot be reached or answers in an unexpected shape.
 */
export async function fetchNeighbourhood(
  code: string,
  options: HttpOptions = {},
  tableId: KwbTableId = DEFAULT_KWB_TABLE,
): Promise<CbsNeighbourhoodFacts | null> {
  if (!BUURT_CODE_RE.test(code)) return null;
  const table = KWB_TABLES[tableId];
  // The rows' filters need no column key: the columns and the three requests go out together.
  const columnsRequest: Promise<KwbColumns> = resolveColumns(tableId, KWB_COLUMNS, options);
  const districtCode = `WK${code.slice(2, 8)}`;
  const municipalityCode = `GM${code.slice(2, 6)}`;
  const dataRequest = getJson(
    { register: REGISTER.cbs, url: odataUrl(tableId, "TypedDataSet", `WijkenEnBuurten eq '${code}'`), schema: DataSetSchema },
    options,
  );
  // startswith, because dimension keys are space-padded; a full BU or WK code is a prefix of no other key.
  const namesRequest = getJson(
    {
      register: REGISTER.cbs,
      url: odataUrl(tableId, "WijkenEnBuurten", `startswith(Key,'${code}') or startswith(Key,'${districtCode}')`),
      schema: DimensionSchema,
    },
    options,
  );
  // The municipality's row of the same table, for the neighbourhood factor of the value (the
  // buurt's average WOZ against the municipality's, one table and year). Region keys are
  // space-padded too, so startswith; a full GM code is a prefix of no other key.
  const gemeenteRequest = getJson(
    {
      register: REGISTER.cbs,
      url: odataUrl(tableId, "TypedDataSet", `startswith(WijkenEnBuurten,'${municipalityCode}')`),
      schema: DataSetSchema,
    },
    options,
  );
  // Settled together, so a failure is reported only once every request has finished (none still
  // retrying behind it); the first failure in this order is the one thrown.
  for (const result of await Promise.allSettled([columnsRequest, dataRequest, namesRequest, gemeenteRequest]))
    if (result.status === "rejected") throw result.reason;
  const columns = await columnsRequest;
  const data = await dataRequest;
  const names = await namesRequest;
  const gemeente = await gemeenteRequest;
  if (data === NOT_FOUND) return null;
  const raw = data.value.find((r) => typeof r.WijkenEnBuurten === "string" && r.WijkenEnBuurten.trim() === code);
  if (!raw) return null;
  const row = RowSchema.safeParse(raw);
  const measures = measuresSchema(columns).safeParse(raw);
  if (!row.success || !measures.success) {
    // A changed table, not a missing buurt: caching it as a miss would hide the buurt for months.
    const issues = [...(row.error?.issues ?? []), ...(measures.error?.issues ?? [])];
    log("warn", "register_failed", { register: REGISTER.cbs, reason: "shape", paths: issues.map((i) => i.path.join(".")).join(", ") });
    throw new RegisterError(REGISTER.cbs, `${REGISTER_NAMES[REGISTER.cbs]} answered in an unexpected format; try again later.`);
  }
  const values: Record<string, unknown> = measures.data;
  const get = (key: string): number | null => {
    const v = values[key];
    return typeof v === "number" ? v : null;
  };
  const count = (key: string): number | null => {
    const v = get(key);
    return v !== null && Number.isInteger(v) ? v : null;
  };
  const gmRow =
    gemeente === NOT_FOUND
      ? undefined
      : gemeente.value.find((r) => typeof r.WijkenEnBuurten === "string" && r.WijkenEnBuurten.trim() === municipalityCode);
  const gmWoz = gmRow?.[columns.avgWozThousands];
  const titles = new Map(names === NOT_FOUND ? [] : names.value.map((d) => [d.Key, d.Title] as const));
  const c = columns;
  return {
    code,
    name: titles.get(code) || null,
    districtCode,
    districtName: titles.get(districtCode) || null,
    municipalityCode,
    municipalityName: row.data.Gemeentenaam_1 || null,
    tableId,
    datasetYear: table.year,
    inhabitants: count(c.inhabitants),
    households: count(c.households),
    avgHouseholdSize: get(c.avgHouseholdSize),
    avgWozThousands: get(c.avgWozThousands),
    dwellings: count(c.dwellings),
    municipalityAvgWozThousands: typeof gmWoz === "number" && Number.isFinite(gmWoz) && gmWoz > 0 ? gmWoz : null,
    pctOwnerOccupied: get(c.pctOwnerOccupied),
    distGpKm: get(c.distGp),
    distSupermarketKm: get(c.distSupermarket),
    distSchoolKm: get(c.distSchool),
  };
}

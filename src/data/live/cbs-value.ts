import { z } from "zod";
import type { ValueBasis } from "../../domain/records";
import { CBS_ODATA_BASE, resolveColumns } from "./cbs-properties";
import { getJson, type HttpOptions, NOT_FOUND } from "./http";
import { REGISTER } from "./registers";

/**
 * The national value basis of a quick assessment in live mode: a gemeente's average WOZ value
 * per m² of dwellings, from three public CBS StatLine tables (OData v3, CC BY 4.0):
 *
 * - WOZ: `85036NED` "Gemiddelde WOZ-waarde van woningen; eigendom, regio" — `RegioS` (GMxxxx),
 *   `Perioden` (`2024JJ00`), `Eigendom` (`T001132` = all dwellings), measure
 *   `GemiddeldeWOZWaardeVanWoningen_1` in ×1000 EUR. The value of WOZ year T is valued at
 *   1 January of year T−1 (the waardepeildatum).
 * - Area: `85035NED` "Woningvoorraad; woningtype op 1 januari, regio" — `RegioS`, `Perioden`,
 *   `Woningkenmerk` (`T001727` = all dwellings), `Woningtype` (a `T00…` key is the total),
 *   measure `GemiddeldeOppervlakte_2` in m² (usable area).
 * - Price index: `85773NED` "Bestaande koopwoningen; verkoopprijzen, prijsindex 2020=100" —
 *   `Perioden` (`2025MM05` monthly, `2024JJ00` yearly), measure `PrijsindexVerkoopprijzen_1`.
 *   The factor is the newest monthly index over the index of January of the WOZ reference year.
 *
 * Column keys are resolved by their stable part from `DataProperties` (cbs-properties.ts).
 */

export interface ValueTables {
  woz: string;
  surface: string;
  priceIndex: string;
}

export const DEFAULT_VALUE_TABLES: ValueTables = { woz: "85036NED", surface: "85035NED", priceIndex: "85773NED" };

/** `Eigendom` key of "Totaal" in 85036NED. */
export const WOZ_ALL_DWELLINGS = "T001132";
/** `Woningkenmerk` key of "Totaal woningen" in 85035NED. */
export const STOCK_ALL_DWELLINGS = "T001727";

const MUNICIPALITY_RE = /^GM\d{4}$/;

const RowsSchema = z.object({ value: z.array(z.record(z.string(), z.unknown())) });

function url(tableId: string, filter: string | null): string {
  // CBS accepts `$`-parameters literally; URLSearchParams would encode the `$` too.
  return `${CBS_ODATA_BASE}/${tableId}/TypedDataSet?${filter === null ? "" : `$filter=${encodeURIComponent(filter)}&`}$format=json`;
}

async function rows(tableId: string, filter: string | null, options: HttpOptions): Promise<Array<Record<string, unknown>>> {
  const answer = await getJson({ register: REGISTER.cbs, url: url(tableId, filter), schema: RowsSchema }, options);
  return answer === NOT_FOUND ? [] : answer.value;
}

const text = (v: unknown): string => (typeof v === "string" ? v.trim() : "");
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
/** `2024JJ00` → 2024; anything else → null. */
const yearOf = (period: string): number | null => (/^\d{4}JJ00$/.test(period) ? Number(period.slice(0, 4)) : null);

/** The newest yearly row (by `Perioden`) with a number in `column`, for `code`. */
function newestYear(all: Array<Record<string, unknown>>, code: string, column: string, keep: (r: Record<string, unknown>) => boolean) {
  let best: { year: number; value: number } | null = null;
  for (const r of all) {
    if (text(r.RegioS) !== code || !keep(r)) continue;
    const year = yearOf(text(r.Perioden));
    const value = num(r[column]);
    if (year === null || value === null || value <= 0) continue;
    if (!best || year > best.year) best = { year, value };
  }
  return best;
}

/**
 * The price-index factor from the January of `fromYear` to the newest published month:
 * null when either month is missing.
 */
export function indexFactor(all: Array<Record<string, unknown>>, column: string, fromYear: number) {
  const monthly = all
    .map((r) => ({ period: text(r.Perioden), value: num(r[column]) }))
    .filter((r): r is { period: string; value: number } => /^\d{4}MM\d{2}$/.test(r.period) && r.value !== null && r.value > 0)
    .sort((a, b) => a.period.localeCompare(b.period));
  const base = monthly.find((r) => r.period === `${fromYear}MM01`);
  const latest = monthly.at(-1);
  if (!base || !latest) return null;
  return { basePeriod: base.period, period: latest.period, factor: Math.round((latest.value / base.value) * 1000) / 1000 };
}

/**
 * The gemeente's value basis, or null when CBS publishes no WOZ or no area for it (e.g. a
 * gemeente created after the newest edition). Without a price index the basis is unindexed
 * (`priceIndex: null`), which the assessment states.
 * @throws RegisterError when CBS cannot be reached or a table lacks its columns.
 */
export async function fetchValueBasis(
  municipalityCode: string,
  options: HttpOptions = {},
  tables: ValueTables = DEFAULT_VALUE_TABLES,
): Promise<ValueBasis | null> {
  if (!MUNICIPALITY_RE.test(municipalityCode)) return null;
  // startswith, because region keys may be space-padded; a full GM code is a prefix of no other key.
  const region = `startswith(RegioS,'${municipalityCode}')`;
  // The rows' filters need no column key, so the six requests go out together (one round trip),
  // and settle together: a failure is reported once none is still under way, the first in this order.
  const settled = await Promise.allSettled([
    resolveColumns(tables.woz, { avgWoz: "GemiddeldeWOZWaardeVanWoningen" }, options),
    resolveColumns(tables.surface, { avgSurface: "GemiddeldeOppervlakte" }, options),
    resolveColumns(tables.priceIndex, { index: "PrijsindexVerkoopprijzen" }, options),
    rows(tables.woz, `${region} and Eigendom eq '${WOZ_ALL_DWELLINGS}'`, options),
    rows(tables.surface, `${region} and Woningkenmerk eq '${STOCK_ALL_DWELLINGS}'`, options),
    rows(tables.priceIndex, "substringof('MM',Perioden)", options),
  ] as const);
  for (const result of settled) if (result.status === "rejected") throw result.reason;
  const value = <T>(result: PromiseSettledResult<T>): T => (result as PromiseFulfilledResult<T>).value;
  const [wozCols, surfaceCols, indexCols] = [value(settled[0]), value(settled[1]), value(settled[2])];
  const [wozRows, surfaceRows, indexRows] = [value(settled[3]), value(settled[4]), value(settled[5])];
  const woz = newestYear(wozRows, municipalityCode, wozCols.avgWoz, (r) => text(r.Eigendom) === WOZ_ALL_DWELLINGS);
  const surface = newestYear(surfaceRows, municipalityCode, surfaceCols.avgSurface, (r) => text(r.Woningtype).startsWith("T00"));
  if (!woz || !surface) return null;
  const referenceYear = woz.year - 1;
  const index = indexFactor(indexRows, indexCols.index, referenceYear);
  const unindexed = (woz.value * 1000) / surface.value;
  const eurPerM2 = Math.round(unindexed * (index?.factor ?? 1));
  return {
    source: "CBS StatLine",
    synthetic: false,
    level: "gemeente",
    regionCode: municipalityCode,
    eurPerM2,
    woz: { table: tables.woz, column: wozCols.avgWoz, period: `${woz.year}JJ00`, avgEur: Math.round(woz.value * 1000) },
    referenceDate: `${referenceYear}-01-01`,
    surface: { table: tables.surface, column: surfaceCols.avgSurface, period: `${surface.year}JJ00`, avgM2: surface.value },
    priceIndex: index ? { table: tables.priceIndex, column: indexCols.index, ...index } : null,
  };
}

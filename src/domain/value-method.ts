import { z } from "zod";
import type { Neighbourhood } from "./records";

/**
 * The factors of the indicative value (quick-assess/3): the per-m² basis of the municipality (live:
 * CBS average WOZ ÷ average usable area, price-indexed; synthetic: the seeded COROP table) ×
 * registered usable area × a neighbourhood factor × a size factor × a label factor.
 * Pure. Every figure below is a documented rule of this method (docs/value-method.md); a change
 * to any of them bumps ENGINE_VERSION in assessment.ts.
 *
 * Source notes for the figures:
 * - NEIGHBOURHOOD: the buurt's average WOZ ÷ the municipality's average WOZ, both from the same
 *   CBS Kerncijfers wijken en buurten (KWB) table and year (the buurt row and the GM row, measure
 *   `GemiddeldeWOZWaardeVanWoningen`, ×1000 EUR). Shrunk toward 1 in log space with weight
 *   n / (n + SHRINK_DWELLINGS), n = the buurt's dwellings (KWB `Woningvoorraad`), then capped.
 *   SHRINK_DWELLINGS and the cap are assumptions of this method, not published figures: a buurt
 *   of 100 dwellings counts half; the cap keeps a buurt average that is dominated by a few very
 *   large or very small dwellings from more than halving or adding half to the municipality basis.
 * - SIZE: value ∝ area^β, so value per m² ∝ (area ÷ reference area)^(β − 1). β = 0.75 is an
 *   assumption stated with its reasoning in docs/value-method.md: log-log hedonic models of Dutch
 *   transactions find a floor-area elasticity below 1 (price per m² falls as dwellings grow; Visser
 *   & Van Dam, "De prijs van de plek", RPB 2006, analyse price per m² for this reason), but no
 *   published Dutch elasticity could be confirmed from the sources at hand, so the figure is ours.
 *   The reference area is the municipality's average usable area (CBS 85035NED, the same figure
 *   that divides the WOZ in the basis); without it (the seeded COROP table) the national average
 *   usable area, 120 m² on 1 January 2022 (CBS 82550NED "Voorraad woningen; gemiddeld oppervlak",
 *   Nederland, totaal).
 * - LABEL: 2 % per A–G class step relative to C (C vs G about +7.9 %, Brainbay; a better label
 *   about +4 %, Calcasa WOX 2025-Q1), as in quick-assess/2.
 * - BAND: the value midpoint ÷ (buurt average WOZ × price index) is expected within 0.5–2.0: the
 *   size factor alone moves a dwelling of 2.5 × the reference area to about 2.0 and one of 0.4 ×
 *   to about 0.5, so a result outside says the dwelling is unlike the buurt's average one.
 */

export const NEIGHBOURHOOD_RULES = { shrinkDwellings: 100, min: 0.67, max: 1.5 } as const;
export const SIZE_RULES = {
  elasticity: 0.75,
  min: 0.75,
  max: 1.25,
  nationalReferenceM2: 120,
  nationalReferenceSource: "CBS 82550NED (Voorraad woningen; gemiddeld oppervlak), Nederland",
  nationalReferencePeriod: "2022-01-01",
} as const;
export const LABEL_STEP_PCT = 2;
export const NEIGHBOURHOOD_BAND = { low: 0.5, high: 2 } as const;

export const ValueFactorSchema = z.object({
  name: z.enum(["neighbourhood", "size", "energy-label"]),
  value: z.number().describe("Multiplier applied to the value (1 = no effect)."),
  applied: z.boolean().describe("False when the factor could not be worked out and 1 was used."),
  source: z.string(),
  period: z.string().nullable(),
  note: z.string(),
});
export type ValueFactor = z.infer<typeof ValueFactorSchema>;

const round3 = (x: number) => Math.round(x * 1000) / 1000;
/** A factor kept within its rule's bounds: the value (rounded) and whether the bounds cut it. */
function bounded(raw: number, rule: { min: number; max: number }): { value: number; capped: boolean } {
  return { value: round3(Math.min(rule.max, Math.max(rule.min, raw))), capped: raw < rule.min || raw > rule.max };
}
const thousands = (eur: number) => `€${Math.round(eur / 1000).toLocaleString("en-GB")}k`;

export function neighbourhoodSource(n: Neighbourhood): string {
  return n.source.synthetic
    ? "synthetic neighbourhood statistics (shaped like CBS Kerncijfers wijken en buurten)"
    : `CBS Kerncijfers wijken en buurten (${n.source.register}) ${n.datasetYear}, average WOZ of dwellings, buurt and gemeente rows`;
}

/** The buurt factor: its average WOZ against its municipality's (same KWB table), shrunk for small buurten and capped. */
export function neighbourhoodFactor(n: Neighbourhood | null): ValueFactor & { raw: number | null; weight: number; capped: boolean } {
  const none = (source: string, period: string | null, note: string) => ({
    name: "neighbourhood" as const,
    value: 1,
    applied: false,
    source,
    period,
    note,
    raw: null,
    weight: 0,
    capped: false,
  });
  if (!n) return none("none", null, "No neighbourhood statistics for this address: no neighbourhood adjustment (factor 1).");
  const source = neighbourhoodSource(n);
  const period = String(n.datasetYear);
  if (n.avgWozThousands === null || !(n.avgWozThousands > 0))
    return none(source, period, "The buurt's average WOZ is not published: no neighbourhood adjustment (factor 1).");
  if (n.municipalityAvgWozThousands === null || !(n.municipalityAvgWozThousands > 0))
    return none(
      source,
      period,
      "The municipality's average WOZ from the same table is not available: no neighbourhood adjustment (factor 1).",
    );
  const count = n.dwellings ?? n.households;
  const countWord = n.dwellings !== null ? "dwellings" : "households (dwellings not published)";
  if (count === null || !(count > 0))
    return none(source, period, "The number of dwellings in the buurt is not published, so its average is not relied on (factor 1).");
  const raw = n.avgWozThousands / n.municipalityAvgWozThousands;
  const weight = count / (count + NEIGHBOURHOOD_RULES.shrinkDwellings);
  const shrunk = raw ** weight;
  const { value, capped } = bounded(shrunk, NEIGHBOURHOOD_RULES);
  return {
    name: "neighbourhood",
    value,
    applied: true,
    source,
    period,
    note:
      `Buurt ${n.name} average WOZ ${thousands(n.avgWozThousands * 1000)} against the municipality's ${thousands(n.municipalityAvgWozThousands * 1000)} (ratio ${round3(raw)}); ` +
      `weight ${round3(weight)} for ${count.toLocaleString("en-GB")} ${countWord} (shrunk toward 1 as n ÷ (n + ${NEIGHBOURHOOD_RULES.shrinkDwellings}))` +
      (capped ? `; capped at ${value} (allowed ${NEIGHBOURHOOD_RULES.min}–${NEIGHBOURHOOD_RULES.max})` : "") +
      ". The buurt average also reflects the size and type of its dwellings.",
    raw: round3(raw),
    weight: round3(weight),
    capped,
  };
}

export interface ReferenceArea {
  m2: number;
  source: string;
  period: string;
}

export const NATIONAL_REFERENCE_AREA: ReferenceArea = {
  m2: SIZE_RULES.nationalReferenceM2,
  source: SIZE_RULES.nationalReferenceSource,
  period: SIZE_RULES.nationalReferencePeriod,
};

/** The size factor on the value per m²: (area ÷ reference)^(β − 1), capped. */
export function sizeFactor(areaM2: number, reference: ReferenceArea): ValueFactor & { areaRatio: number; capped: boolean } {
  const areaRatio = areaM2 / reference.m2;
  const raw = areaRatio ** (SIZE_RULES.elasticity - 1);
  const { value, capped } = bounded(raw, SIZE_RULES);
  return {
    name: "size",
    value,
    applied: true,
    source: `${reference.source} (reference area); elasticity ${SIZE_RULES.elasticity} (assumption of this method, docs/value-method.md)`,
    period: reference.period,
    note:
      `${areaM2} m² against a reference of ${reference.m2} m²: value per m² × (${areaM2} ÷ ${reference.m2})^(${SIZE_RULES.elasticity} − 1) = ${value}` +
      (capped ? ` (capped, allowed ${SIZE_RULES.min}–${SIZE_RULES.max})` : "") +
      "; larger dwellings fetch less per m².",
    areaRatio: round3(areaRatio),
    capped,
  };
}

/** The midpoint against the buurt's own average WOZ (indexed like the basis), with a reason when outside the band. */
export function neighbourhoodCheck(
  mid: number,
  n: Neighbourhood | null,
  priceIndexFactor: number,
  context: { areaM2: number; reference: ReferenceArea; dwellingType: string | null; buurtCapped: boolean },
): { ratio: number | null; band: [number, number]; withinBand: boolean | null; reason: string | null } {
  const band: [number, number] = [NEIGHBOURHOOD_BAND.low, NEIGHBOURHOOD_BAND.high];
  if (!n || n.avgWozThousands === null || !(n.avgWozThousands > 0))
    return { ratio: null, band, withinBand: null, reason: "No buurt average WOZ to compare the value with." };
  const reference = n.avgWozThousands * 1000 * priceIndexFactor;
  const ratio = round3(mid / reference);
  if (ratio >= band[0] && ratio <= band[1]) return { ratio, band, withinBand: true, reason: null };
  const high = ratio > band[1];
  const type = context.dwellingType ? ` (${context.dwellingType})` : "";
  const areaRatio = context.areaM2 / context.reference.m2;
  let why: string;
  if (high && areaRatio > 1.5) why = `a large dwelling${type}: ${context.areaM2} m² against an average of ${context.reference.m2} m²`;
  else if (!high && areaRatio < 0.67)
    why = `a small dwelling${type}: ${context.areaM2} m² against an average of ${context.reference.m2} m²`;
  else if (context.buurtCapped) why = "the buurt's average WOZ is far from the municipality's, and the neighbourhood factor was capped";
  else why = "the buurt's average WOZ reflects dwellings of other sizes and types than this one";
  return {
    ratio,
    band,
    withinBand: false,
    reason: `Far from the neighbourhood average: the midpoint is ${ratio} × the buurt's average WOZ (${thousands(reference)}${priceIndexFactor !== 1 ? ", indexed" : ""}), outside ${band[0]}–${band[1]}; ${why}.`,
  };
}

import { z } from "zod";
import { expectedLabelForBuildYear, isLabelClass, type LabelClass, labelRank, labelValidity, yearsBetween } from "./energy-label";
import {
  type Address,
  type EnergyLabel,
  type Municipality,
  type Neighbourhood,
  type Unit,
  type ValueBasis,
  ValueBasisSchema,
} from "./records";

/**
 * The quick assessment: register checks, an indicative value range, the energy label and its
 * effect, build-year risks and location flags, with the data that was missing listed explicitly.
 * Pure and deterministic for given inputs and `now`. The rules are versioned: a change to any
 * threshold or factor bumps ENGINE_VERSION.
 */
export const ENGINE_VERSION = "quick-assess/2.0.0";

export const DISCLAIMER =
  "This is an indicative quick assessment from register data, not an appraisal (taxatie). It is no basis for a mortgage or a purchase decision; a mortgage needs a validated taxatie by a registered appraiser.";

/** Value range half-widths: complete data vs missing or uncertain inputs. */
export const RANGE_COMPLETE = 0.15;
export const RANGE_INCOMPLETE = 0.2;
/** Label effect per A–G step, relative to C (C vs G ≈ +7.9 %, Brainbay; better label ≈ +4 %, Calcasa). */
export const LABEL_STEP_PCT = 2;
const LABEL_REFERENCE_RANK = 2; // C

const Severity = z.enum(["info", "attention", "high"]);
export const RiskSchema = z.object({
  rule: z.string(),
  severity: Severity,
  evidence: z.string(),
  source: z.string(),
});
export type Risk = z.infer<typeof RiskSchema>;

export const AssessmentResultSchema = z.object({
  engineVersion: z.string(),
  assessedAt: z.string(),
  address: z.object({ addressId: z.string().describe("BAG address (nummeraanduiding) id."), label: z.string() }),
  registerChecks: z.array(RiskSchema),
  value: z
    .object({
      currency: z.literal("EUR"),
      low: z.number(),
      mid: z.number(),
      high: z.number(),
      rangePct: z.number(),
      confidence: z.enum(["B", "C"]),
      basis: z.object({
        method: z.string(),
        eurPerM2: z.number(),
        eurPerM2Source: z.string(),
        surfaceM2: z.number(),
        labelAdjustmentPct: z.number(),
        labelAdjustmentBasis: z.string(),
        valueBasis: ValueBasisSchema.describe(
          "Where the value per m² comes from: source, table, level (gemeente, buurt or corop), WOZ reference date and the price-index correction applied (null: none).",
        ),
      }),
    })
    .nullable(),
  valueUnavailableReason: z.string().nullable(),
  energy: z.object({
    label: z.string().nullable(),
    status: z.enum(["valid", "expired", "none"]),
    method: z.string().nullable(),
    ep2KwhM2: z.number().nullable(),
    energyIndex: z.number().nullable(),
    validUntil: z.string().nullable(),
    ageYears: z.number().nullable(),
    substituteLabelForBuildYear: z
      .string()
      .nullable()
      .describe(
        "The WWS substitute label by build year: the label the rent points system (woningwaarderingsstelsel) uses when a dwelling has no label. A statutory stand-in, not a prediction of this dwelling's label.",
      ),
  }),
  buildYear: z.number().nullable(),
  risks: z.array(RiskSchema),
  locationFlags: z.array(RiskSchema),
  neighbourhoodContext: z.object({ code: z.string(), name: z.string(), avgWozEur: z.number().nullable(), note: z.string() }).nullable(),
  dataGaps: z.array(z.string()),
  disclaimer: z.string(),
});
export type AssessmentResult = z.infer<typeof AssessmentResultSchema>;

export interface AssessmentInputs {
  address: Address;
  addressLabel: string;
  unit: Unit | null;
  labels: EnergyLabel[];
  neighbourhood: Neighbourhood | null;
  municipality: Municipality | null;
  now: Date;
}

/** Rounds to whole thousands of euros. */
const k = (value: number) => Math.round(value / 1000) * 1000;

export function buildYearOf(unit: Unit | null): number | null {
  const years = (unit?.buildings ?? []).map((b) => b.buildYear).filter((y): y is number => typeof y === "number");
  return years.length > 0 ? Math.min(...years) : null;
}

/** Step 1: is this a dwelling in use, as the register says? */
function registerChecks(unit: Unit | null): { checks: Risk[]; gaps: string[] } {
  const checks: Risk[] = [];
  const gaps: string[] = [];
  if (!unit) {
    gaps.push("No BAG unit (verblijfsobject) is registered for this address.");
    return { checks, gaps };
  }
  const src = `BAG (${unit.source.register})`;
  if (!/in gebruik/i.test(unit.status))
    checks.push({ rule: "bag.status", severity: "attention", evidence: `Unit status is "${unit.status}".`, source: src });
  if (!unit.usePurposes.includes("woonfunctie")) {
    checks.push({
      rule: "bag.not-residential",
      severity: "attention",
      evidence: `Use purposes are ${unit.usePurposes.join(", ") || "unknown"}; the value basis is for dwellings.`,
      source: src,
    });
  } else if (unit.usePurposes.length > 1) {
    checks.push({
      rule: "bag.mixed-use",
      severity: "info",
      evidence: `Mixed use: ${unit.usePurposes.join(", ")}; the registered area covers all of them.`,
      source: src,
    });
  }
  if (unit.buildings.length > 1)
    checks.push({
      rule: "bag.multiple-buildings",
      severity: "info",
      evidence: `The unit lies in ${unit.buildings.length} buildings (panden).`,
      source: src,
    });
  if (unit.inResearch)
    checks.push({
      rule: "bag.in-research",
      severity: "attention",
      evidence: "Some of the unit's register data is under investigation (in onderzoek).",
      source: src,
    });
  if (unit.kind !== "verblijfsobject")
    checks.push({
      rule: "bag.berth-or-pitch",
      severity: "attention",
      evidence: `This is a ${unit.kind}, not a building unit.`,
      source: src,
    });
  if (unit.surfaceM2 === null) gaps.push("The registered usable area (gebruiksoppervlakte) is missing.");
  // Live BAG (OGC API v2) does not publish "in onderzoek": unknown, so listed, never taken as "no".
  if (unit.inResearch === null) gaps.push("Whether the unit's register data is under investigation (in onderzoek) is not known.");
  if (buildYearOf(unit) === null) gaps.push("No build year is registered for the building.");
  return { checks, gaps };
}

/** Step 2: the energy label, its validity, and the WWS substitute label by build year (used in the rent points system when a dwelling has no label). */
function energySection(
  labels: EnergyLabel[],
  buildYear: number | null,
  now: Date,
): { energy: AssessmentResult["energy"]; gaps: string[]; risks: Risk[] } {
  const current = labels[0];
  const expected = buildYear !== null ? expectedLabelForBuildYear(buildYear) : null;
  const gaps: string[] = [];
  const risks: Risk[] = [];
  if (!current) {
    gaps.push(
      expected
        ? `No registered energy label. The WWS substitute label for its build year is ${expected} (used in the rent points system when a dwelling has no label; not a prediction of this dwelling's label).`
        : "No registered energy label.",
    );
    return {
      energy: {
        label: null,
        status: "none",
        method: null,
        ep2KwhM2: null,
        energyIndex: null,
        validUntil: null,
        ageYears: null,
        substituteLabelForBuildYear: expected,
      },
      gaps,
      risks,
    };
  }
  const status = labelValidity(current.validUntil, now);
  if (status === "expired") {
    gaps.push(`The registered label ${current.energyClass} expired on ${current.validUntil.slice(0, 10)}.`);
    risks.push({
      rule: "energy.label-expired",
      severity: "attention",
      evidence: `Label ${current.energyClass} expired on ${current.validUntil.slice(0, 10)}.`,
      source: `EP-Online (${current.source.register})`,
    });
  }
  return {
    energy: {
      label: current.energyClass,
      status,
      method: current.method,
      ep2KwhM2: current.ep2KwhM2,
      energyIndex: current.energyIndex,
      validUntil: current.validUntil,
      ageYears: yearsBetween(current.registeredAt, now),
      substituteLabelForBuildYear: expected,
    },
    gaps,
    risks,
  };
}

/** Label effect in percent: +2 % per A–G step better than C, −2 % per step worse (A +4 %, G −8 %). */
export function labelAdjustmentPct(label: LabelClass): number {
  return (LABEL_REFERENCE_RANK - labelRank(label)) * LABEL_STEP_PCT;
}

/**
 * The basis behind `municipality.wozPerM2`: the CBS chain the live source attached, or the seeded
 * COROP table (synthetic dataset), labelled as such.
 */
export function valueBasisOf(municipality: Municipality): ValueBasis {
  if (municipality.valueBasis) return municipality.valueBasis;
  const synthetic = municipality.source.synthetic;
  return {
    source: synthetic ? "synthetic dataset (seeded COROP table, WWS-like)" : municipality.source.register,
    synthetic,
    level: "corop",
    regionCode: municipality.coropName || municipality.code,
    eurPerM2: municipality.wozPerM2,
    woz: { table: "municipalities", column: "woz_per_m2", period: String(municipality.wozPerM2Year), avgEur: null },
    referenceDate: null,
    surface: null,
    priceIndex: null,
  };
}

function describeBasis(b: ValueBasis, municipality: Municipality): string {
  if (b.synthetic || !b.surface) {
    return `Average WOZ value per m², ${municipality.coropName || municipality.name} (${b.woz.period}), ${b.synthetic ? "synthetic dataset" : b.source}`;
  }
  const index = b.priceIndex
    ? `, indexed ×${b.priceIndex.factor} by CBS ${b.priceIndex.table} (${b.priceIndex.basePeriod} → ${b.priceIndex.period})`
    : ", not indexed (no price index available)";
  return `${b.source}: average WOZ value of dwellings in ${municipality.name} (${b.regionCode}), CBS ${b.woz.table} ${b.woz.period} (valued at ${b.referenceDate}), ÷ average usable area ${b.surface.avgM2} m² (CBS ${b.surface.table} ${b.surface.period})${index}`;
}

/**
 * Step 3: indicative value range = average WOZ per m² × area × label effect, ± 15 % or 20 %.
 * The per-m² basis is the gemeente's CBS average WOZ over its average dwelling area, indexed to
 * the newest month of the CBS price index (live mode), or the seeded COROP table (synthetic).
 */
function valueRange(
  unit: Unit | null,
  municipality: Municipality | null,
  energy: AssessmentResult["energy"],
): { value: AssessmentResult["value"]; reason: string | null } {
  if (!municipality || !(municipality.wozPerM2 > 0))
    return { value: null, reason: "No average value per m² is known for this municipality." };
  if (!unit || unit.surfaceM2 === null || unit.surfaceM2 <= 0)
    return { value: null, reason: "The usable area is unknown, so no value range can be given." };
  if (!unit.usePurposes.includes("woonfunctie"))
    return { value: null, reason: "The unit is not a dwelling; the per-m² basis applies to dwellings only." };
  const validLabel = energy.status === "valid" && energy.label && isLabelClass(energy.label) ? energy.label : null;
  const adjustment = validLabel ? labelAdjustmentPct(validLabel) : 0;
  const complete = validLabel !== null && !unit.inResearch && /in gebruik/i.test(unit.status);
  const rangePct = complete ? RANGE_COMPLETE : RANGE_INCOMPLETE;
  const basis = valueBasisOf(municipality);
  const mid = municipality.wozPerM2 * unit.surfaceM2 * (1 + adjustment / 100);
  return {
    value: {
      currency: "EUR",
      low: k(mid * (1 - rangePct)),
      mid: k(mid),
      high: k(mid * (1 + rangePct)),
      rangePct: rangePct * 100,
      confidence: complete ? "B" : "C",
      basis: {
        method: `${basis.level === "corop" ? "COROP" : basis.level === "gemeente" ? "Municipality" : "Neighbourhood"} average WOZ value per m²${basis.priceIndex ? " (price-indexed)" : ""} × registered usable area × energy label effect`,
        eurPerM2: municipality.wozPerM2,
        eurPerM2Source: describeBasis(basis, municipality),
        surfaceM2: unit.surfaceM2,
        labelAdjustmentPct: adjustment,
        labelAdjustmentBasis: validLabel
          ? `Label ${validLabel}: ${LABEL_STEP_PCT} % per class step relative to C (C vs G about +7.9 %, Brainbay; a better label about +4 %, Calcasa).`
          : "No valid registered label: no label effect applied, and the range is wider.",
        valueBasis: basis,
      },
    },
    reason: null,
  };
}

/** Step 4: risks that follow from the build year and the ground. */
function buildYearRisks(buildYear: number | null, neighbourhood: Neighbourhood | null): Risk[] {
  const risks: Risk[] = [];
  if (buildYear !== null && buildYear < 1994) {
    const peak = buildYear >= 1955 && buildYear <= 1975;
    risks.push({
      rule: "risk.asbestos",
      severity: peak ? "high" : "attention",
      evidence: peak
        ? `Built in ${buildYear}, in the 1955–1975 systeembouw era when asbestos use peaked.`
        : `Built in ${buildYear}, before the asbestos ban of 1 July 1993: asbestos is suspected (asbestverdacht).`,
      source: "BAG build year; asbestos ban 1993",
    });
  }
  if (buildYear !== null && buildYear < 1970 && neighbourhood) {
    const weakSoil = neighbourhood.soilType === "peat" || neighbourhood.soilType === "clay";
    if (weakSoil || neighbourhood.foundationRiskArea) {
      risks.push({
        rule: "risk.foundation",
        severity: "high",
        evidence: `Built in ${buildYear} (wooden piles were usual before 1970) ${neighbourhood.foundationRiskArea ? "in a foundation-problem area" : `on ${neighbourhood.soilType} soil`}.`,
        source: `BAG build year; ${neighbourhood.source.synthetic ? "synthetic" : neighbourhood.source.register} soil data (rvo.nl funderingsproblematiek)`,
      });
    }
  }
  if (neighbourhood?.floodDepthClass && neighbourhood.floodDepthClass !== "0") {
    const severity =
      neighbourhood.floodDepthClass === "50-200" || neighbourhood.floodDepthClass === ">200"
        ? "high"
        : neighbourhood.floodDepthClass === "20-50"
          ? "attention"
          : "info";
    risks.push({
      rule: "risk.flood",
      severity,
      evidence: `Maximum flood depth class in the neighbourhood: ${neighbourhood.floodDepthClass} cm.`,
      source: neighbourhood.source.synthetic ? "synthetic flood class (LIWO-like)" : neighbourhood.source.register,
    });
  }
  return risks;
}

/** Step 5: what stands out about the neighbourhood (context, never a fact about the house). */
export function locationFlags(neighbourhood: Neighbourhood | null): Risk[] {
  if (!neighbourhood) return [];
  const flags: Risk[] = [];
  const src = neighbourhood.source.synthetic
    ? "synthetic neighbourhood statistics (CBS-like)"
    : `${neighbourhood.source.register} ${neighbourhood.datasetYear}`;
  const { distancesKm: d } = neighbourhood;
  if (neighbourhood.liveabilityClass !== null && neighbourhood.liveabilityClass <= 3) {
    flags.push({
      rule: "location.liveability-low",
      severity: "attention",
      evidence: `Liveability class ${neighbourhood.liveabilityClass} of 9.`,
      source: src,
    });
  } else if (neighbourhood.liveabilityClass !== null && neighbourhood.liveabilityClass >= 8) {
    flags.push({
      rule: "location.liveability-high",
      severity: "info",
      evidence: `Liveability class ${neighbourhood.liveabilityClass} of 9.`,
      source: src,
    });
  }
  if (neighbourhood.crimePer1000 !== null && neighbourhood.crimePer1000 > 60) {
    flags.push({
      rule: "location.crime-high",
      severity: "attention",
      evidence: `${neighbourhood.crimePer1000} registered crimes per 1,000 inhabitants.`,
      source: src,
    });
  }
  if (d.station !== null && d.station > 5)
    flags.push({ rule: "location.station-far", severity: "info", evidence: `Nearest railway station ${d.station} km away.`, source: src });
  if (d.gp !== null && d.gp > 2)
    flags.push({ rule: "location.gp-far", severity: "info", evidence: `Nearest GP practice ${d.gp} km away.`, source: src });
  if (d.supermarket !== null && d.supermarket > 1.5)
    flags.push({
      rule: "location.supermarket-far",
      severity: "info",
      evidence: `Nearest supermarket ${d.supermarket} km away.`,
      source: src,
    });
  return flags;
}

/**
 * The quick assessment of one address from its register records: the one place its rules are
 * applied (data/assess-address.ts gathers the inputs for the tool and for portfolio jobs).
 */
export function assess(inputs: AssessmentInputs): AssessmentResult {
  const checks = registerChecks(inputs.unit);
  const buildYear = buildYearOf(inputs.unit);
  const energy = energySection(inputs.labels, buildYear, inputs.now);
  const value = valueRange(inputs.unit, inputs.municipality, energy.energy);
  return assemble(inputs, {
    checks,
    buildYear,
    energy,
    value,
    risks: buildYearRisks(buildYear, inputs.neighbourhood),
    flags: locationFlags(inputs.neighbourhood),
  });
}

function assemble(
  inputs: AssessmentInputs,
  parts: {
    checks: ReturnType<typeof registerChecks>;
    buildYear: number | null;
    energy: ReturnType<typeof energySection>;
    value: ReturnType<typeof valueRange>;
    risks: Risk[];
    flags: Risk[];
  },
): AssessmentResult {
  const n = inputs.neighbourhood;
  const gaps = [...parts.checks.gaps, ...parts.energy.gaps];
  if (!n) gaps.push("No neighbourhood statistics are available for this address.");
  if (parts.value.reason) gaps.push(parts.value.reason);
  return {
    engineVersion: ENGINE_VERSION,
    assessedAt: inputs.now.toISOString(),
    address: { addressId: inputs.address.id, label: inputs.addressLabel },
    registerChecks: parts.checks.checks,
    value: parts.value.value,
    valueUnavailableReason: parts.value.reason,
    energy: parts.energy.energy,
    buildYear: parts.buildYear,
    risks: [...parts.energy.risks, ...parts.risks],
    locationFlags: parts.flags,
    neighbourhoodContext: n
      ? {
          code: n.code,
          name: n.name,
          avgWozEur: n.avgWozThousands === null ? null : n.avgWozThousands * 1000,
          note: "Neighbourhood averages describe the area, not this property.",
        }
      : null,
    dataGaps: [...new Set(gaps)],
    disclaimer: DISCLAIMER,
  };
}

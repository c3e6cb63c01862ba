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
import {
  LABEL_STEP_PCT,
  NATIONAL_REFERENCE_AREA,
  neighbourhoodCheck,
  neighbourhoodFactor,
  neighbourhoodSource,
  type ReferenceArea,
  sizeFactor,
  type ValueFactor,
  ValueFactorSchema,
} from "./value-method";

export { LABEL_STEP_PCT };

/**
 * The quick assessment: register checks, an indicative value range, the energy label and its
 * effect, build-year risks and location flags, with the data that was missing listed explicitly.
 * Pure and deterministic for given inputs and `now`. The rules are versioned: a change to any
 * threshold or factor bumps ENGINE_VERSION.
 */
export const ENGINE_VERSION = "quick-assess/3.0.0";

export const DISCLAIMER =
  "This is an indicative quick assessment from register data, not an appraisal (taxatie). It is no basis for a mortgage or a purchase decision; a mortgage needs a validated taxatie by a registered appraiser.";

/** Value range half-widths: complete data vs missing or uncertain inputs. */
export const RANGE_COMPLETE = 0.15;
export const RANGE_INCOMPLETE = 0.2;
/** Label effect: LABEL_STEP_PCT per A–G step relative to C (value-method.ts). */
const LABEL_REFERENCE_RANK = 2; // C

/** "Midpoint" and "indication, not a valuation": said wherever a single value is shown. */
export const MIDPOINT_NOTE = "midpoint of an indicative range: an indication, not a valuation";

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
        assumedLabel: z
          .object({
            label: z.string(),
            basis: z.enum(["registered", "expired-registration", "wws-substitute", "reference-class"]),
            note: z.string(),
          })
          .optional()
          .describe("The label class the value assumed and why (quick-assess/3 and later)."),
      }),
      factors: z
        .array(ValueFactorSchema)
        .optional()
        .describe(
          "quick-assess/3 and later: every multiplier on basis × area (neighbourhood, size, energy label) with its source and period.",
        ),
      neighbourhoodCheck: z
        .object({
          ratio: z.number().nullable(),
          // [low, high] as a plain array: a tuple becomes prefixItems/items:false in JSON Schema,
          // which draft-07 validators (the MCP TypeScript SDK v1 client's Ajv) read as "no items".
          band: z.array(z.number()).length(2).describe("[low, high]: the band the ratio is expected in."),
          withinBand: z.boolean().nullable(),
          reason: z.string().nullable(),
        })
        .optional()
        .describe(
          "quick-assess/3 and later: the midpoint ÷ (the buurt's average WOZ × the basis' price index), the band it is expected in, and why not.",
        ),
    })
    .nullable(),
  valueUnavailableReason: z.string().nullable(),
  energy: z.object({
    label: z.string().nullable(),
    status: z.enum(["valid", "expired", "none", "unknown"]),
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
  /**
   * The facts whose register could not be asked (live data): "unit", "labels", "neighbourhood",
   * "valueBasis". A missing fact named here is unknown, not absent: the domain then says nothing
   * about its absence (the caller adds the register's own gap), an unknown label has the status
   * "unknown", and an unknown value basis gets its own reason.
   */
  unknown?: ReadonlySet<string>;
}

/** Why there is no value when the municipality's value basis is unknown (CBS could not be asked), not absent. */
export const VALUE_BASIS_UNKNOWN =
  "The value basis (average WOZ per m² of the municipality, CBS) is unknown: CBS could not be asked, so no value range can be given.";

/** Rounds to whole thousands of euros. */
const k = (value: number) => Math.round(value / 1000) * 1000;

export function buildYearOf(unit: Unit | null): number | null {
  const years = (unit?.buildings ?? []).map((b) => b.buildYear).filter((y): y is number => typeof y === "number");
  return years.length > 0 ? Math.min(...years) : null;
}

/** Step 1: is this a dwelling in use, as the register says? */
function registerChecks(unit: Unit | null, unitUnknown: boolean): { checks: Risk[]; gaps: string[] } {
  const checks: Risk[] = [];
  const gaps: string[] = [];
  if (!unit) {
    if (!unitUnknown) gaps.push("No BAG unit (verblijfsobject) is registered for this address.");
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

/** Whether the unit is a dwelling (has woonfunctie): the WWS substitute label and the value basis apply only then. */
export function isDwelling(unit: Unit | null): boolean {
  return unit?.usePurposes.includes("woonfunctie") ?? false;
}

/**
 * Step 2: the energy label, its validity, and for a dwelling the WWS substitute label by build
 * year (what the rent points system counts when a dwelling has no label; WWS covers dwellings only).
 */
function energySection(
  labels: EnergyLabel[],
  buildYear: number | null,
  unit: Unit | null,
  now: Date,
  labelsUnknown = false,
): { energy: AssessmentResult["energy"]; gaps: string[]; risks: Risk[] } {
  const current = labels[0];
  const expected = buildYear !== null && isDwelling(unit) ? expectedLabelForBuildYear(buildYear) : null;
  const gaps: string[] = [];
  const risks: Risk[] = [];
  if (!current) {
    // Unknown (the register could not be asked): the register's own gap, added by the caller, says
    // why, and nothing is claimed absent. None: no label is registered.
    if (!labelsUnknown)
      gaps.push(
        expected
          ? `No registered energy label. The WWS substitute label for its build year is ${expected} (what the rent points system counts when a dwelling has no label; not a prediction of this dwelling's label).`
          : "No registered energy label.",
      );
    return {
      energy: {
        label: null,
        status: labelsUnknown ? "unknown" : "none",
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

/**
 * The basis behind `municipality.wozPerM2`: the CBS chain the live source attached, or the seeded
 * table of average WOZ value per m² by COROP area (synthetic dataset), labelled as such.
 */
export function valueBasisOf(municipality: Municipality): ValueBasis {
  if (municipality.valueBasis) return municipality.valueBasis;
  const synthetic = municipality.source.synthetic;
  return {
    source: synthetic ? "synthetic dataset (seeded table of average WOZ value per m² by COROP area)" : municipality.source.register,
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
    return `Average WOZ value per m² of the COROP area ${municipality.coropName || municipality.name} (${b.woz.period}), ${b.synthetic ? "seeded table in the synthetic dataset" : b.source}`;
  }
  const index = b.priceIndex
    ? `, indexed ×${b.priceIndex.factor} by CBS ${b.priceIndex.table} (${b.priceIndex.basePeriod} → ${b.priceIndex.period})`
    : ", not indexed (no price index available)";
  return `${b.source}: average WOZ value of dwellings in ${municipality.name} (${b.regionCode}), CBS ${b.woz.table} ${b.woz.period} (valued at ${b.referenceDate}), ÷ average usable area ${b.surface.avgM2} m² (CBS ${b.surface.table} ${b.surface.period})${index}`;
}

/** The reference area of the size factor: the area that divides the basis' WOZ, else the national average. */
export function referenceAreaOf(b: ValueBasis): ReferenceArea {
  return b.surface
    ? {
        m2: b.surface.avgM2,
        source: `CBS ${b.surface.table}, average usable area of dwellings in ${b.regionCode}`,
        period: b.surface.period,
      }
    : NATIONAL_REFERENCE_AREA;
}

/**
 * The label the value assumes: a valid registered one; else an expired registration's class; else
 * for a dwelling with a build year the WWS substitute label (the same one the answer shows); else
 * the reference class C (no effect). Only a valid registered label gives the narrow range.
 */
export function assumedLabel(energy: AssessmentResult["energy"]): {
  label: LabelClass;
  basis: "registered" | "expired-registration" | "wws-substitute" | "reference-class";
  note: string;
} {
  const registered = energy.label !== null && isLabelClass(energy.label) ? energy.label : null;
  const substitute =
    energy.substituteLabelForBuildYear !== null && isLabelClass(energy.substituteLabelForBuildYear)
      ? energy.substituteLabelForBuildYear
      : null;
  if (registered && energy.status === "valid")
    return {
      label: registered,
      basis: "registered",
      note: `Registered label ${registered}, valid until ${energy.validUntil?.slice(0, 10)}.`,
    };
  if (registered)
    return {
      label: registered,
      basis: "expired-registration",
      note: `The registered label ${registered} expired on ${energy.validUntil?.slice(0, 10)}; no newer label is registered, so the value assumes ${registered} from that registration, with a wider range.`,
    };
  if (energy.status === "unknown") {
    const assumed = substitute ?? "C";
    return {
      label: assumed,
      basis: substitute ? "wws-substitute" : "reference-class",
      note: `The energy label is unknown (the register could not be asked); the value assumes ${substitute ? `the WWS substitute label for its build year, ${substitute}` : "the reference class C (no label effect)"}, with a wider range.`,
    };
  }
  if (substitute)
    return {
      label: substitute,
      basis: "wws-substitute",
      note: `No registered label; the value assumes the WWS substitute label for its build year, ${substitute} (the statutory stand-in, not a prediction of this dwelling's label), with a wider range.`,
    };
  return {
    label: "C",
    basis: "reference-class",
    note: "No registered label and no build year; the value assumes the reference class C (no label effect), with a wider range.",
  };
}

/** Label effect in percent: +2 % per A–G step better than C, −2 % per step worse (A +4 %, G −8 %). */
export function labelAdjustmentPct(label: LabelClass): number {
  return (LABEL_REFERENCE_RANK - labelRank(label)) * LABEL_STEP_PCT;
}

function labelFactor(assumed: ReturnType<typeof assumedLabel>, current: EnergyLabel | undefined): ValueFactor {
  const energySource = current ? `EP-Online (${current.source.register})` : "EP-Online";
  const pct = labelAdjustmentPct(assumed.label);
  return {
    name: "energy-label",
    value: 1 + pct / 100,
    applied: true,
    source:
      assumed.basis === "wws-substitute"
        ? "WWS substitute label by build year (Besluit huurprijzen woonruimte); effect: Brainbay, Calcasa WOX 2025-Q1"
        : assumed.basis === "reference-class"
          ? "reference class C (no label effect)"
          : `${energySource}; effect: Brainbay (C vs G about +7.9 %), Calcasa WOX 2025-Q1 (a better label about +4 %)`,
    period:
      current && (assumed.basis === "registered" || assumed.basis === "expired-registration")
        ? `registered ${current.registeredAt.slice(0, 10)}`
        : null,
    note: `${assumed.note} Label ${assumed.label}: ${pct >= 0 ? "+" : ""}${pct} % (${LABEL_STEP_PCT} % per class step relative to C).`,
  };
}

/**
 * Step 3: indicative value range = basis per m² × area × neighbourhood × size × label, ± 15 % or
 * 20 %. The basis is the gemeente's CBS average WOZ over its average dwelling area, indexed to the
 * newest month of the CBS price index (live mode), or the seeded COROP table (synthetic); the
 * factors are in value-method.ts.
 */
function valueRange(
  unit: Unit | null,
  municipality: Municipality | null,
  neighbourhood: Neighbourhood | null,
  energy: AssessmentResult["energy"],
  labels: EnergyLabel[],
  basisUnknown: boolean,
): { value: AssessmentResult["value"]; reason: string | null; risks: Risk[] } {
  // What the unit is comes first: a non-dwelling has no value here whatever the municipality's basis.
  if (!unit || unit.surfaceM2 === null || unit.surfaceM2 <= 0)
    return { value: null, reason: "The usable area is unknown, so no value range can be given.", risks: [] };
  if (!isDwelling(unit))
    return { value: null, reason: "The unit is not a dwelling; the per-m² basis applies to dwellings only.", risks: [] };
  if (!municipality || !(municipality.wozPerM2 > 0))
    return {
      value: null,
      reason: basisUnknown ? VALUE_BASIS_UNKNOWN : "No average value per m² is known for this municipality.",
      risks: [],
    };
  const basis = valueBasisOf(municipality);
  const reference = referenceAreaOf(basis);
  const assumed = assumedLabel(energy);
  const hood = neighbourhoodFactor(neighbourhood);
  const size = sizeFactor(unit.surfaceM2, reference);
  const label = labelFactor(assumed, labels[0]);
  const factors: ValueFactor[] = [
    { name: hood.name, value: hood.value, applied: hood.applied, source: hood.source, period: hood.period, note: hood.note },
    { name: size.name, value: size.value, applied: size.applied, source: size.source, period: size.period, note: size.note },
    label,
  ];
  const complete = assumed.basis === "registered" && hood.applied && !unit.inResearch && /in gebruik/i.test(unit.status);
  const rangePct = complete ? RANGE_COMPLETE : RANGE_INCOMPLETE;
  const mid = municipality.wozPerM2 * unit.surfaceM2 * hood.value * size.value * label.value;
  const check = neighbourhoodCheck(k(mid), neighbourhood, basis.priceIndex?.factor ?? 1, {
    areaM2: unit.surfaceM2,
    reference,
    dwellingType: unit.dwellingType,
    buurtCapped: hood.capped,
  });
  const risks: Risk[] = [];
  if (check.withinBand === false && check.reason)
    risks.push({
      rule: "value.far-from-neighbourhood",
      severity: "attention",
      evidence: check.reason,
      source: `${ENGINE_VERSION} neighbourhood check; ${neighbourhood ? neighbourhoodSource(neighbourhood) : "no neighbourhood"}`,
    });
  const level = basis.level === "corop" ? "COROP" : basis.level === "gemeente" ? "Municipality" : "Neighbourhood";
  return {
    value: {
      currency: "EUR",
      low: k(mid * (1 - rangePct)),
      mid: k(mid),
      high: k(mid * (1 + rangePct)),
      rangePct: rangePct * 100,
      confidence: complete ? "B" : "C",
      basis: {
        method: `${level} average WOZ value per m²${basis.priceIndex ? " (price-indexed)" : ""} × registered usable area × neighbourhood factor × size factor × energy label factor`,
        eurPerM2: municipality.wozPerM2,
        eurPerM2Source: describeBasis(basis, municipality),
        surfaceM2: unit.surfaceM2,
        labelAdjustmentPct: labelAdjustmentPct(assumed.label),
        labelAdjustmentBasis: label.note,
        valueBasis: basis,
        assumedLabel: { label: assumed.label, basis: assumed.basis, note: assumed.note },
      },
      factors,
      neighbourhoodCheck: check,
    },
    reason: null,
    risks,
  };
}

/**
 * Asbestos by build year. The ban (Asbestverbod, Besluit asbest 1993) took effect on 1 July 1993;
 * a BAG build year is a year, not a date, so 1993 cannot say on which side of the ban the work
 * fell. Nothing is said from 1994 on. A build year only ever says asbestos *may* have been used.
 */
export function asbestosRisk(buildYear: number | null): Risk | null {
  if (buildYear === null || buildYear > 1993) return null;
  const peak = buildYear >= 1955 && buildYear <= 1975;
  const evidence = peak
    ? `Built in ${buildYear}, in the 1955–1975 systeembouw era when asbestos use peaked: asbestos may well have been used (asbestverdacht); only an inspection can say.`
    : buildYear === 1993
      ? "Built in 1993, the year the asbestos ban took effect (1 July 1993): the build year cannot say whether the work came before or after the ban, so asbestos may have been used (asbestverdacht); only an inspection can say."
      : `Built in ${buildYear}, before the asbestos ban took effect on 1 July 1993: asbestos may have been used (asbestverdacht); only an inspection can say.`;
  return {
    rule: "risk.asbestos",
    severity: peak ? "high" : "attention",
    evidence,
    source: "BAG build year; asbestos ban in effect from 1 July 1993",
  };
}

/** Step 4: risks that follow from the build year and the ground. */
function buildYearRisks(buildYear: number | null, neighbourhood: Neighbourhood | null): Risk[] {
  const risks: Risk[] = [];
  const asbestos = asbestosRisk(buildYear);
  if (asbestos) risks.push(asbestos);
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
  const checks = registerChecks(inputs.unit, inputs.unknown?.has("unit") ?? false);
  const buildYear = buildYearOf(inputs.unit);
  const energy = energySection(inputs.labels, buildYear, inputs.unit, inputs.now, inputs.unknown?.has("labels") ?? false);
  const value = valueRange(
    inputs.unit,
    inputs.municipality,
    inputs.neighbourhood,
    energy.energy,
    inputs.labels,
    inputs.unknown?.has("valueBasis") ?? false,
  );
  return assemble(inputs, {
    checks,
    buildYear,
    energy,
    value,
    risks: [...buildYearRisks(buildYear, inputs.neighbourhood), ...value.risks],
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
  if (!n && !inputs.unknown?.has("neighbourhood")) gaps.push("No neighbourhood statistics are available for this address.");
  // An unknown value basis is the register's gap (added by the caller), not a gap of its own.
  if (parts.value.reason && parts.value.reason !== VALUE_BASIS_UNKNOWN) gaps.push(parts.value.reason);
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

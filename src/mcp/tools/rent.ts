import { z } from "zod";
import { SCOPE_READ } from "../../auth/scopes";
import { dwellingFactsFor, type RentFactNotes } from "../../data/rent-facts";
import { resolveProperty } from "../../data/resolve-address";
import {
  assessRentPoints,
  type DwellingFacts,
  type Origin,
  type PointsAssessment,
  type RubriekResult,
  type WwsLabelClass,
} from "../../domain/wws";
import { WWS_LABEL_CLASSES } from "../../domain/wws/tables";
import type { ToolSpec } from "../catalog";
import { parseRubriekInputs } from "./rent-input";
import { AddressOut, addressOut, gapLines, HeaderedAddressSelector, RegisterGapsOut, SourcesOut, sourcesNote, sourcesOf } from "./shared";

const READ_ONLY = { readOnlyHint: true, openWorldHint: false, idempotentHint: true } as const;
const LABELS = WWS_LABEL_CLASSES as unknown as [WwsLabelClass, ...WwsLabelClass[]];
const SECTOR = z.enum(["social", "middle", "free"]);
const Range = z.object({ min: z.number(), max: z.number() });

const rentInput = z.object({
  ...HeaderedAddressSelector,
  wozValue: z.number().int().min(1).max(100_000_000).optional(),
  roomAreaM2: z.number().min(1).max(10_000).optional().describe("Measured NEN 2580 area of the vertrekken."),
  otherAreaM2: z.number().min(0).max(10_000).optional().describe("Of the overige ruimten."),
  rubrieken: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("Per rubriek your counted points, or table inputs for verwarming, keuken, sanitair, buitenruimten (see docs)."),
  whatIfLabel: z.enum(LABELS).optional(),
});

const RubriekOut = z.object({
  rubriek: z.string(),
  points: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  tableVersion: z.string().nullable(),
  origins: z.array(z.string()),
  explanation: z.string(),
});

const rentOutput = z.object({
  address: AddressOut,
  outsideWws: z.string().nullable().describe("Why the WWS for zelfstandige woonruimte does not apply; null when it does."),
  referenceDate: z.string(),
  totalPoints: z.number().nullable(),
  pointsRange: Range.nullable(),
  sector: SECTOR.nullable(),
  sectorsInRange: z.array(SECTOR),
  maxRentEur: z.number().nullable(),
  maxRentRangeEur: z.object({ min: z.number().nullable(), max: z.number().nullable() }).nullable(),
  maxRentNote: z.string(),
  rubrieken: z.array(RubriekOut),
  narrowingInputs: z.array(z.object({ input: z.string(), widthPoints: z.number() })),
  missingInputs: z.array(z.object({ input: z.string(), why: z.string() })),
  wozEstimate: z.object({ eur: z.number(), minEur: z.number(), maxEur: z.number(), basis: z.string() }).nullable(),
  whatIf: z
    .object({
      label: z.string(),
      totalPoints: z.number().nullable(),
      pointsRange: Range.nullable(),
      sector: SECTOR.nullable(),
      maxRentEur: z.number().nullable(),
    })
    .nullable(),
  tableVersions: z.record(z.string(), z.string()),
  disclaimer: z.string(),
  registerGaps: RegisterGapsOut,
  sources: SourcesOut,
});
type RentOutput = z.infer<typeof rentOutput>;

function originText(o: Origin): string {
  if (o.kind === "user") return "your input";
  if (o.kind === "default") return `stated default: ${o.stated}`;
  return o.note ? `${o.register} (${o.note})` : o.register;
}

/** Rubrieken without a basis (no register answer, no user input) are not available; the total then is not given. */
function withMissing(a: PointsAssessment, missing: RentFactNotes["missing"]): PointsAssessment {
  if (missing.length === 0) return a;
  const off = new Map<string, string>();
  for (const m of missing) {
    if (m.input === "area") {
      const why = `${m.why}: give roomAreaM2 and otherAreaM2`;
      off.set("oppervlakteVertrekken", why);
      off.set("oppervlakteOverigeRuimten", why);
      off.set("wozWaarde", why);
    } else if (!off.has("wozWaarde")) off.set("wozWaarde", `${m.why}: give wozValue`);
  }
  const rubrieken: RubriekResult[] = a.rubrieken.map((r) => {
    const reason = off.get(r.rubriek);
    return reason ? { rubriek: r.rubriek, status: "notAvailable", reason } : r;
  });
  const names = rubrieken.filter((r) => r.status === "notAvailable").map((r) => r.rubriek);
  return {
    ...a,
    rubrieken,
    complete: false,
    totalPoints: null,
    pointsRange: null,
    sector: null,
    sectorsInRange: [],
    maxRentEur: null,
    maxRentRangeEur: null,
    maxRentNote: `No total: not available for ${names.join(", ")}.`,
    narrowingInputs: [],
  };
}

function assess(facts: DwellingFacts, notes: RentFactNotes) {
  const a = assessRentPoints(facts);
  return a.kind === "outsideWws" ? a : withMissing(a, notes.missing);
}

export const calculateRentPoints: ToolSpec<typeof rentInput, typeof rentOutput> = {
  name: "Calculate_Rent_Points",
  title: "WWS rent points, sector and maximum rent",
  description:
    "Use for rent regulation of a dwelling: WWS points per rubriek, total with range, sector (social/middle/free) and maximum rent, from registers and your measured facts; whatIfLabel prices a better energy label. An estimate, not a formal points count.",
  input: rentInput,
  output: rentOutput,
  annotations: READ_ONLY,
  readsRegisters: true,
  stateless: true,
  requiredScopes: [SCOPE_READ],
  async run(args, { services }) {
    const { counted, structured } = parseRubriekInputs(args.rubrieken);
    const facts = await resolveProperty(services, args, ["unit", "labels", "neighbourhood", "municipality", "monument"]);
    const referenceDate = services.now().toISOString().slice(0, 10);
    const { facts: dwelling, notes } = dwellingFactsFor(
      facts,
      { wozValue: args.wozValue, roomAreaM2: args.roomAreaM2, otherAreaM2: args.otherAreaM2, counted, structured },
      referenceDate,
    );
    const result = assess(dwelling, notes);
    const common = {
      address: addressOut(facts.address),
      referenceDate,
      registerGaps: facts.gaps,
      sources: sourcesOf(
        facts.address,
        facts.unit,
        ...(facts.unit?.buildings ?? []),
        ...facts.labels,
        facts.municipality,
        facts.neighbourhood,
        facts.monument,
      ),
    };
    if (result.kind === "outsideWws") {
      return {
        ...common,
        outsideWws: result.message,
        totalPoints: null,
        pointsRange: null,
        sector: null,
        sectorsInRange: [],
        maxRentEur: null,
        maxRentRangeEur: null,
        maxRentNote: "No maximum rent under this WWS.",
        rubrieken: [],
        narrowingInputs: [],
        missingInputs: [],
        wozEstimate: null,
        whatIf: null,
        tableVersions: {},
        disclaimer: "This WWS (Bhw Bijlage I A) values zelfstandige woonruimte only.",
      };
    }
    let whatIf: RentOutput["whatIf"] = null;
    if (args.whatIfLabel !== undefined) {
      const better = assess(
        {
          ...dwelling,
          energy: {
            kind: "userLabel",
            labelClass: args.whatIfLabel,
            origin: { kind: "default", stated: `what-if label ${args.whatIfLabel}` },
          },
        },
        notes,
      );
      if (better.kind === "assessment")
        whatIf = {
          label: args.whatIfLabel,
          totalPoints: better.totalPoints,
          pointsRange: better.pointsRange,
          sector: better.sector,
          maxRentEur: better.maxRentEur,
        };
    }
    return {
      ...common,
      outsideWws: null,
      totalPoints: result.totalPoints,
      pointsRange: result.pointsRange,
      sector: result.sector,
      sectorsInRange: result.sectorsInRange,
      maxRentEur: result.maxRentEur,
      maxRentRangeEur: result.maxRentRangeEur,
      maxRentNote: result.maxRentNote,
      rubrieken: result.rubrieken.map((r) =>
        r.status === "counted"
          ? {
              rubriek: r.rubriek,
              points: r.points,
              min: r.min,
              max: r.max,
              tableVersion: r.tableVersion,
              origins: [...new Set(r.inputs.map(originText))],
              explanation: r.explanation,
            }
          : {
              rubriek: r.rubriek,
              points: null,
              min: null,
              max: null,
              tableVersion: null,
              origins: [],
              explanation: `not available: ${r.reason}`,
            },
      ),
      narrowingInputs: result.narrowingInputs,
      missingInputs: notes.missing,
      wozEstimate: notes.wozEstimate,
      whatIf,
      tableVersions: result.tableVersions,
      disclaimer: result.disclaimer,
    };
  },
  render(r) {
    const head = `${r.address.label} (BAG address id ${r.address.addressId})`;
    const tail = [...gapLines(r.registerGaps)].join("\n") + sourcesNote(r.sources);
    if (r.outsideWws !== null)
      return [head, `Outside the WWS: ${r.outsideWws}`, r.maxRentNote, r.disclaimer, tail].filter(Boolean).join("\n");
    const eur = (v: number | null) => (v === null ? "none" : `€ ${v.toFixed(2)}`);
    const lines = [
      head,
      `WWS points on ${r.referenceDate}: ${
        r.totalPoints === null || r.pointsRange === null
          ? "total unknown"
          : `${r.totalPoints} most likely, ${r.pointsRange.min}–${r.pointsRange.max} points; sector ${r.sector ?? "unknown"} (${r.sectorsInRange.join(" or ")} in the range)`
      }.`,
      `Maximum kale huur: ${r.totalPoints === null ? "unknown" : eur(r.maxRentEur)}${
        r.maxRentRangeEur
          ? ` (range ${r.maxRentRangeEur.min === null ? "none" : eur(r.maxRentRangeEur.min)} to ${r.maxRentRangeEur.max === null ? "none (free sector)" : eur(r.maxRentRangeEur.max)})`
          : ""
      }. ${r.maxRentNote}`,
      "Rubrieken:",
      ...r.rubrieken.map(
        (x) =>
          `- ${x.rubriek}: ${x.points === null ? "unknown" : `${x.points} (${x.min}–${x.max})`}; ${x.explanation}${x.tableVersion ? `; table ${x.tableVersion}` : ""}${x.origins.length ? `; from ${x.origins.join("; ")}` : ""}`,
      ),
      ...(r.wozEstimate
        ? [
            `WOZ value estimated (not the WOZ value): € ${r.wozEstimate.eur} (€ ${r.wozEstimate.minEur}–${r.wozEstimate.maxEur}), from ${r.wozEstimate.basis}.`,
          ]
        : []),
      ...(r.missingInputs.length ? [`Missing: ${r.missingInputs.map((m) => `${m.input} (${m.why})`).join("; ")}.`] : []),
      ...(r.narrowingInputs.length
        ? [`Inputs that would narrow the range most: ${r.narrowingInputs.map((n) => `${n.input} (${n.widthPoints} points)`).join(", ")}.`]
        : []),
      ...(r.whatIf
        ? [
            `What if label ${r.whatIf.label}: ${r.whatIf.totalPoints === null || r.whatIf.pointsRange === null ? "total unknown" : `${r.whatIf.totalPoints} points (${r.whatIf.pointsRange.min}–${r.whatIf.pointsRange.max}), sector ${r.whatIf.sector}, maximum rent ${eur(r.whatIf.maxRentEur)}`}.`,
          ]
        : []),
      `Tables: ${Object.entries(r.tableVersions)
        .map(([k, v]) => `${k} ${v}`)
        .join("; ")}.`,
      r.disclaimer,
    ];
    return [...lines, tail].filter(Boolean).join("\n");
  },
};

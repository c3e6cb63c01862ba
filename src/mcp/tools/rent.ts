import { z } from "zod";
import { SCOPE_READ } from "../../auth/scopes";
import { dwellingFactsFor, type RentFactNotes } from "../../data/rent-facts";
import { resolveProperty } from "../../data/resolve-address";
import { RegisterGapSchema } from "../../data/types";
import {
  assessRentPoints,
  type DwellingFacts,
  type Origin,
  type PointsAssessment,
  type RubriekResult,
  type WwsLabelClass,
} from "../../domain/wws";
import { isWwsLabelClass, WWS_LABEL_CLASSES } from "../../domain/wws/tables";
import { UserError } from "../../errors";
import type { ToolSpec } from "../catalog";
import { addressHeading } from "./property";
import { askToNarrow, RENT_NUMBER_INPUTS as N, withElicitedInputs } from "./rent-elicit";
import { parseRubriekInputs } from "./rent-input";
import { AddressOut, addressOut, gapLines, HeaderedAddressSelector, SourcesOut, sourcesNote, sourcesOf } from "./shared";

const READ_ONLY = { readOnlyHint: true, openWorldHint: false, idempotentHint: true } as const;
const Range = z.object({ min: z.number(), max: z.number() });

const rentInput = z.object({
  ...HeaderedAddressSelector,
  wozValue: z.number().optional(),
  roomAreaM2: z.number().optional(),
  otherAreaM2: z.number().optional(),
  rubrieken: z.record(z.string(), z.unknown()).optional(),
  whatIfLabel: z.string().optional(),
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
  totalPoints: z.number().nullable(),
  pointsRange: Range.nullable(),
  sector: z.string().nullable(),
  sectorsInRange: z.array(z.string()),
  maxRentEur: z.number().nullable(),
  maxRentNote: z.string(),
  rubrieken: z.array(RubriekOut),
  narrowingInputs: z.array(z.string()),
  whatIf: z
    .object({
      label: z.string(),
      totalPoints: z.number().nullable(),
      pointsRange: Range.nullable(),
      sector: z.string().nullable(),
      maxRentEur: z.number().nullable(),
    })
    .nullable(),
  tableVersions: z.record(z.string(), z.string()),
  disclaimer: z.string(),
  registerGaps: z.array(RegisterGapSchema),
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

/** The engine's note on the maximum rent, with the range of the maximum over the points range. */
function rentNote(a: PointsAssessment): string {
  const r = a.maxRentRangeEur;
  if (!r || (r.min === a.maxRentEur && r.max === a.maxRentEur)) return a.maxRentNote;
  const e = (v: number | null) => (v === null ? "none (free sector)" : `€ ${v.toFixed(2)}`);
  return `${a.maxRentNote} Over the points range: ${e(r.min)} to ${e(r.max)}.`;
}

function assess(facts: DwellingFacts, notes: RentFactNotes) {
  const a = assessRentPoints(facts);
  return a.kind === "outsideWws" ? a : withMissing(a, notes.missing);
}

export const calculateRentPoints: ToolSpec<typeof rentInput, typeof rentOutput> = {
  name: "Calculate_Rent_Points",
  title: "WWS rent points",
  description: "Use for rent regulation: WWS points, sector and maximum rent of a dwelling; whatIfLabel prices a better energy label.",
  input: rentInput,
  output: rentOutput,
  annotations: READ_ONLY,
  readsRegisters: true,
  stateless: true,
  elicits: true,
  requiredScopes: [SCOPE_READ],
  async run(given, { services, elicitation }) {
    // Where the client was asked (./rent-elicit.ts), its answers count as the user's input.
    const args = withElicitedInputs(given, elicitation);
    const bad = (what: string, v: number | undefined, min: number, max: number) => {
      if (v !== undefined && !(Number.isFinite(v) && v >= min && v <= max))
        throw new UserError(`${what} must be a number from ${min} to ${max}; got ${v}.`);
    };
    bad("wozValue (euros)", args.wozValue, N.wozValue.min, N.wozValue.max);
    bad("roomAreaM2", args.roomAreaM2, N.roomAreaM2.min, N.roomAreaM2.max);
    bad("otherAreaM2", args.otherAreaM2, N.otherAreaM2.min, N.otherAreaM2.max);
    const wanted = args.whatIfLabel?.replace(/\s+/g, "").toUpperCase();
    const whatIfLabel: WwsLabelClass | undefined = wanted !== undefined && isWwsLabelClass(wanted) ? wanted : undefined;
    if (wanted !== undefined && whatIfLabel === undefined)
      throw new UserError(
        `whatIfLabel must be an energy label class (${WWS_LABEL_CLASSES.join(", ")}); got "${args.whatIfLabel?.slice(0, 20)}".`,
      );
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
        totalPoints: null,
        pointsRange: null,
        sector: null,
        sectorsInRange: [],
        maxRentEur: null,
        maxRentNote: `Outside the WWS for zelfstandige woonruimte: ${result.message} No maximum rent under this WWS.`,
        rubrieken: [],
        narrowingInputs: [],
        whatIf: null,
        tableVersions: {},
        disclaimer: "This WWS (Bhw Bijlage I A) values zelfstandige woonruimte only.",
      };
    }
    // Where the client can be asked, it is asked for what would narrow this count (the call then ends with the question).
    askToNarrow(args, { ...result, missing: notes.missing }, elicitation);
    let whatIf: RentOutput["whatIf"] = null;
    if (whatIfLabel !== undefined) {
      const better = assess(
        {
          ...dwelling,
          energy: {
            kind: "userLabel",
            labelClass: whatIfLabel,
            origin: { kind: "default", stated: `what-if label ${whatIfLabel}` },
          },
        },
        notes,
      );
      if (better.kind === "assessment")
        whatIf = {
          label: whatIfLabel,
          totalPoints: better.totalPoints,
          pointsRange: better.pointsRange,
          sector: better.sector,
          maxRentEur: better.maxRentEur,
        };
    }
    return {
      ...common,
      totalPoints: result.totalPoints,
      pointsRange: result.pointsRange,
      sector: result.sector,
      sectorsInRange: result.sectorsInRange,
      maxRentEur: result.maxRentEur,
      maxRentNote: rentNote(result),
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
      narrowingInputs: result.narrowingInputs.map((n) => `${n.input} (${n.widthPoints} points of the range)`),
      whatIf,
      tableVersions: result.tableVersions,
      disclaimer: `Counted for ${referenceDate}. ${result.disclaimer}`,
    };
  },
  render(r) {
    const head = addressHeading(r.address);
    const tail = [...gapLines(r.registerGaps)].join("\n") + sourcesNote(r.sources);
    if (r.rubrieken.length === 0) return [head, r.maxRentNote, r.disclaimer, tail].filter(Boolean).join("\n");
    const eur = (v: number | null) => (v === null ? "none" : `€ ${v.toLocaleString("en-GB", { maximumFractionDigits: 2 })}`);
    const lines = [
      head,
      `WWS points: ${
        r.totalPoints === null || r.pointsRange === null
          ? "total unknown"
          : `${r.totalPoints} most likely, ${r.pointsRange.min}–${r.pointsRange.max} points; sector ${r.sector ?? "unknown"} (${r.sectorsInRange.join(" or ")} in the range)`
      }.`,
      `Maximum kale huur: ${r.totalPoints === null ? "unknown" : eur(r.maxRentEur)}. ${r.maxRentNote}`,
      "Rubrieken:",
      ...r.rubrieken.map(
        (x) =>
          `- ${x.rubriek}: ${x.points === null ? "unknown" : `${x.points} (${x.min}–${x.max})`}; ${x.explanation}${x.tableVersion ? `; table ${x.tableVersion}` : ""}${x.origins.length ? `; from ${x.origins.join("; ")}` : ""}`,
      ),

      ...(r.narrowingInputs.length ? [`Inputs that would narrow the range most: ${r.narrowingInputs.join(", ")}.`] : []),
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

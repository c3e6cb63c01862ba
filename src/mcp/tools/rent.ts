import { z } from "zod";
import { SCOPE_READ } from "../../auth/scopes";
import { dwellingFactsFor, type RentFactNotes } from "../../data/rent-facts";
import { resolveProperty } from "../../data/resolve-address";
import { RegisterGapSchema } from "../../data/types";
import {
  assessRentPoints,
  type DwellingFacts,
  maxRentEur,
  type Origin,
  type PointsAssessment,
  type RubriekResult,
  roundHalfUp,
  sectorsBetween,
  totalAtLeast,
  type WwsLabelClass,
  wozRubriekPoints,
} from "../../domain/wws";
import { BELEIDSBOEK, ENERGY_TABLE, isWwsLabelClass, MAX_RENT_TABLE, WOZ_TABLE, WWS_LABEL_CLASSES } from "../../domain/wws/tables";
import { UserError } from "../../errors";
import type { ToolSpec } from "../catalog";
import { addressHeading } from "./property";
import { askToNarrow, checkedRentNumber, RENT_NUMBER_INPUTS, RENT_NUMBER_NAMES, withElicitedInputs } from "./rent-elicit";
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
  pointsAtLeast: z.number().nullable(),
  sector: z.string().nullable(),
  sectorsInRange: z.array(z.string()),
  maxRentEur: z.number().nullable(),
  maxRentNote: z.string(),
  rubrieken: z.array(RubriekOut),
  narrowingInputs: z.array(z.string()),
  whatIf: z
    .object({
      label: z.string(),
      energyPointsChange: z.number().nullable(),
      totalPoints: z.number().nullable(),
      pointsRange: Range.nullable(),
      pointsAtLeast: z.number().nullable(),
      sectorsInRange: z.array(z.string()),
      sector: z.string().nullable(),
      maxRentEur: z.number().nullable(),
    })
    .nullable(),
  rijksmonument: z.object({ status: z.enum(["yes", "no", "unknown"]), source: z.string() }).nullable(),
  tableVersions: z.record(z.string(), z.string()),
  disclaimer: z.string(),
  registerGaps: z.array(RegisterGapSchema),
  sources: SourcesOut,
});
/** Calculate_Rent_Points' structured output. */
export type RentOutput = z.infer<typeof rentOutput>;

function originText(o: Origin): string {
  if (o.kind === "user") return "your input";
  if (o.kind === "default") return `pandgate's stated default: ${o.stated}`;
  return o.note ? `${o.register} (${o.note})` : o.register;
}

/**
 * Whether the dwelling is a rijksmonument, and who says so: it raises the maximum rent by 35 % and
 * keeps the energy rubriek at 0 or more (beleidsboek, rubriek 4 and the maximum rent).
 */
function monumentOut(f: DwellingFacts["rijksmonument"]): NonNullable<RentOutput["rijksmonument"]> {
  const status = f.options.length > 1 ? "unknown" : f.value ? "yes" : "no";
  return { status, source: originText(f.origin) };
}

function monumentLine(m: NonNullable<RentOutput["rijksmonument"]>): string {
  if (m.status === "yes") return `Rijksmonument: yes, per ${m.source}: the maximum rent is 35 % higher and the energy rubriek at least 0.`;
  if (m.status === "no") return `Rijksmonument: no, per ${m.source}.`;
  return `Rijksmonument: unknown, per ${m.source}: the range covers both.`;
}

/** What the count knows without a total: the lowest total (and WOZ points) the counted rubrieken and the beleidsboek's minimum WOZ value allow. */
interface Bound {
  atLeast: number | null;
  wozAtLeast: number | null;
  /** The WOZ value behind `wozAtLeast`: the user's, or the minimum WOZ value. */
  wozEur: number | null;
  unknown: string[];
  /** Per rubriek not available: the register asked and why it gave nothing. */
  origins: Record<string, string>;
}

/** Rubrieken without a basis (no register answer, no user input) are not available; the total then is not given, only its lower bound. */
function withMissing(a: PointsAssessment, facts: DwellingFacts, missing: RentFactNotes["missing"]): { a: PointsAssessment; bound: Bound } {
  if (missing.length === 0)
    return { a, bound: { atLeast: a.pointsRange?.min ?? null, wozAtLeast: null, wozEur: null, unknown: [], origins: {} } };
  const off = new Map<string, { reason: string; origin: string }>();
  const areaMissing = missing.find((m) => m.input === "area");
  for (const m of missing) {
    if (m.input === "area") {
      const why = { reason: `${m.why}: give roomAreaM2 and otherAreaM2`, origin: m.origin };
      off.set("oppervlakteVertrekken", why);
      off.set("oppervlakteOverigeRuimten", why);
      off.set("wozWaarde", { reason: `no area to divide the WOZ value by (${m.why}): give roomAreaM2 and otherAreaM2`, origin: m.origin });
    } else if (!off.has("wozWaarde")) off.set("wozWaarde", { reason: `${m.why}: give wozValue`, origin: m.origin });
  }
  const rubrieken: RubriekResult[] = a.rubrieken.map((r) => {
    const o = off.get(r.rubriek);
    return o ? { rubriek: r.rubriek, status: "notAvailable", reason: o.reason } : r;
  });
  // The WOZ rubriek's lower bound: the minimum WOZ value (Bhw Bijlage I A 11.1) over the largest area the
  // range allows; without any area, onderdeel I alone (onderdeel II is positive).
  const maxArea = areaMissing ? Number.POSITIVE_INFINITY : roundHalfUp(facts.roomAreaM2.max + facts.otherAreaM2.max);
  // A WOZ value the user gave (without an area to divide it by) lifts the bound above the minimum.
  const wozEur = Math.max(WOZ_TABLE.minimumWozValueEur, facts.wozValueEur?.min ?? 0);
  const wozAtLeast = wozRubriekPoints(wozEur, maxArea);
  let otherMin = 0;
  let bounded = true;
  for (const r of rubrieken) {
    if (r.rubriek === "wozWaarde") continue;
    if (r.status === "counted") otherMin += r.min;
    else if (r.rubriek === "energieprestatie")
      otherMin += Math.min(...Object.values(ENERGY_TABLE.labelPoints).map((p) => Math.min(p.eengezins, p.meergezins)));
    else if (!off.has(r.rubriek)) bounded = false;
  }
  const atLeast = bounded ? totalAtLeast(otherMin, wozAtLeast, facts.wozCapException.options) : null;
  const unknown = [...(areaMissing ? ["area"] : []), "WOZ value"];
  const rijks = facts.rijksmonument.options;
  const rentFloor = atLeast === null ? null : Math.min(...rijks.map((r) => maxRentEur(atLeast, r) ?? Number.POSITIVE_INFINITY));
  const names = rubrieken.filter((r) => r.status === "notAvailable").map((r) => r.rubriek);
  return {
    a: {
      ...a,
      rubrieken,
      complete: false,
      totalPoints: null,
      pointsRange: null,
      sector: null,
      sectorsInRange: atLeast === null ? [] : sectorsBetween(atLeast, Number.POSITIVE_INFINITY),
      maxRentEur: null,
      maxRentRangeEur: null,
      maxRentNote:
        atLeast === null
          ? `No total: not available for ${names.join(", ")}.`
          : `No total: not available for ${names.join(", ")}. At least ${atLeast} points, so ${
              rentFloor === null || !Number.isFinite(rentFloor)
                ? "the free sector (no WWS maximum)"
                : `a maximum kale huur of at least € ${rentFloor.toFixed(2)} per ${MAX_RENT_TABLE.validFrom} (or none, in the free sector)`
            }.`,
      narrowingInputs: [],
    },
    bound: { atLeast, wozAtLeast, wozEur, unknown, origins: Object.fromEntries([...off].map(([k, v]) => [k, v.origin])) },
  };
}

/** The engine's note on the maximum rent, with the range of the maximum over the points range. */
function rentNote(a: PointsAssessment): string {
  const r = a.maxRentRangeEur;
  if (!r || (r.min === a.maxRentEur && r.max === a.maxRentEur)) return a.maxRentNote;
  const e = (v: number | null) => (v === null ? "none (free sector)" : `€ ${v.toFixed(2)}`);
  return `${a.maxRentNote} Over the points range: ${e(r.min)} to ${e(r.max)}.`;
}

function assess(facts: DwellingFacts, notes: RentFactNotes, options?: { narrowing: boolean }) {
  const a = assessRentPoints(facts, options);
  return a.kind === "outsideWws" ? a : { kind: a.kind, ...withMissing(a, facts, notes.missing) };
}

/** The energy rubriek's most likely points, or null. */
const energyPoints = (a: PointsAssessment) => {
  const e = a.rubrieken.find((r) => r.rubriek === "energieprestatie");
  return e?.status === "counted" ? e.points : null;
};

const SECTOR_NAME: Record<string, string> = { social: "social rent", middle: "the middle segment", free: "the free sector" };

/** "at least 150 points (WOZ value unknown), so at least the middle segment (middle or free possible)" */
function atLeastText(atLeast: number, unknown: string[], sectors: string[]): string {
  const s = sectors[0];
  const sector =
    s === undefined
      ? ""
      : s === "free"
        ? ", so the free sector"
        : s === "social"
          ? `; sector ${sectors.join(", ")} possible`
          : `, so at least ${SECTOR_NAME[s]} (${sectors.join(" or ")} possible)`;
  return `at least ${atLeast} points (${unknown.join(" and ")} unknown)${sector}`;
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
    for (const name of RENT_NUMBER_NAMES) {
      const v = args[name];
      if (v === undefined || checkedRentNumber(name, v).ok) continue;
      const { min, max, unit } = RENT_NUMBER_INPUTS[name];
      throw new UserError(`${name}${unit === "euros" ? " (euros)" : ""} must be a number from ${min} to ${max}; got ${v}.`);
    }
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
        pointsAtLeast: null,
        sector: null,
        sectorsInRange: [],
        maxRentEur: null,
        maxRentNote: `Outside the WWS for zelfstandige woonruimte: ${result.message} No maximum rent under this WWS.`,
        rubrieken: [],
        narrowingInputs: [],
        whatIf: null,
        rijksmonument: null,
        tableVersions: {},
        disclaimer: "This WWS (Bhw Bijlage I A) values zelfstandige woonruimte only.",
      };
    }
    // Where the client can be asked, it is asked for what would narrow this count (the call then ends with the question).
    askToNarrow(
      args,
      { pointsRange: result.a.pointsRange, narrowingInputs: result.a.narrowingInputs, missing: notes.missing },
      elicitation,
    );
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
        // The what-if shows no narrowing inputs of its own.
        { narrowing: false },
      );
      if (better.kind === "assessment") {
        const now = energyPoints(result.a);
        const then = energyPoints(better.a);
        whatIf = {
          label: whatIfLabel,
          energyPointsChange: now === null || then === null ? null : then - now,
          totalPoints: better.a.totalPoints,
          pointsRange: better.a.pointsRange,
          pointsAtLeast: better.bound.atLeast,
          sectorsInRange: better.a.sectorsInRange,
          sector: better.a.sector,
          maxRentEur: better.a.maxRentEur,
        };
      }
    }
    const { a, bound } = result;
    return {
      ...common,
      totalPoints: a.totalPoints,
      pointsRange: a.pointsRange,
      pointsAtLeast: bound.atLeast,
      sector: a.sector,
      sectorsInRange: a.sectorsInRange,
      maxRentEur: a.maxRentEur,
      maxRentNote: rentNote(a),
      rubrieken: a.rubrieken.map((r) =>
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
              min: r.rubriek === "wozWaarde" ? bound.wozAtLeast : null,
              max: null,
              tableVersion: r.rubriek === "wozWaarde" && bound.wozAtLeast !== null ? (a.tableVersions.woz ?? null) : null,
              origins: bound.origins[r.rubriek] ? [bound.origins[r.rubriek] as string] : [],
              explanation: `not available: ${r.reason}${
                r.rubriek === "wozWaarde" && bound.wozAtLeast !== null
                  ? `; the lower bound is ${
                      bound.wozEur === WOZ_TABLE.minimumWozValueEur
                        ? `the minimum WOZ value € ${WOZ_TABLE.minimumWozValueEur} (Bhw Bijlage I A 11.1)`
                        : `your WOZ value € ${bound.wozEur}`
                    }${
                      bound.unknown.includes("area") ? " in onderdeel I alone (the area is unknown)" : " over the largest area in the range"
                    }`
                  : ""
              }`,
            },
      ),
      narrowingInputs: a.narrowingInputs.map((n) => `${n.input} (${n.widthPoints} points of the range)`),
      whatIf,
      rijksmonument: monumentOut(dwelling.rijksmonument),
      tableVersions: a.tableVersions,
      disclaimer: `Counted for ${referenceDate}. ${a.disclaimer}`,
    };
  },
  render(r) {
    const head = addressHeading(r.address);
    const tail = [...gapLines(r.registerGaps)].join("\n") + sourcesNote(r.sources);
    if (r.rubrieken.length === 0) return [head, r.maxRentNote, r.disclaimer, tail].filter(Boolean).join("\n");
    const eur = (v: number | null) => (v === null ? "none" : `€ ${v.toLocaleString("en-GB", { maximumFractionDigits: 2 })}`);
    const off = (name: string) => r.rubrieken.some((x) => x.rubriek === name && x.points === null);
    const unknown = [...(off("oppervlakteVertrekken") ? ["area"] : []), ...(off("wozWaarde") ? ["WOZ value"] : [])];
    const bound = (atLeast: number | null, sectors: string[]) =>
      atLeast === null ? "total unknown" : atLeastText(atLeast, unknown.length ? unknown : ["an input"], sectors);
    const w = r.whatIf;
    const change = w?.energyPointsChange;
    const lines = [
      head,
      `WWS points: ${
        r.totalPoints === null || r.pointsRange === null
          ? `${bound(r.pointsAtLeast, r.sectorsInRange)}; no total`
          : `${r.totalPoints} most likely, ${r.pointsRange.min}–${r.pointsRange.max} points; sector ${r.sector ?? "unknown"} (${r.sectorsInRange.join(" or ")} in the range)`
      }.`,
      `Maximum kale huur: ${r.totalPoints === null ? "unknown" : eur(r.maxRentEur)}. ${r.maxRentNote}`,
      ...(r.rijksmonument ? [monumentLine(r.rijksmonument)] : []),
      "Rubrieken:",
      ...r.rubrieken.map(
        (x) =>
          `- ${x.rubriek}: ${x.points === null ? (x.min === null ? "unknown" : `unknown, at least ${x.min}`) : `${x.points} (${x.min}–${x.max})`}; ${x.explanation}${x.tableVersion ? `; table ${x.tableVersion}` : ""}${x.origins.length ? `; from ${x.origins.join("; ")}` : ""}`,
      ),

      ...(r.narrowingInputs.length ? [`Inputs that would narrow the range most: ${r.narrowingInputs.join(", ")}.`] : []),
      ...(w
        ? [
            `What if label ${w.label}: ${
              change === null || change === undefined
                ? ""
                : `the energy rubriek ${change >= 0 ? "adds" : "takes"} ${Math.abs(change)} points; `
            }${
              w.totalPoints === null || w.pointsRange === null
                ? bound(w.pointsAtLeast, w.sectorsInRange)
                : `${w.totalPoints} points (${w.pointsRange.min}–${w.pointsRange.max}), sector ${w.sector}, maximum rent ${eur(w.maxRentEur)}`
            }.`,
          ]
        : []),
      ...(r.tableVersions.beleidsboek
        ? [`Rules: Besluit huurprijzen woonruimte, Bijlage I A, read with the Huurcommissie's ${BELEIDSBOEK.title}.`]
        : []),
      `Tables: ${Object.entries(r.tableVersions)
        .map(([k, v]) => `${k} ${v}`)
        .join("; ")}.`,
      r.disclaimer,
    ];
    return [...lines, tail].filter(Boolean).join("\n");
  },
};

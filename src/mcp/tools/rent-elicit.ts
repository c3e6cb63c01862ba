import { inputResponse } from "@modelcontextprotocol/server";
import type { ToolElicitation } from "../catalog";

/**
 * Elicitation for Calculate_Rent_Points (issue 20): where the client can be asked (form-mode
 * elicitation, on 2025-11-25 through a session, on 2026-07-28 as an input-required result), the
 * tool asks for the inputs that would narrow the points range most instead of answering with the
 * range, and counts with what the user gives. Only flat numbers the tool takes as arguments are
 * asked, so an answer is exactly what the user could have passed in the call; what the form gets
 * back is checked against the same bounds as those arguments.
 */

/** The numeric arguments a user may give or be asked for, with the bounds `run` checks them against. */
export const RENT_NUMBER_INPUTS = {
  wozValue: {
    min: 1,
    max: 100_000_000,
    unit: "euros",
    title: "WOZ value (euros)",
    description: "The WOZ value on the dwelling's latest WOZ beschikking (the municipality's valuation), in euros.",
    named: "the WOZ value",
  },
  roomAreaM2: {
    min: 1,
    max: 10_000,
    unit: "m²",
    title: "Room area (m², NEN 2580)",
    description: "Measured area of the vertrekken (living rooms, bedrooms, kitchen, bathroom) in m², as NEN 2580 measures it.",
    named: "the measured room area",
  },
  otherAreaM2: {
    min: 0,
    max: 10_000,
    unit: "m²",
    title: "Other spaces (m², NEN 2580)",
    description: "Measured area of the overige ruimten (storage, attic, utility rooms) in m²; 0 if there are none.",
    named: "the measured area of the other spaces",
  },
} as const;
export type RentNumberInput = keyof typeof RENT_NUMBER_INPUTS;
export const RENT_NUMBER_NAMES = Object.keys(RENT_NUMBER_INPUTS) as RentNumberInput[];

/** The key of the one form the tool asks per call (`inputRequests`, and the legacy shim's leg). */
export const RENT_FORM_KEY = "rentInputs";

/** The engine's names of the narrowing inputs the user can give as numbers. */
const FROM_ENGINE: Record<string, RentNumberInput> = { wozValueEur: "wozValue", roomAreaM2: "roomAreaM2", otherAreaM2: "otherAreaM2" };

type Given = Partial<Record<RentNumberInput, number | undefined>>;

/** `value` if it lies within the bounds of `name`, else why not: for the call's arguments and the form's answers alike. */
export function checkedRentNumber(name: RentNumberInput, value: unknown): { ok: true; value: number } | { ok: false; why: string } {
  const { min, max } = RENT_NUMBER_INPUTS[name];
  if (typeof value !== "number" || !Number.isFinite(value)) return { ok: false, why: "not a number" };
  if (value < min || value > max) return { ok: false, why: `not from ${min} to ${max}` };
  return { ok: true, value };
}

const shown = (v: unknown) => (typeof v === "string" ? JSON.stringify(v.slice(0, 20)) : String(v).slice(0, 20));

/**
 * The call's arguments with the answers of the form asked in this call filled in (only those the
 * call did not give; what the call gave stands), and a note on the text answer saying what came
 * of the question: counted, declined, cancelled, or which answers were not used and why. Without
 * answers (no question was asked in this call), the arguments as they are.
 */
export function withElicitedInputs<A extends Given>(args: A, elicitation: ToolElicitation | undefined): A {
  const responses = elicitation?.responses;
  if (!elicitation || responses === undefined) return args;
  const answer = inputResponse(responses, RENT_FORM_KEY);
  if (answer.kind !== "elicit") {
    elicitation.note("The question for the inputs that narrow the range was not answered; the answer keeps the ranges.");
    return args;
  }
  if (answer.action !== "accept") {
    const what = answer.action === "decline" ? "declined to give" : "cancelled the question for";
    elicitation.note(`You ${what} the inputs that would narrow the range; the answer keeps the ranges over them.`);
    return args;
  }
  const content = answer.content ?? {};
  const used: string[] = [];
  const unused: string[] = [];
  const merged: Given = { ...args };
  for (const name of RENT_NUMBER_NAMES) {
    if (args[name] !== undefined || !(name in content)) continue;
    const raw = content[name];
    const c = checkedRentNumber(name, raw);
    if (c.ok) {
      merged[name] = c.value;
      used.push(`${name} ${c.value.toLocaleString("en-GB")} ${RENT_NUMBER_INPUTS[name].unit}`);
    } else unused.push(`${name} (${shown(raw)}: ${c.why})`);
  }
  if (used.length > 0) elicitation.note(`Counted with what you gave when asked (your input): ${used.join(", ")}.`);
  if (unused.length > 0) elicitation.note(`Not used, treated as not given: ${unused.join("; ")}.`);
  if (used.length === 0 && unused.length === 0) elicitation.note("You gave none of the asked inputs; the answer keeps the ranges.");
  return merged as A;
}

/** What the engine's count says could be narrowed: the range's width per input, and inputs without which no total is counted. */
export interface NarrowingSituation {
  pointsRange: { min: number; max: number } | null;
  narrowingInputs: ReadonlyArray<{ input: string; widthPoints: number }>;
  missing: ReadonlyArray<{ input: "area" | "wozValue"; why: string }>;
}

/**
 * Asks the client, in one form, for the inputs the user can settle that would narrow the answer:
 * those of the engine's narrowing inputs that are numbers the call did not give (largest first),
 * or those without which no total can be counted. Nothing is asked when the client cannot be
 * asked, when this call was already asked (one round per call), or when nothing the user could
 * give would narrow it.
 */
export function askToNarrow(args: Given, situation: NarrowingSituation, elicitation: ToolElicitation | undefined): void {
  if (!elicitation?.canAsk) return;
  const open = (name: RentNumberInput) => args[name] === undefined;
  const needed = new Map<RentNumberInput, string>();
  for (const m of situation.missing) {
    const names: RentNumberInput[] = m.input === "area" ? ["roomAreaM2", "otherAreaM2"] : ["wozValue"];
    for (const name of names.filter(open)) needed.set(name, m.why);
  }
  const deciding = new Map<RentNumberInput, number>();
  for (const n of situation.narrowingInputs) {
    const name = FROM_ENGINE[n.input];
    if (!name || !open(name) || needed.has(name) || deciding.has(name) || !(n.widthPoints > 0)) continue;
    deciding.set(name, n.widthPoints);
  }
  const asked = [...needed.keys(), ...deciding.keys()];
  if (asked.length === 0) return;
  const sentences: string[] = [];
  if (needed.size > 0) {
    const whys = [...new Set(needed.values())].join("; ");
    sentences.push(`No total can be counted without ${list([...needed.keys()].map((name) => RENT_NUMBER_INPUTS[name].named))} (${whys}).`);
  }
  if (deciding.size > 0 && situation.pointsRange) {
    const { min, max } = situation.pointsRange;
    const parts = [...deciding].map(([name, w], i) => `${RENT_NUMBER_INPUTS[name].named}${i === 0 ? " decides" : ""} ${fmt(w)}`);
    sentences.push(`Of the ${fmt(max - min)} points of the range (now ${fmt(min)}–${fmt(max)}), ${list(parts)}.`);
  }
  const why = sentences.join(" ");
  elicitation.ask(RENT_FORM_KEY, {
    mode: "form",
    message: `${why} Give what you know to narrow the count; leave a field empty if you do not know it.`,
    requestedSchema: {
      type: "object",
      properties: Object.fromEntries(
        asked.map((name) => {
          const { title, description, min, max } = RENT_NUMBER_INPUTS[name];
          return [name, { type: "number", title, description, minimum: min, maximum: max }];
        }),
      ),
    },
  });
}

/** "a", "a and b", "a, b and c". */
const list = (items: string[]) => (items.length < 2 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`);

const fmt = (n: number) => n.toLocaleString("en-GB", { maximumFractionDigits: 2 });

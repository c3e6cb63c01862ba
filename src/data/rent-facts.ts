import { buildYearOf, valueBasisOf } from "../domain/assessment";
import { neighbourhoodFactor } from "../domain/value-method";
import {
  type ChoiceFact,
  type CountedRubriek,
  type DwellingFacts,
  type DwellingKind,
  known,
  type LabelRegistration,
  type NumberFact,
  type Origin,
  ranged,
  roundHalfUp,
  type StructuredInputs,
} from "../domain/wws";
import defaults from "./rent-defaults.json";
import type { EnergyLabel, PropertyFacts } from "./types";

/**
 * From an address's register facts and what the user knows to the WWS engine's `DwellingFacts`
 * (issue 20). Pure. Every fact carries its origin: the register (and which), the user, or a
 * stated default. A register that could not answer (a gap without an older answer) leaves its
 * facts unknown: a range over what they may be, or "not available" where no range can be stated.
 */

/**
 * pandgate's stated defaults (its own assumptions, not from the beleidsboek; see
 * rent-defaults.json.source.md for the reasoning behind each value and range).
 */
export const RENT_DEFAULTS = defaults as typeof defaults & {
  counted: Record<CountedRubriek, { value: number; min: number; max: number; stated: string }>;
};

export interface RentUserInput {
  wozValue?: number | undefined;
  roomAreaM2?: number | undefined;
  otherAreaM2?: number | undefined;
  counted?: Partial<Record<CountedRubriek, number>> | undefined;
  structured?: StructuredInputs | undefined;
}

/** What the tool shows beside the count: the estimates it made and what it could not know. */
export interface RentFactNotes {
  usableAreaM2: number | null;
  wozEstimate: { eur: number; minEur: number; maxEur: number; basis: string } | null;
  /**
   * Inputs without any basis (no register answer, no user input): their rubrieken are not available.
   * `origin` names the register that was asked (and why it gave nothing).
   */
  missing: Array<{ input: "area" | "wozValue"; why: string; origin: string }>;
}

const USER: Origin = { kind: "user" };

function unknownGap(facts: PropertyFacts, field: string): boolean {
  return facts.gaps.some((g) => (g.fields as readonly string[]).includes(field) && g.stale === null);
}

function registerOf(facts: PropertyFacts, field: string, fallback: string): string {
  const gap = facts.gaps.find((g) => (g.fields as readonly string[]).includes(field));
  return gap ? gap.name : fallback;
}

/** An EP-Online registration in the terms the WWS rules use. */
export function labelRegistration(l: EnergyLabel): LabelRegistration {
  const simplified = l.calculationType !== null && /vereenvoudigd/i.test(l.calculationType);
  return {
    labelClass: l.energyClass,
    method: simplified ? "simplified" : l.method === "Energie-Index" ? "energyIndex" : "nta8800",
    // EP-Online publishes registered (definitive) labels only.
    definitive: true,
    registrationDate: l.registeredAt.slice(0, 10),
    validUntil: l.validUntil.slice(0, 10),
    ...(l.ep2KwhM2 !== null ? { ep2: l.ep2KwhM2 } : {}),
    ...(l.energyIndex !== null ? { energyIndex: l.energyIndex } : {}),
  };
}

function dwellingKindOf(type: string | null, bag: string): ChoiceFact<DwellingKind> {
  if (type === null)
    return {
      value: "meergezins",
      options: ["meergezins", "eengezins"],
      origin: { kind: "default", stated: "dwelling type not in BAG: meergezins most likely, eengezins possible" },
    };
  const kind: DwellingKind = /appartement|flat|etage|meergezins/i.test(type) ? "meergezins" : "eengezins";
  return { value: kind, options: [kind], origin: { kind: "register", register: bag, note: `woningtype ${type}` } };
}

const area = (value: number, min: number, max: number, origin: Origin): NumberFact =>
  ranged(roundHalfUp(value, 1), roundHalfUp(min, 1), roundHalfUp(max, 1), origin);

/**
 * The engine's facts for an address. `placeholderArea` stands in where no area is known at all
 * (the rubrieken that need it are then reported not available, see `missing`).
 */
export function dwellingFactsFor(
  facts: PropertyFacts,
  input: RentUserInput,
  referenceDate: string,
): { facts: DwellingFacts; notes: RentFactNotes } {
  const { unit, labels, municipality, neighbourhood, monument } = facts;
  const missing: RentFactNotes["missing"] = [];
  // The synthetic dataset names its registers "synthetic …" even where a register has no record for the address.
  const synthetic = facts.address.source.synthetic || unit?.source.synthetic === true;
  const bag = registerOf(facts, "unit", synthetic ? "synthetic BAG" : "BAG");
  const usable = unit?.surfaceM2 ?? null;
  const d = RENT_DEFAULTS;
  const areaNote = (share: { min: number; max: number }) =>
    `estimate of the NEN 2580 area from the BAG gebruiksoppervlakte of ${usable} m² (${share.min * 100}–${share.max * 100} %), not a measurement`;
  let roomAreaM2: NumberFact;
  let otherAreaM2: NumberFact;
  if (input.roomAreaM2 !== undefined) roomAreaM2 = known(input.roomAreaM2, USER);
  else if (usable !== null && usable > 0) {
    const s = d.roomShareOfUsableArea;
    roomAreaM2 = area(usable * s.value, usable * s.min, usable * s.max, { kind: "register", register: bag, note: areaNote(s) });
  } else {
    roomAreaM2 = known(1, { kind: "default", stated: "no area known" });
    const asked = unknownGap(facts, "unit");
    missing.push({
      input: "area",
      why: asked ? "BAG could not be asked for the usable area" : "BAG registers no usable area for this unit",
      origin: `${bag} (${asked ? "not read: the register could not be asked" : "no usable area registered"})`,
    });
  }
  if (input.otherAreaM2 !== undefined) otherAreaM2 = known(input.otherAreaM2, USER);
  else if (usable !== null && usable > 0) {
    const s = d.otherShareOfUsableArea;
    otherAreaM2 = area(usable * s.value, usable * s.min, usable * s.max, { kind: "register", register: bag, note: areaNote(s) });
  } else otherAreaM2 = known(0, { kind: "default", stated: "no area known" });

  const year = buildYearOf(unit);
  const thisYear = Number(referenceDate.slice(0, 4));
  const buildYear: NumberFact =
    year !== null
      ? known(year, { kind: "register", register: bag, note: "bouwjaar of the pand" })
      : ranged(1975, 1800, thisYear, { kind: "default", stated: "build year unknown: any year up to now (1975 most likely)" });

  const labelsUnknown = unknownGap(facts, "labels");
  const ep = registerOf(facts, "labels", synthetic || labels[0]?.source.synthetic ? "synthetic EP-Online" : "EP-Online");
  const energy: DwellingFacts["energy"] = labelsUnknown
    ? { kind: "unknown", origin: { kind: "register", register: ep, note: "not read: the register could not be asked" } }
    : { kind: "registrations", registrations: labels.map(labelRegistration), origin: { kind: "register", register: ep } };

  const monumentUnknown = unknownGap(facts, "monument");
  const rce = registerOf(facts, "monument", synthetic || monument?.source.synthetic ? "synthetic RCE" : "RCE Rijksmonumentenregister");
  const rijksmonument: ChoiceFact<boolean> = monumentUnknown
    ? {
        value: false,
        options: [false, true],
        origin: { kind: "register", register: rce, note: "not read: the register could not be asked; rijksmonument or not" },
      }
    : {
        value: monument !== null,
        options: [monument !== null],
        origin: { kind: "register", register: rce, note: monument ? `rijksmonument ${monument.number}` : "not a rijksmonument" },
      };
  const monumentAny: ChoiceFact<boolean> = {
    ...rijksmonument,
    origin: {
      kind: "register",
      register: rce,
      note: `${monumentUnknown ? "not read; monument or not" : monument ? `rijksmonument ${monument.number}` : "not a rijksmonument"}; provincial and municipal monuments are not read`,
    },
  };

  let wozValueEur: NumberFact | undefined;
  let wozEstimate: RentFactNotes["wozEstimate"] = null;
  if (input.wozValue !== undefined) wozValueEur = known(input.wozValue, USER);
  else if (municipality && municipality.wozPerM2 > 0 && usable !== null && usable > 0) {
    const basis = valueBasisOf(municipality);
    // The basis is price-indexed to its newest month; the WOZ value is at the valuation date, so undo the index.
    const perM2 = basis.eurPerM2 / (basis.priceIndex?.factor ?? 1);
    const hood = neighbourhoodFactor(neighbourhood);
    const eur = Math.round((perM2 * usable * hood.value) / 1000) * 1000;
    const spread = d.wozEstimateSpread;
    const minEur = Math.round((eur * (1 - spread)) / 1000) * 1000;
    const maxEur = Math.round((eur * (1 + spread)) / 1000) * 1000;
    const basisText = `${basis.source} (${basis.level} ${basis.regionCode}, WOZ period ${basis.woz.period}) × ${usable} m² × neighbourhood factor ${hood.value}, ± ${spread * 100} %`;
    wozEstimate = { eur, minEur, maxEur, basis: basisText };
    wozValueEur = ranged(eur, minEur, maxEur, {
      kind: "register",
      register: basis.synthetic ? "synthetic value basis" : "CBS value basis",
      note: `estimate, not the dwelling's WOZ value: € ${eur} (€ ${minEur}–${maxEur}) from ${basisText}`,
    });
  } else {
    const asked = unknownGap(facts, "valueBasis");
    missing.push({
      input: "wozValue",
      why: asked
        ? "CBS could not be asked for the value basis and no wozValue was given"
        : "no value basis for an estimate and no wozValue was given",
      origin: asked
        ? `${registerOf(facts, "valueBasis", "CBS value basis")} (not read: the register could not be asked)`
        : usable === null || usable <= 0
          ? "no WOZ estimate without an area"
          : `${synthetic || municipality?.source.synthetic ? "synthetic value basis" : "CBS value basis"} (none for this municipality)`,
    });
  }

  const counted: DwellingFacts["counted"] = {};
  for (const [name, def] of Object.entries(d.counted) as Array<[CountedRubriek, (typeof d.counted)[CountedRubriek]]>) {
    const given = input.counted?.[name];
    counted[name] = given !== undefined ? known(given, USER) : ranged(def.value, def.min, def.max, { kind: "default", stated: def.stated });
  }
  const object: DwellingFacts["object"] =
    unit === null
      ? { kind: "verblijfsobject", uses: ["woonfunctie"] }
      : unit.kind === "verblijfsobject"
        ? { kind: "verblijfsobject", uses: unit.usePurposes }
        : { kind: unit.kind };
  return {
    facts: {
      object,
      referenceDate,
      dwellingKind: dwellingKindOf(unit?.dwellingType ?? null, bag),
      roomAreaM2,
      otherAreaM2,
      buildYear,
      energy,
      ...(wozValueEur ? { wozValueEur } : {}),
      rijksmonument,
      monument: monumentAny,
      wozCapException: {
        value: false,
        options: [false],
        origin: { kind: "default", stated: "no WOZ-cap exception (new-build) assumed" },
      },
      counted,
      ...(input.structured ? { structured: input.structured } : {}),
    },
    notes: { usableAreaM2: usable, wozEstimate, missing },
  };
}

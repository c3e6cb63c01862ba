/**
 * Rubriek 3 (verwarming), 5 (keuken), 6 (sanitair) and 8 (buitenruimten) from structured input
 * (counts, lengths, areas) instead of counted points. Pure. Each point function takes plain numbers;
 * the rubriek functions evaluate them at the most likely inputs and at the low and high corner of the
 * inputs' ranges (every rule is monotonic in every input, see the tests), with the inputs' origins.
 * Tables and their sources: tables/{verwarming,keuken,sanitair,buitenruimten}.json(.source.md).
 */
import { roundHalfUp, roundToQuarter } from "./range";
import { BUITENRUIMTEN_TABLE, KEUKEN_TABLE, SANITAIR_TABLE, VERWARMING_TABLE } from "./tables";
import type {
  BuitenruimtenInput,
  ChoiceFact,
  KeukenInput,
  KeukenVoorziening,
  NumberFact,
  Origin,
  RubriekResult,
  SanitairExtra,
  SanitairInput,
  VerwarmingInput,
} from "./types";

type Corner = "value" | "min" | "max";
const num = (f: NumberFact | undefined, c: Corner, invert = false): number => {
  if (f === undefined) return 0;
  if (!invert) return f[c];
  return c === "min" ? f.max : c === "max" ? f.min : f.value;
};
const bool = (f: ChoiceFact<boolean>, c: Corner): boolean =>
  c === "value" ? f.value : c === "min" ? !f.options.includes(false) && f.value : f.options.includes(true) || f.value;
const nonNegInt = (x: number) => Math.max(0, Math.floor(x + 1e-9));

/** Rubriek 3: 2 per verwarmd vertrek, 1 per verwarmde overige/verkeersruimte (max 4), 1 per verkoeld vertrek (max 2, only rooms also heated). */
export function verwarmingPoints(verwarmdeVertrekken: number, verwarmdeOverigeRuimten: number, verkoeldeVertrekken: number): number {
  const t = VERWARMING_TABLE;
  const v = nonNegInt(verwarmdeVertrekken);
  const o = nonNegInt(verwarmdeOverigeRuimten);
  const k = Math.min(nonNegInt(verkoeldeVertrekken), v);
  return (
    v * t.pointsPerVerwarmdVertrek +
    Math.min(o * t.pointsPerVerwarmdeOverigeOfVerkeersruimte, t.maxPointsOverigeEnVerkeersruimten) +
    Math.min(k * t.pointsPerVerkoeldVertrek, t.maxPointsVerkoeling)
  );
}

/** Rubriek 5, aanrecht band: < 1 m 0, 1 tot 2 m 4, 2 m en meer 7. */
export function aanrechtPoints(lengthM: number): number {
  let pts = 0;
  for (const b of KEUKEN_TABLE.aanrechtBands) if (lengthM + 1e-9 >= b.fromM) pts = b.points;
  return pts;
}

/** Rubriek 5: nothing without the basisniveau (or under 1 m); extras capped at the aanrecht points. */
export function keukenPoints(basisniveau: boolean, lengthM: number, voorzieningen: Partial<Record<KeukenVoorziening, number>>): number {
  const base = aanrechtPoints(lengthM);
  if (!basisniveau || base === 0) return 0;
  let extra = 0;
  for (const [k, n] of Object.entries(voorzieningen) as Array<[KeukenVoorziening, number]>)
    extra += nonNegInt(n) * KEUKEN_TABLE.voorzieningen[k];
  return roundToQuarter(base + Math.min(extra, base));
}

export interface SanitairCounts {
  staandToiletruimte: number;
  staandBadkamer: number;
  hangendToiletruimte: number;
  hangendBadkamer: number;
  wastafelsBadkamer: number;
  meerpersoonsWastafelsBadkamer: number;
  ruimtenMetWastafel: number;
  ruimtenMetMeerpersoonsWastafel: number;
  douches: number;
  baden: number;
  badEnDouches: number;
  extrasAllowed: boolean;
  extras: Partial<Record<SanitairExtra, number>>;
}

/** Rubriek 6: toilets, wastafels, douche/bad; extras only in a qualifying bad-/doucheruimte, capped at the douche/bad points. */
export function sanitairPoints(c: SanitairCounts): number {
  const t = SANITAIR_TABLE;
  const n = nonNegInt;
  const toilets =
    n(c.staandToiletruimte) * t.toilet.staandToiletruimte +
    n(c.staandBadkamer) * t.toilet.staandBadkamer +
    n(c.hangendToiletruimte) * t.toilet.hangendToiletruimte +
    n(c.hangendBadkamer) * t.toilet.hangendBadkamer;
  const wastafels =
    (n(c.wastafelsBadkamer) + n(c.ruimtenMetWastafel)) * t.wastafel +
    (n(c.meerpersoonsWastafelsBadkamer) + n(c.ruimtenMetMeerpersoonsWastafel)) * t.meerpersoonsWastafel;
  const badDouche = n(c.douches) * t.douche + n(c.baden) * t.bad + n(c.badEnDouches) * t.badEnDouche;
  let extra = 0;
  if (c.extrasAllowed) {
    const maxStop = t.stopcontactenPerWastafelMax * (n(c.wastafelsBadkamer) + n(c.meerpersoonsWastafelsBadkamer));
    for (const [k, cnt] of Object.entries(c.extras) as Array<[SanitairExtra, number]>) {
      let p = n(cnt) * t.extras[k];
      if (k === "kastruimte") p = Math.min(p, t.kastruimteMaxPoints);
      if (k === "stopcontact") p = Math.min(n(cnt), maxStop) * t.extras.stopcontact;
      extra += p;
    }
  }
  return roundToQuarter(toilets + wastafels + badDouche + Math.min(extra, badDouche));
}

/** Rubriek 8: privé 2 + 0,35/m², gemeenschappelijk 0,75/m² / adressen, −5 when none at all, at most 15. */
export function buitenruimtenPoints(privePresent: boolean, priveM2: number, gemeenschappelijkM2: number, adressen: number): number {
  const t = BUITENRUIMTEN_TABLE;
  const pm2 = roundHalfUp(roundHalfUp(Math.max(0, priveM2), 2));
  const gm2 = roundHalfUp(roundHalfUp(Math.max(0, gemeenschappelijkM2), 2));
  if (!privePresent && gm2 <= 0) return t.noneAtAllPoints;
  const prive = privePresent ? t.privePresentPoints + pm2 * t.privePerM2 : 0;
  const gem = gm2 > 0 ? (gm2 * t.gemeenschappelijkPerM2) / Math.max(1, nonNegInt(adressen)) : 0;
  return roundToQuarter(Math.min(prive + gem, t.maxPoints));
}

type Counted = Extract<RubriekResult, { status: "counted" }>;

function result(rubriek: string, version: string, at: (c: Corner) => number, inputs: Origin[], explanation: string): Counted {
  const points = at("value");
  const a = at("min");
  const b = at("max");
  return {
    rubriek,
    status: "counted",
    points,
    min: Math.min(a, b, points),
    max: Math.max(a, b, points),
    tableVersion: version,
    inputs,
    explanation,
  };
}

const uniq = (os: Origin[]) => os.filter((o, i) => os.findIndex((p) => JSON.stringify(p) === JSON.stringify(o)) === i);
const show = (f: NumberFact) => (f.min === f.max ? `${f.value}` : `${f.value} (${f.min}–${f.max})`);

export function verwarmingRubriek(i: VerwarmingInput): Counted {
  const k = i.verkoeldeVertrekken;
  return result(
    "verwarming",
    VERWARMING_TABLE.version,
    (c) => verwarmingPoints(num(i.verwarmdeVertrekken, c), num(i.verwarmdeOverigeRuimten, c), num(k, c)),
    uniq([i.verwarmdeVertrekken.origin, i.verwarmdeOverigeRuimten.origin, ...(k ? [k.origin] : [])]),
    `${show(i.verwarmdeVertrekken)} verwarmde vertrekken × 2, ${show(i.verwarmdeOverigeRuimten)} verwarmde overige/verkeersruimten × 1 (max 4)${k ? `, ${show(k)} verkoelde vertrekken × 1 (max 2)` : ""}`,
  );
}

export function keukenRubriek(i: KeukenInput): Counted {
  const vz = Object.entries(i.voorzieningen ?? {}) as Array<[KeukenVoorziening, NumberFact]>;
  const at = (c: Corner) =>
    keukenPoints(bool(i.basisniveau, c), num(i.aanrechtLengteM, c), Object.fromEntries(vz.map(([k, f]) => [k, num(f, c)])));
  return result(
    "keuken",
    KEUKEN_TABLE.version,
    at,
    uniq([i.basisniveau.origin, i.aanrechtLengteM.origin, ...vz.map(([, f]) => f.origin)]),
    `aanrecht ${show(i.aanrechtLengteM)} m${i.basisniveau.value ? "" : ", basisniveau not met (0 points)"}; ${vz.length} kind(s) of extra voorziening, capped at the aanrecht points`,
  );
}

export function sanitairRubriek(i: SanitairInput): Counted {
  const ex = Object.entries(i.extras ?? {}) as Array<[SanitairExtra, NumberFact]>;
  const z = (f: NumberFact | undefined, c: Corner) => num(f, c);
  const at = (c: Corner) =>
    sanitairPoints({
      staandToiletruimte: z(i.staandToiletruimte, c),
      staandBadkamer: z(i.staandBadkamer, c),
      hangendToiletruimte: z(i.hangendToiletruimte, c),
      hangendBadkamer: z(i.hangendBadkamer, c),
      wastafelsBadkamer: z(i.wastafelsBadkamer, c),
      meerpersoonsWastafelsBadkamer: z(i.meerpersoonsWastafelsBadkamer, c),
      ruimtenMetWastafel: z(i.ruimtenMetWastafel, c),
      ruimtenMetMeerpersoonsWastafel: z(i.ruimtenMetMeerpersoonsWastafel, c),
      douches: z(i.douches, c),
      baden: z(i.baden, c),
      badEnDouches: z(i.badEnDouches, c),
      extrasAllowed: i.badruimteVoldoet ? bool(i.badruimteVoldoet, c) : false,
      extras: Object.fromEntries(ex.map(([k, f]) => [k, num(f, c)])),
    });
  const facts = [
    i.staandToiletruimte,
    i.staandBadkamer,
    i.hangendToiletruimte,
    i.hangendBadkamer,
    i.wastafelsBadkamer,
    i.meerpersoonsWastafelsBadkamer,
    i.ruimtenMetWastafel,
    i.ruimtenMetMeerpersoonsWastafel,
    i.douches,
    i.baden,
    i.badEnDouches,
  ].filter((f): f is NumberFact => f !== undefined);
  return result(
    "sanitair",
    SANITAIR_TABLE.version,
    at,
    uniq([...facts.map((f) => f.origin), ...(i.badruimteVoldoet ? [i.badruimteVoldoet.origin] : []), ...ex.map(([, f]) => f.origin)]),
    `toilets, wastafels, douche/bad as given; extra voorzieningen ${i.badruimteVoldoet?.value ? "in a bad-/doucheruimte that meets the requirements, capped at the douche/bad points" : "not counted (no qualifying bad-/doucheruimte stated)"}`,
  );
}

export function buitenruimtenRubriek(i: BuitenruimtenInput): RubriekResult {
  const g = i.gemeenschappelijkM2;
  if (g && g.max > 0 && i.adressenMetToegang === undefined)
    return {
      rubriek: "buitenruimten",
      status: "notAvailable",
      reason: "a gemeenschappelijke buitenruimte is given without the number of addresses with access (its points are divided by it)",
    };
  const at = (c: Corner) =>
    buitenruimtenPoints(
      bool(i.privePresent, c),
      num(i.priveM2, c),
      num(g, c),
      i.adressenMetToegang ? num(i.adressenMetToegang, c, true) : 1,
    );
  return result(
    "buitenruimten",
    BUITENRUIMTEN_TABLE.version,
    at,
    uniq([
      i.privePresent.origin,
      ...(i.priveM2 ? [i.priveM2.origin] : []),
      ...(g ? [g.origin] : []),
      ...(i.adressenMetToegang ? [i.adressenMetToegang.origin] : []),
    ]),
    `privé-buitenruimte ${i.privePresent.value ? `yes${i.priveM2 ? `, ${show(i.priveM2)} m²` : ""}` : "no"}; gemeenschappelijk ${g ? `${show(g)} m²${i.adressenMetToegang ? ` / ${show(i.adressenMetToegang)} adressen` : ""}` : "none"}; −5 when none at all, at most 15`,
  );
}

import { z } from "zod";
import {
  COUNTED_RUBRIEKEN,
  type CountedRubriek,
  type KeukenVoorziening,
  known,
  type NumberFact,
  type SanitairExtra,
  type StructuredInputs,
} from "../../domain/wws";
import { UserError } from "../../errors";

/**
 * The `rubrieken` argument of Calculate_Rent_Points, checked here rather than in the listed input
 * schema (which stays one line for the tools/list budget): per rubriek either the points the user
 * counted (a number) or, for verwarming, keuken, sanitair and buitenruimten, the table inputs.
 */
const count = z.number().min(0).max(1000);
const counts = <K extends string>(keys: readonly K[]) =>
  z.object(Object.fromEntries(keys.map((k) => [k, count.optional()])) as Record<K, z.ZodOptional<typeof count>>).strict();

const KEUKEN: readonly KeukenVoorziening[] = [
  "afzuiginstallatie",
  "kookplaatInductie",
  "kookplaatKeramisch",
  "kookplaatGas",
  "koelkast",
  "vrieskast",
  "ovenElektrisch",
  "ovenGas",
  "magnetron",
  "vaatwasmachine",
  "extraKastruimtePer60cm",
  "eenhandsmengkraan",
  "thermostatischeMengkraan",
  "kokendwaterfunctie",
];
const EXTRAS: readonly SanitairExtra[] = [
  "bubbelfunctieBad",
  "douchescheiding",
  "handdoekenradiator",
  "kastjeMetWastafel",
  "kastruimte",
  "stopcontact",
  "eenhandsmengkraan",
  "thermostatischeMengkraan",
];
const SANITAIR_COUNTS = [
  "staandToiletruimte",
  "staandBadkamer",
  "hangendToiletruimte",
  "hangendBadkamer",
  "wastafelsBadkamer",
  "meerpersoonsWastafelsBadkamer",
  "ruimtenMetWastafel",
  "ruimtenMetMeerpersoonsWastafel",
  "douches",
  "baden",
  "badEnDouches",
] as const;

const Verwarming = z.object({ verwarmdeVertrekken: count, verwarmdeOverigeRuimten: count, verkoeldeVertrekken: count.optional() }).strict();
const Keuken = z.object({ basisniveau: z.boolean(), aanrechtLengteM: count, voorzieningen: counts(KEUKEN).optional() }).strict();
const Sanitair = counts(SANITAIR_COUNTS)
  .extend({ badruimteVoldoet: z.boolean().optional(), extras: counts(EXTRAS).optional() })
  .strict();
const Buitenruimten = z
  .object({
    privePresent: z.boolean(),
    priveM2: count.optional(),
    gemeenschappelijkM2: count.optional(),
    adressenMetToegang: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();
const Points = z.number().min(-100).max(1000);

const RubriekInputs = z
  .object({
    verwarming: z.union([Points, Verwarming]).optional(),
    keuken: z.union([Points, Keuken]).optional(),
    sanitair: z.union([Points, Sanitair]).optional(),
    buitenruimten: z.union([Points, Buitenruimten]).optional(),
    gehandicaptenvoorzieningen: Points.optional(),
    bijzondereVoorzieningen: Points.optional(),
    gemeenschappelijk: Points.optional(),
  })
  .strict();

const USER = { kind: "user" } as const;
const fact = (n: number): NumberFact => known(n, USER);
const facts = <K extends string>(o: Partial<Record<K, number | undefined>> | undefined) =>
  o === undefined
    ? undefined
    : (Object.fromEntries(Object.entries(o).flatMap(([k, v]) => (typeof v === "number" ? [[k, fact(v)]] : []))) as Partial<
        Record<K, NumberFact>
      >);
const choice = (b: boolean) => ({ value: b, options: [b], origin: USER });

/** The user's rubriek inputs as the engine takes them, or a UserError naming what is wrong. */
export function parseRubriekInputs(raw: unknown): { counted: Partial<Record<CountedRubriek, number>>; structured: StructuredInputs } {
  const parsed = RubriekInputs.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `rubrieken.${issue.path.join(".")}` : "rubrieken";
    throw new UserError(
      `${where}: ${issue?.message ?? "invalid"}. Give per rubriek the points you counted (a number), or for ${COUNTED_RUBRIEKEN.slice(0, 3).join(", ")} and buitenruimten the table inputs (see the docs).`,
    );
  }
  const r = parsed.data;
  const counted: Partial<Record<CountedRubriek, number>> = {};
  const structured: StructuredInputs = {};
  for (const name of COUNTED_RUBRIEKEN) {
    const v = r[name];
    if (typeof v === "number") counted[name] = v;
  }
  if (typeof r.verwarming === "object")
    structured.verwarming = {
      verwarmdeVertrekken: fact(r.verwarming.verwarmdeVertrekken),
      verwarmdeOverigeRuimten: fact(r.verwarming.verwarmdeOverigeRuimten),
      ...(r.verwarming.verkoeldeVertrekken !== undefined ? { verkoeldeVertrekken: fact(r.verwarming.verkoeldeVertrekken) } : {}),
    };
  if (typeof r.keuken === "object")
    structured.keuken = {
      basisniveau: choice(r.keuken.basisniveau),
      aanrechtLengteM: fact(r.keuken.aanrechtLengteM),
      ...(r.keuken.voorzieningen ? { voorzieningen: facts(r.keuken.voorzieningen) } : {}),
    };
  if (typeof r.sanitair === "object") {
    const { badruimteVoldoet, extras, ...rest } = r.sanitair;
    structured.sanitair = {
      ...facts(rest),
      ...(badruimteVoldoet !== undefined ? { badruimteVoldoet: choice(badruimteVoldoet) } : {}),
      ...(extras ? { extras: facts(extras) } : {}),
    };
  }
  if (typeof r.buitenruimten === "object") {
    const b = r.buitenruimten;
    structured.buitenruimten = {
      privePresent: choice(b.privePresent),
      ...(b.priveM2 !== undefined ? { priveM2: fact(b.priveM2) } : {}),
      ...(b.gemeenschappelijkM2 !== undefined ? { gemeenschappelijkM2: fact(b.gemeenschappelijkM2) } : {}),
      ...(b.adressenMetToegang !== undefined ? { adressenMetToegang: fact(b.adressenMetToegang) } : {}),
    };
  }
  return { counted, structured };
}

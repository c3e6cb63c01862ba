import { z } from "zod";
import { canonicalRegistrationTime, isLabelClass, newestRegistrationFirst, registrationTime } from "../../domain/energy-label";
import { log } from "../../log";
import { type EnergyLabel, RegisterError } from "../types";
import { getJson, type HttpOptions, NOT_FOUND } from "./http";
import { REGISTER, REGISTER_NAMES } from "./registers";

/**
 * EP-Online v5 (RVO): energy label registrations for one BAG adresseerbaar object.
 * `GET /PandEnergielabel/AdresseerbaarObject/{id}` with `Authorization: <key>` (the raw key, no
 * "Bearer"). The answer is an array, one element per registration; 404 means none.
 * The placeholder id `0000000000000000` returns unrelated records, so it is never sent, and
 * records whose BAG id differs from the one asked for are dropped. Fields as in the reference
 * (docs: PandEnergielabelV5): `Registratiedatum`, `Opnamedatum`, `Geldig_tot`, `Berekeningstype`,
 * `Energieklasse` (A+++++ … G), `EnergieIndex` (old method), `PrimaireFossieleEnergie` (EP2),
 * `Gebouwtype`, `Bouwjaar`, `Gebruiksoppervlakte_thermische_zone`, `BAGVerblijfsobjectID` (or the
 * ligplaats/standplaats id). `Registratiedatum` has no zone and 1–7 fraction digits; it is stored in
 * one canonical form (Dutch local time with its offset) and the history is sorted by that instant.
 */

export const EP_ONLINE_BASE = "https://public.ep-online.nl/api/v5";
const UNIT_ID_RE = /^\d{4}(01|02|03)\d{10}$/;
const PLACEHOLDER_ID = "0000000000000000";
/** NTA 8800 replaced the Energie-Index method on 1 January 2021 (Dutch time). */
const NTA_8800_START = Date.UTC(2020, 11, 31, 23);

export const EP_ONLINE_UNAUTHORISED =
  "EP-Online refused the request: its API key is missing or invalid. The operator of this server must set a valid EP_ONLINE_API_KEY.";

/** A registration mapped to our names, before it is cached (no `source` yet). */
export interface EpLabelFacts extends Omit<EnergyLabel, "source"> {
  buildYear: number | null;
  thermalAreaM2: number | null;
}

const nullableNumber = z
  .number()
  .nullish()
  .transform((v) => (typeof v === "number" && Number.isFinite(v) ? v : null));
const nullableText = z
  .string()
  .nullish()
  .transform((v) => (typeof v === "string" && v.trim() !== "" ? v.trim() : null));

/** The v5 fields we use (PandEnergielabelV5); the many others are ignored. */
const RegistrationSchema = z.object({
  Registratiedatum: nullableText,
  Opnamedatum: nullableText,
  Geldig_tot: nullableText,
  Berekeningstype: nullableText,
  Energieklasse: nullableText,
  EnergieIndex: nullableNumber,
  PrimaireFossieleEnergie: nullableNumber,
  Gebouwtype: nullableText,
  Bouwjaar: nullableNumber,
  Gebruiksoppervlakte_thermische_zone: nullableNumber,
  BAGVerblijfsobjectID: nullableText,
  BAGLigplaatsID: nullableText,
  BAGStandplaatsID: nullableText,
});
type Registration = z.infer<typeof RegistrationSchema>;

/** An array (the reference: "always" in its section 4, "usually" in section 13); a single object is taken as a list of one. */
const RawRecord = z.record(z.string(), z.unknown());
const ResponseSchema = z.union([z.array(RawRecord), RawRecord.transform((r) => [r])]);

/** Old-method labels carry an EnergieIndex, NTA 8800 labels an EP2 (PrimaireFossieleEnergie). */
export function labelMethod(
  r: Pick<Registration, "EnergieIndex" | "PrimaireFossieleEnergie" | "Berekeningstype" | "Registratiedatum">,
): EnergyLabel["method"] {
  if (r.EnergieIndex !== null) return "Energie-Index";
  if (r.PrimaireFossieleEnergie !== null) return "NTA 8800";
  if (r.Berekeningstype !== null && /NTA\s*8800/i.test(r.Berekeningstype)) return "NTA 8800";
  const registered = r.Registratiedatum === null ? null : registrationTime(r.Registratiedatum);
  return registered !== null && registered < NTA_8800_START ? "Energie-Index" : "NTA 8800";
}

function toFacts(unitId: string, r: Registration): EpLabelFacts | null {
  const energyClass = r.Energieklasse?.replace(/\s+/g, "").toUpperCase() ?? null;
  const registeredAt = r.Registratiedatum === null ? null : canonicalRegistrationTime(r.Registratiedatum);
  if (energyClass === null || !isLabelClass(energyClass) || registeredAt === null || r.Geldig_tot === null) return null;
  return {
    // EP-Online v5 has no registration id; unit and registration time identify one.
    id: `${unitId}@${registeredAt}`,
    unitId,
    energyClass,
    registeredAt,
    inspectedAt: r.Opnamedatum,
    validUntil: r.Geldig_tot,
    method: labelMethod(r),
    calculationType: r.Berekeningstype,
    ep2KwhM2: r.PrimaireFossieleEnergie,
    energyIndex: r.EnergieIndex,
    buildingType: r.Gebouwtype,
    buildYear: r.Bouwjaar !== null && Number.isInteger(r.Bouwjaar) ? r.Bouwjaar : null,
    thermalAreaM2: r.Gebruiksoppervlakte_thermische_zone,
  };
}

/** True when EP-Online may be asked about this id (a BAG unit id, never the placeholder). */
export function isLabelSubject(unitId: string): boolean {
  return UNIT_ID_RE.test(unitId) && unitId !== PLACEHOLDER_ID;
}

/**
 * Every registration for the unit, expired ones included, newest first; [] when there is none.
 * @throws RegisterError when EP-Online fails, with a clear message for a missing or bad key.
 */
export async function fetchLabels(unitId: string, apiKey: string, options: HttpOptions = {}): Promise<EpLabelFacts[]> {
  if (!isLabelSubject(unitId)) return [];
  const answer = await getJson(
    {
      register: REGISTER.epOnline,
      url: `${EP_ONLINE_BASE}/PandEnergielabel/AdresseerbaarObject/${unitId}`,
      headers: { Authorization: apiKey },
      schema: ResponseSchema,
      notFoundStatuses: [404],
      statusMessages: { 401: EP_ONLINE_UNAUTHORISED, 403: EP_ONLINE_UNAUTHORISED },
    },
    options,
  );
  if (answer === NOT_FOUND) return [];
  const labels: EpLabelFacts[] = [];
  let dropped = 0;
  // Records that name no BAG object or cannot be read as a label: not an answer about any unit.
  let unreadable = 0;
  for (const raw of answer) {
    const parsed = RegistrationSchema.safeParse(raw);
    const r = parsed.success ? parsed.data : null;
    const ids = r === null ? [] : [r.BAGVerblijfsobjectID, r.BAGLigplaatsID, r.BAGStandplaatsID];
    const aboutThisUnit = ids.includes(unitId);
    const facts = r !== null && aboutThisUnit ? toFacts(unitId, r) : null;
    if (facts) labels.push(facts);
    else {
      dropped++;
      if (r === null || aboutThisUnit || ids.every((id) => id === null)) unreadable++;
    }
  }
  if (dropped > 0) log("warn", "ep_online_records_dropped", { dropped, kept: labels.length });
  // Nothing usable and something unreadable: a malformed answer, never "no label registered".
  if (labels.length === 0 && unreadable > 0) {
    log("warn", "register_failed", { register: REGISTER.epOnline, reason: "shape" });
    throw new RegisterError(REGISTER.epOnline, `${REGISTER_NAMES[REGISTER.epOnline]} answered in an unexpected format; try again later.`);
  }
  const unique = [...new Map(labels.map((l) => [l.id, l])).values()];
  return unique.sort(newestRegistrationFirst);
}

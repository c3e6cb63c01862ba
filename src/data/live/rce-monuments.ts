import { z } from "zod";
import { RegisterError } from "../../errors";
import { getJson, type HttpOptions, NOT_FOUND } from "./http";
import { DEFAULT_REGISTER_URLS, REGISTER, REGISTER_NAMES } from "./registers";

/**
 * Rijksmonumenten of a BAG unit, from the Rijksdienst voor het Cultureel Erfgoed's linked data
 * (dataset rce/cho, SPARQL, no key). The query links a monument's `ceo:rijksmonumentnummer`,
 * through its BAG relation, to the unit's `ceo:verblijfsobjectIdentificatie`, and returns each
 * linked monument record with its juridical status (`ceo:heeftJuridischeStatus`). It is POSTed
 * as the form fields `query` and `format=json`; the answer is a JSON array with one object per
 * row, `{ identificatie, rijksmonument_nummer, juridische_status }`, values as strings.
 *
 * The status "rijksmonument" is the referentienetwerk term b2d9a59a-…; in 2025 RCE moved its
 * terms from `https://data.cultureelerfgoed.nl/term/id/rn/` to `…/term/id/rn/2/`, and both IRIs
 * count. A unit linked to a record whose status is neither (or has none) is doubtful: the
 * lookup fails with a `RegisterError`, so the status is unknown and never cached as "no".
 * Source: test/fixtures/registers/rce-monuments-*.source.md.
 */

export const RCE_SPARQL_URL = `${DEFAULT_REGISTER_URLS[REGISTER.rce]}/sparql`;
/** The register's public page of a monument. */
export const monumentUrl = (number: number) => `https://monumentenregister.cultureelerfgoed.nl/monumenten/${number}`;

const UNIT_RE = /^\d{4}(01|02|03)\d{10}$/;
/** The referentienetwerk concept of the juridical status "rijksmonument". */
const RIJKSMONUMENT_TERM = "b2d9a59a-fe1e-4552-9a05-3c2acddff864";
/** The status IRIs that mean "rijksmonument": today's namespace (since 2025) first, then the one before it. */
export const RIJKSMONUMENT_STATUSES = [
  `https://data.cultureelerfgoed.nl/term/id/rn/2/${RIJKSMONUMENT_TERM}`,
  `https://data.cultureelerfgoed.nl/term/id/rn/${RIJKSMONUMENT_TERM}`,
] as const;

export function monumentQuery(unitId: string): string {
  if (!UNIT_RE.test(unitId)) throw new Error("not a BAG unit id");
  return `PREFIX ceo:<https://linkeddata.cultureelerfgoed.nl/def/ceo#>
SELECT DISTINCT ?identificatie ?rijksmonument_nummer ?juridische_status
WHERE {
  ?monument ceo:rijksmonumentnummer ?rijksmonument_nummer ;
            ceo:heeftBasisregistratieRelatie ?relatie .
  OPTIONAL { ?monument ceo:heeftJuridischeStatus ?juridische_status . }
  ?relatie ceo:heeftBAGRelatie ?bag .
  ?bag ceo:verblijfsobjectIdentificatie ?identificatie .
  VALUES ?identificatie { "${unitId}" }
}`;
}

const Rows = z.array(
  z.object({
    identificatie: z.string(),
    rijksmonument_nummer: z.union([
      z.number().int().positive(),
      z
        .string()
        .regex(/^\s*\d{1,9}\s*$/)
        .transform(Number),
    ]),
    juridische_status: z.string().nullish(),
  }),
);

export interface RceMonumentFacts {
  number: number;
  url: string;
}

const isRijksmonument = (status: string | null | undefined) =>
  status !== null && status !== undefined && (RIJKSMONUMENT_STATUSES as readonly string[]).includes(status.trim());

/**
 * The unit's rijksmonumenten, lowest number first; [] when the register links it to no monument.
 * @throws RegisterError when RCE cannot be asked, answers malformed, or links the unit only to
 *   monument records whose status is not (or not recognisably) "rijksmonument": doubtful, so unknown.
 */
export async function fetchMonuments(unitId: string, options: HttpOptions = {}): Promise<RceMonumentFacts[]> {
  if (!UNIT_RE.test(unitId)) return [];
  const rows = await getJson(
    { register: REGISTER.rce, url: RCE_SPARQL_URL, form: { query: monumentQuery(unitId), format: "json" }, schema: Rows },
    options,
  );
  if (rows === NOT_FOUND) return [];
  const own = rows.filter((r) => r.identificatie === unitId && r.rijksmonument_nummer > 0);
  const numbers = [...new Set(own.filter((r) => isRijksmonument(r.juridische_status)).map((r) => r.rijksmonument_nummer))];
  if (numbers.length === 0 && own.length > 0) {
    const doubtful = [...new Set(own.map((r) => r.rijksmonument_nummer))].sort((a, b) => a - b);
    throw new RegisterError(
      REGISTER.rce,
      `${REGISTER_NAMES[REGISTER.rce]} links this unit to monument record ${doubtful.join(", ")} with a legal status it does not give as "rijksmonument"; whether the unit is a rijksmonument is unknown.`,
    );
  }
  return numbers.sort((a, b) => a - b).map((number) => ({ number, url: monumentUrl(number) }));
}

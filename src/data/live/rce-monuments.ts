import { z } from "zod";
import { getJson, type HttpOptions, NOT_FOUND } from "./http";
import { DEFAULT_REGISTER_URLS, REGISTER } from "./registers";

/**
 * Rijksmonumenten of a BAG unit, from the Rijksdienst voor het Cultureel Erfgoed's linked data
 * (dataset rce/cho, SPARQL, no key). The query links a monument's `ceo:rijksmonumentnummer`,
 * through its BAG relation, to the unit's `ceo:verblijfsobjectIdentificatie`, and keeps only
 * monuments whose juridical status is "rijksmonument". It is POSTed as the form fields `query`
 * and `format=json`; the answer is a JSON array with one object per row,
 * `{ identificatie, rijksmonument_nummer }`, values as strings.
 * Source: test/fixtures/registers/rce-monuments-*.source.md.
 */

export const RCE_SPARQL_URL = `${DEFAULT_REGISTER_URLS[REGISTER.rce]}/sparql`;
/** The register's public page of a monument. */
export const monumentUrl = (number: number) => `https://monumentenregister.cultureelerfgoed.nl/monumenten/${number}`;

const UNIT_RE = /^\d{4}(01|02|03)\d{10}$/;
/** rn: term of the juridical status "rijksmonument" (the status the register lists). */
const RIJKSMONUMENT_STATUS = "b2d9a59a-fe1e-4552-9a05-3c2acddff864";

export function monumentQuery(unitId: string): string {
  if (!UNIT_RE.test(unitId)) throw new Error("not a BAG unit id");
  return `PREFIX ceo:<https://linkeddata.cultureelerfgoed.nl/def/ceo#>
PREFIX rn:<https://data.cultureelerfgoed.nl/term/id/rn/>
SELECT DISTINCT ?identificatie ?rijksmonument_nummer
WHERE {
  ?monument ceo:heeftJuridischeStatus rn:${RIJKSMONUMENT_STATUS} ;
            ceo:rijksmonumentnummer ?rijksmonument_nummer ;
            ceo:heeftBasisregistratieRelatie ?relatie .
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
  }),
);

export interface RceMonumentFacts {
  number: number;
  url: string;
}

/** The unit's rijksmonumenten, lowest number first; [] when it is not part of one. */
export async function fetchMonuments(unitId: string, options: HttpOptions = {}): Promise<RceMonumentFacts[]> {
  if (!UNIT_RE.test(unitId)) return [];
  const rows = await getJson(
    { register: REGISTER.rce, url: RCE_SPARQL_URL, form: { query: monumentQuery(unitId), format: "json" }, schema: Rows },
    options,
  );
  if (rows === NOT_FOUND) return [];
  const numbers = [
    ...new Set(rows.filter((r) => r.identificatie === unitId && r.rijksmonument_nummer > 0).map((r) => r.rijksmonument_nummer)),
  ];
  return numbers.sort((a, b) => a - b).map((number) => ({ number, url: monumentUrl(number) }));
}

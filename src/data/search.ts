import type { Config } from "../config";
import type { AddressQuery, HouseNumberParts } from "../domain/address-input";
import { houseNumberReadings } from "../domain/address-input";
import { toAddress } from "./d1-store";
import type { HttpOptions } from "./live/http";
import { searchAddressText } from "./live/pdok-locatieserver";
import { REGISTER } from "./live/registers";
import type { Address, D1Queryable, Source } from "./types";

/**
 * Free-text address search (Search_Addresses), in either mode behind one interface:
 * - synthetic: the FTS5 index `address_search` in D1 (migrations/0005_address_search.sql), kept
 *   in step with `addresses` by triggers; one round trip;
 * - live: PDOK Locatieserver `free` with `fq=type:adres` (no D1 read; the id a user then picks
 *   is looked up and cached by the property tools as any other).
 */

/** One candidate address, best first. `postcode` is null for the few BAG addresses without one (live only). */
export interface AddressCandidate {
  id: string;
  street: string;
  houseNumber: number;
  houseLetter: string | null;
  houseNumberAddition: string | null;
  postcode: string | null;
  place: string;
  municipality: string | null;
  /** Higher is better; comparable within one answer only. */
  score: number;
  /** Whether number, letter and addition are exactly those searched for (either reading of a lone letter). */
  exactNumber: boolean;
  source: Source;
}

export interface AddressSearchResult {
  /** How many addresses match in all (the candidates are the best of them). */
  total: number;
  candidates: AddressCandidate[];
  /**
   * When the house number searched for matched nothing, the search was repeated without it:
   * `total` and `candidates` are then for the words (and postcode) alone.
   */
  withoutNumber: boolean;
}

/** A place the synthetic dataset covers, with one address there a user can try. */
export interface CoveredPlace {
  municipality: string;
  example: { street: string; houseNumber: number; postcode: string; place: string };
}

export interface AddressSearch {
  search(query: AddressQuery, limit: number): Promise<AddressSearchResult>;
  /**
   * The places this search can find, each with an address to try: for the synthetic dataset,
   * which covers a few municipalities only; null for the live registers (the whole country).
   * Asked only when a search found nothing.
   */
  coverage(): Promise<CoveredPlace[] | null>;
}

export function createAddressSearch(
  config: Pick<Config, "dataSource" | "registerUrls"> & Partial<Pick<Config, "registerTimeoutMs">>,
  db: D1Queryable,
  fetcher?: typeof fetch,
): AddressSearch {
  if (config.dataSource === "live") {
    return new LocatieserverSearch({
      registerUrls: config.registerUrls,
      ...(config.registerTimeoutMs !== undefined && { timeoutMs: config.registerTimeoutMs }),
      ...(fetcher && { fetch: fetcher }),
    });
  }
  return new D1AddressSearch(db);
}

/** Score added for an exact house number, letter and addition, above any bm25 difference between near-equal texts. */
const EXACT_BOOST = 100;
/** Candidates read from the index before the exact-number boost re-sorts them. */
const POOL = 200;

function sameText(a: string | null, b: string | null): boolean {
  return (a ?? "").toUpperCase() === (b ?? "").toUpperCase();
}

/** Whether an address has the number as searched, in any of its readings (Amsterdam's `100-H`). */
export function isExactNumber(a: HouseNumberParts, wanted: HouseNumberParts | null): boolean {
  if (wanted === null) return false;
  return houseNumberReadings(wanted).some(
    (r) =>
      a.houseNumber === r.houseNumber && sameText(a.houseLetter, r.houseLetter) && sameText(a.houseNumberAddition, r.houseNumberAddition),
  );
}

/** Sorts best first: the exact number before the rest, then by score; ties by label order. */
function rank(candidates: AddressCandidate[]): AddressCandidate[] {
  return candidates.sort(
    (x, y) =>
      y.score - x.score ||
      x.street.localeCompare(y.street) ||
      x.houseNumber - y.houseNumber ||
      (x.houseLetter ?? "").localeCompare(y.houseLetter ?? "") ||
      (x.houseNumberAddition ?? "").localeCompare(y.houseNumberAddition ?? ""),
  );
}

/** A word as an FTS5 prefix term: quoted, so nothing in it is read as FTS5 syntax. */
const prefixTerm = (word: string) => `"${word.replace(/"/g, "")}"*`;

/**
 * The FTS5 MATCH expression for a query: each word a prefix of a street or place word; the
 * postcode exact (its PC4 also indexed); the house number exact, unless `withNumber` is false.
 * Null when there is nothing to match but a house number.
 */
export function ftsExpression(query: AddressQuery, withNumber: boolean): string | null {
  const terms: string[] = [];
  for (const word of query.words) terms.push(`{street place postcode} : ${prefixTerm(word)}`);
  if (query.postcode) terms.push(`postcode : "${query.postcode.toLowerCase()}"`);
  if (terms.length === 0) return null;
  if (withNumber && query.houseNumber) terms.push(`house_number : "${query.houseNumber.houseNumber}"`);
  return terms.join(" AND ");
}

const CANDIDATE_COLUMNS = `a.id, a.unit_id, a.is_main, a.postcode, a.house_number, a.house_letter, a.house_number_addition,
  a.street, a.place, a.municipality_code, m.name AS municipality_name, a.neighbourhood_code, a.lat, a.lon,
  a.is_synthetic, a.source, a.retrieved_at, h.rank`;

/** A candidate from an address either search found, with its score and the exact-number boost. */
function candidateOf(
  a: Pick<Address, "id" | "street" | "houseNumber" | "houseLetter" | "houseNumberAddition" | "place" | "municipalityName"> & {
    postcode: string | null;
  },
  query: AddressQuery,
  score: number,
  source: AddressCandidate["source"],
): AddressCandidate {
  const exactNumber = isExactNumber(a, query.houseNumber);
  return {
    id: a.id,
    street: a.street,
    houseNumber: a.houseNumber,
    houseLetter: a.houseLetter,
    houseNumberAddition: a.houseNumberAddition,
    postcode: a.postcode,
    place: a.place,
    municipality: a.municipalityName,
    score: Math.round((score + (exactNumber ? EXACT_BOOST : 0)) * 1000) / 1000,
    exactNumber,
    source,
  };
}

/** The synthetic dataset's search: FTS5 in D1, ranked by bm25 (street weighted most) plus the exact-number boost. */
export class D1AddressSearch implements AddressSearch {
  constructor(private readonly db: D1Queryable) {}

  private statements(match: string): [D1PreparedStatement, D1PreparedStatement] {
    return [
      this.db.prepare("SELECT count(*) AS n FROM address_search WHERE address_search MATCH ?1").bind(match),
      // The index's rowid is the BAG id as an integer; `ORDER BY rank` is the table's bm25 (see the migration).
      this.db
        .prepare(
          `SELECT ${CANDIDATE_COLUMNS}
           FROM (SELECT rowid AS r, rank FROM address_search WHERE address_search MATCH ?1 ORDER BY rank LIMIT ?2) h
           JOIN addresses a ON a.id = printf('%016d', h.r)
           LEFT JOIN municipalities m ON m.code = a.municipality_code`,
        )
        .bind(match, POOL),
    ];
  }

  /**
   * Every municipality with districts, and one synthetic address in it without letter or
   * addition. Index searches only: the districts' municipality index, then per municipality its
   * first district, buurt and address through their indexes.
   */
  async coverage(): Promise<CoveredPlace[]> {
    const { results } = await this.db
      .prepare(
        `SELECT m.name AS municipality, a.street, a.house_number, a.postcode, a.place
         FROM (SELECT DISTINCT municipality_code AS code FROM districts) d
         JOIN municipalities m ON m.code = d.code
         JOIN addresses a ON a.id = (
           SELECT x.id FROM districts w
           JOIN neighbourhoods n ON n.district_code = w.code
           JOIN addresses x ON x.neighbourhood_code = n.code
           WHERE w.municipality_code = d.code AND x.is_synthetic = 1 AND x.postcode IS NOT NULL
             AND x.house_letter IS NULL AND x.house_number_addition IS NULL
           LIMIT 1)`,
      )
      .all<{ municipality: string; street: string; house_number: number; postcode: string; place: string }>();
    return results
      .map((r) => ({
        municipality: r.municipality,
        example: { street: r.street, houseNumber: Number(r.house_number), postcode: r.postcode, place: r.place },
      }))
      .sort((x, y) => x.municipality.localeCompare(y.municipality));
  }

  async search(query: AddressQuery, limit: number): Promise<AddressSearchResult> {
    const withNumber = ftsExpression(query, true);
    if (withNumber === null) return { total: 0, candidates: [], withoutNumber: false };
    const without = query.houseNumber ? ftsExpression(query, false) : null;
    // Both searches in one round trip: the one without the number is the answer only when the number matched nothing.
    const results = await this.db.batch<Record<string, unknown>>([
      ...this.statements(withNumber),
      ...(without !== null ? this.statements(without) : []),
    ]);
    const read = (countAt: number) => {
      const total = Number(results[countAt]?.results[0]?.n ?? 0);
      const candidates = (results[countAt + 1]?.results ?? []).map((row) => {
        const a = toAddress(row);
        // bm25 is negative, lower better: its negation is the score.
        return candidateOf(a, query, -Number(row.rank), a.source);
      });
      return { total, candidates: rank(candidates).slice(0, limit) };
    };
    const first = read(0);
    if (first.total > 0 || without === null) return { ...first, withoutNumber: false };
    return { ...read(2), withoutNumber: true };
  }
}

/** The live search: PDOK Locatieserver `free`, its score plus the exact-number boost. */
export class LocatieserverSearch implements AddressSearch {
  constructor(private readonly http: HttpOptions = {}) {}

  /** The registers cover the whole country. */
  async coverage(): Promise<null> {
    return null;
  }

  async search(query: AddressQuery, limit: number): Promise<AddressSearchResult> {
    // Ask for a few more than shown, so an exact number further down the register's order still comes first.
    const rows = Math.min(100, Math.max(limit, limit * 2));
    const answer = await searchAddressText(query, rows, this.http);
    const retrievedAt = new Date().toISOString();
    const source = { register: REGISTER.locatieserver, retrievedAt, synthetic: false };
    const candidates = answer.candidates.map((c) => candidateOf(c, query, c.score ?? 0, source));
    return { total: answer.numFound, candidates: rank(candidates).slice(0, limit), withoutNumber: false };
  }
}

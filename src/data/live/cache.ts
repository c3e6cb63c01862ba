import { type D1Queryable, type ValueBasis, ValueBasisSchema } from "../types";
import type { CbsNeighbourhoodFacts } from "./cbs";
import type { EpLabelFacts } from "./ep-online";
import { type BagBuildingFacts, type BagUnitFacts, unitKind } from "./pdok-bag";
import type { LocatieserverCandidate } from "./pdok-locatieserver";
import { REGISTER, type RegisterId } from "./registers";

/**
 * Writes what the registers say into the same D1 tables the synthetic dataset uses, so
 * `D1PropertyStore` reads both alike. Every row written here has `is_synthetic = 0`, the
 * register's name as `source` and the time of the answer as `retrieved_at`. Every question put
 * to a register is remembered in `register_fetches`, a "not found" too, so a repeated miss is
 * answered from D1 until its TTL runs out.
 *
 * Rules that keep the cache honest:
 * - Synthetic rows are never changed: upserts carry `WHERE <table>.is_synthetic = 0`, and an
 *   address whose key (postcode, number, letter, addition) a synthetic row already holds is
 *   not written. An address without a postcode has no key (NULL never equals NULL there).
 * - Each write is one `db.batch` (a transaction), with a fixed number of statements however
 *   many rows there are: lists travel as one JSON parameter and are unpacked with `json_each`.
 * - Foreign keys are satisfied with the least we know. An address needs its unit, buurt, wijk
 *   and gemeente to exist; when they are not cached yet, placeholder rows are inserted (never
 *   over an existing row): a unit with status '' and no purposes, a buurt with
 *   `dataset_year = 0` and no figures, a gemeente with `woz_per_m2 = 0` and
 *   `woz_per_m2_year = 0`. The live source never returns a placeholder as data: it asks BAG
 *   or CBS for units and buurten, and treats such a gemeente as unknown.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** How long an answer (or a "not found") from a register is used before asking again. */
export const TTL_MS = {
  /** BAG addresses change rarely (new builds, renumbering): 30 days. */
  address: 30 * DAY_MS,
  /** BAG units and panden (status, area, use, build year): 30 days. */
  unit: 30 * DAY_MS,
  /** New energy labels are registered every day: 7 days. */
  label: 7 * DAY_MS,
  /** CBS publishes the KWB table about once a year: 90 days. */
  neighbourhood: 90 * DAY_MS,
  /** The value basis follows the monthly CBS price index: 30 days. */
  valueBasis: 30 * DAY_MS,
} as const;

/** The `register_fetches.subject` of each kind of question. */
export const SUBJECT = {
  postcode: (postcode: string) => `postcode:${postcode}`,
  houseNumber: (postcode: string, houseNumber: number) => `postcode:${postcode}:${houseNumber}`,
  address: (id: string) => `address:${id}`,
  unit: (unitId: string) => `unit:${unitId}`,
  labels: (unitId: string) => `labels:${unitId}`,
  neighbourhood: (tableId: string, code: string) => `${tableId}:${code}`,
  valueBasis: (municipalityCode: string) => `value:${municipalityCode}`,
} as const;

/** How `RegisterCache.recordsOf` keys a record. */
export const recordKey = (register: RegisterId, subject: string) => `${register}|${subject}`;

export interface FetchRecord {
  retrievedAt: string;
  found: boolean;
}

/** The statements that make an address's unit, buurt, wijk and gemeente exist (placeholders). */
function placeholderStatements(
  db: D1Queryable,
  addresses: readonly LocatieserverCandidate[],
  source: RegisterId,
  at: string,
): D1PreparedStatement[] {
  const municipalities = new Map<string, object>();
  const districts = new Map<string, object>();
  const neighbourhoods = new Map<string, object>();
  const units = new Map<string, object>();
  for (const a of addresses) {
    municipalities.set(a.municipalityCode, {
      code: a.municipalityCode,
      name: a.municipalityName ?? a.municipalityCode,
      provinceCode: a.provinceCode ?? "",
      provinceName: a.provinceName ?? "",
    });
    if (a.districtCode !== null) {
      districts.set(a.districtCode, { code: a.districtCode, municipalityCode: a.municipalityCode, name: a.districtName ?? a.districtCode });
    }
    if (a.neighbourhoodCode !== null && a.districtCode !== null) {
      neighbourhoods.set(a.neighbourhoodCode, {
        code: a.neighbourhoodCode,
        districtCode: a.districtCode,
        municipalityCode: a.municipalityCode,
        name: a.neighbourhoodName ?? a.neighbourhoodCode,
      });
    }
    units.set(a.unitId, { id: a.unitId, kind: unitKind(a.unitId) });
  }
  const json = (m: Map<string, object>) => JSON.stringify([...m.values()]);
  return [
    db
      .prepare(
        `INSERT INTO municipalities (code, name, province_code, province_name, corop_name, woz_per_m2, woz_per_m2_year, is_synthetic, source, retrieved_at)
         SELECT json_extract(value, '$.code'), json_extract(value, '$.name'), json_extract(value, '$.provinceCode'),
                json_extract(value, '$.provinceName'), '', 0, 0, 0, ?2, ?3
         FROM json_each(?1) WHERE true
         ON CONFLICT (code) DO NOTHING`,
      )
      .bind(json(municipalities), source, at),
    db
      .prepare(
        `INSERT INTO districts (code, municipality_code, name, is_synthetic, source, retrieved_at)
         SELECT json_extract(value, '$.code'), json_extract(value, '$.municipalityCode'), json_extract(value, '$.name'), 0, ?2, ?3
         FROM json_each(?1) WHERE true
         ON CONFLICT (code) DO NOTHING`,
      )
      .bind(json(districts), source, at),
    db
      .prepare(
        `INSERT INTO neighbourhoods (code, district_code, municipality_code, name, dataset_year, is_synthetic, source, retrieved_at)
         SELECT json_extract(value, '$.code'), json_extract(value, '$.districtCode'), json_extract(value, '$.municipalityCode'),
                json_extract(value, '$.name'), 0, 0, ?2, ?3
         FROM json_each(?1) WHERE true
         ON CONFLICT (code) DO NOTHING`,
      )
      .bind(json(neighbourhoods), source, at),
    unitPlaceholders(db, json(units), source, at),
  ];
}

/** A nullable boolean as SQLite stores it: NULL (unknown), 0 or 1. */
function bit(value: boolean | null): 0 | 1 | null {
  return value === null ? null : value ? 1 : 0;
}

/** `units` must be a JSON array of `{ id, kind }`. */
function unitPlaceholders(db: D1Queryable, units: string, source: RegisterId, at: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO units (id, kind, surface_m2, use_purposes, status, dwelling_type, in_research, is_synthetic, source, retrieved_at)
       SELECT json_extract(value, '$.id'), json_extract(value, '$.kind'), NULL, '[]', '', NULL, NULL, 0, ?2, ?3
       FROM json_each(?1) WHERE true
       ON CONFLICT (id) DO NOTHING`,
    )
    .bind(units, source, at);
}

/** The address's key; an address without a postcode has no key but its id. */
function keyOf(a: Pick<LocatieserverCandidate, "id" | "postcode" | "houseNumber" | "houseLetter" | "houseNumberAddition">): string {
  if (a.postcode === null) return `id:${a.id}`;
  return `${a.postcode}|${a.houseNumber}|${a.houseLetter ?? ""}|${a.houseNumberAddition ?? ""}`;
}

export class RegisterCache {
  constructor(
    private readonly db: D1Queryable,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The statement behind `lastFetch`, for a batch of the caller's; read it back with `recordOf`. */
  lastFetchStatement(register: RegisterId, subject: string): D1PreparedStatement {
    return this.db.prepare("SELECT retrieved_at, found FROM register_fetches WHERE register = ?1 AND subject = ?2").bind(register, subject);
  }

  static recordOf(result: D1Result<Record<string, unknown>> | undefined): FetchRecord | null {
    const row = result?.results[0];
    return row ? { retrievedAt: String(row.retrieved_at), found: row.found === 1 } : null;
  }

  /** When the register was last asked this, and whether it knew the answer. */
  async lastFetch(register: RegisterId, subject: string): Promise<FetchRecord | null> {
    const row = await this.lastFetchStatement(register, subject).first<{ retrieved_at: string; found: number }>();
    return row ? { retrievedAt: row.retrieved_at, found: row.found === 1 } : null;
  }

  /**
   * One statement reading what each register was last asked about each subject, for a batch of
   * the caller's; read it back with `recordsOf`.
   */
  lastFetchesStatement(questions: ReadonlyArray<readonly [RegisterId, string]>): D1PreparedStatement {
    return this.db
      .prepare(
        `SELECT f.register, f.subject, f.retrieved_at, f.found FROM json_each(?1) q
         JOIN register_fetches f ON f.register = json_extract(q.value, '$[0]') AND f.subject = json_extract(q.value, '$[1]')`,
      )
      .bind(JSON.stringify(questions));
  }

  /** The records `lastFetchesStatement` read, by `recordKey(register, subject)`. */
  static recordsOf(result: D1Result<Record<string, unknown>> | undefined): Map<string, FetchRecord> {
    return new Map(
      (result?.results ?? []).map((row) => [
        recordKey(String(row.register) as RegisterId, String(row.subject)),
        { retrievedAt: String(row.retrieved_at), found: row.found === 1 },
      ]),
    );
  }

  /** True when something retrieved at `retrievedAt` is younger than `ttlMs`. */
  isFresh(retrievedAt: string, ttlMs: number): boolean {
    const at = Date.parse(retrievedAt);
    return Number.isFinite(at) && this.now().getTime() - at < ttlMs;
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  private recordStatement(register: RegisterId, subject: string, found: boolean, at: string): D1PreparedStatement {
    return this.db
      .prepare(
        `INSERT INTO register_fetches (register, subject, retrieved_at, found) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (register, subject) DO UPDATE SET retrieved_at = excluded.retrieved_at, found = excluded.found`,
      )
      .bind(register, subject, at, found ? 1 : 0);
  }

  /** Remembers that the register was asked, e.g. a miss with nothing to write. */
  async recordFetch(register: RegisterId, subject: string, found: boolean): Promise<void> {
    await this.recordStatement(register, subject, found, this.stamp()).run();
  }

  /**
   * Caches the Locatieserver's addresses for `subject`. With a `scope` the answer is the whole
   * truth for that postcode (or postcode and number): cached live addresses there that the
   * register no longer lists are removed, unless a saved assessment refers to them. An address
   * without a postcode (found by id) is written with `postcode` NULL; no key check applies to it.
   */
  async writeAddresses(
    subject: string,
    found: readonly LocatieserverCandidate[],
    scope?: { postcode: string; houseNumber?: number },
  ): Promise<void> {
    const at = this.stamp();
    const source = REGISTER.locatieserver;
    // One row per id and per address key; the register should never repeat either.
    const byKey = new Map<string, LocatieserverCandidate>();
    const ids = new Set<string>();
    for (const a of found) {
      if (ids.has(a.id) || byKey.has(keyOf(a))) continue;
      ids.add(a.id);
      byKey.set(keyOf(a), a);
    }
    const addresses = [...byKey.values()];
    const statements: D1PreparedStatement[] = [];
    if (scope) {
      statements.push(
        this.db
          .prepare(
            `DELETE FROM addresses
             WHERE postcode = ?1 AND (?2 IS NULL OR house_number = ?2) AND is_synthetic = 0
               AND id NOT IN (SELECT value FROM json_each(?3))
               AND id NOT IN (SELECT address_id FROM assessments)`,
          )
          .bind(scope.postcode, scope.houseNumber ?? null, JSON.stringify([...ids])),
      );
    }
    if (addresses.length > 0) {
      statements.push(...placeholderStatements(this.db, addresses, source, at));
      statements.push(
        this.db
          .prepare(
            `INSERT INTO addresses (id, unit_id, is_main, postcode, house_number, house_letter, house_number_addition, street, place,
                                    municipality_code, neighbourhood_code, lat, lon, is_synthetic, source, retrieved_at)
             SELECT a.id, a.unit_id, 1, a.postcode, a.house_number, a.house_letter, a.house_number_addition, a.street, a.place,
                    a.municipality_code, a.neighbourhood_code, a.lat, a.lon, 0, ?2, ?3
             FROM (SELECT json_extract(value, '$.id') AS id, json_extract(value, '$.unitId') AS unit_id,
                          json_extract(value, '$.postcode') AS postcode, json_extract(value, '$.houseNumber') AS house_number,
                          json_extract(value, '$.houseLetter') AS house_letter,
                          json_extract(value, '$.houseNumberAddition') AS house_number_addition,
                          json_extract(value, '$.street') AS street, json_extract(value, '$.place') AS place,
                          json_extract(value, '$.municipalityCode') AS municipality_code,
                          json_extract(value, '$.neighbourhoodCode') AS neighbourhood_code,
                          json_extract(value, '$.lat') AS lat, json_extract(value, '$.lon') AS lon
                   FROM json_each(?1)) AS a
             WHERE NOT EXISTS (
               SELECT 1 FROM addresses x
               WHERE x.postcode = a.postcode AND x.house_number = a.house_number AND ifnull(x.house_letter, '') = ifnull(a.house_letter, '')
                 AND ifnull(x.house_number_addition, '') = ifnull(a.house_number_addition, '') AND x.id <> a.id)
             ON CONFLICT (id) DO UPDATE SET
               unit_id = excluded.unit_id, postcode = excluded.postcode, house_number = excluded.house_number,
               house_letter = excluded.house_letter, house_number_addition = excluded.house_number_addition,
               street = excluded.street, place = excluded.place, municipality_code = excluded.municipality_code,
               neighbourhood_code = excluded.neighbourhood_code, lat = excluded.lat, lon = excluded.lon,
               source = excluded.source, retrieved_at = excluded.retrieved_at
             WHERE addresses.is_synthetic = 0`,
          )
          .bind(JSON.stringify(addresses), source, at),
      );
    }
    statements.push(this.recordStatement(source, subject, addresses.length > 0, at));
    await this.db.batch(statements);
  }

  /** Caches a BAG unit with its panden and links; marks its hoofdadres when BAG names it. */
  async writeUnit(subject: string, unit: BagUnitFacts, buildings: readonly BagBuildingFacts[]): Promise<void> {
    const at = this.stamp();
    const source = REGISTER.bag;
    const buildingJson = JSON.stringify(buildings);
    const statements = [
      this.db
        .prepare(
          `INSERT INTO buildings (id, build_year, status, is_synthetic, source, retrieved_at)
           SELECT json_extract(value, '$.id'), json_extract(value, '$.buildYear'), json_extract(value, '$.status'), 0, ?2, ?3
           FROM json_each(?1) WHERE true
           ON CONFLICT (id) DO UPDATE SET build_year = excluded.build_year, status = excluded.status,
             source = excluded.source, retrieved_at = excluded.retrieved_at
           WHERE buildings.is_synthetic = 0`,
        )
        .bind(buildingJson, source, at),
      this.db
        .prepare(
          `INSERT INTO units (id, kind, surface_m2, use_purposes, status, dwelling_type, in_research, is_synthetic, source, retrieved_at)
           VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?8, 0, ?6, ?7)
           ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, surface_m2 = excluded.surface_m2, use_purposes = excluded.use_purposes,
             status = excluded.status, in_research = excluded.in_research, source = excluded.source, retrieved_at = excluded.retrieved_at
           WHERE units.is_synthetic = 0`,
        )
        // in_research: NULL when BAG does not say (the OGC API never does), else 0/1.
        .bind(unit.id, unit.kind, unit.surfaceM2, JSON.stringify(unit.usePurposes), unit.status, source, at, bit(unit.inResearch)),
      this.db
        .prepare("DELETE FROM unit_buildings WHERE unit_id = ?1 AND EXISTS (SELECT 1 FROM units WHERE id = ?1 AND is_synthetic = 0)")
        .bind(unit.id),
      this.db
        .prepare(
          `INSERT INTO unit_buildings (unit_id, building_id)
           SELECT ?1, json_extract(value, '$.id') FROM json_each(?2)
           WHERE EXISTS (SELECT 1 FROM units WHERE id = ?1 AND is_synthetic = 0)
           ON CONFLICT DO NOTHING`,
        )
        .bind(unit.id, buildingJson),
    ];
    if (unit.mainAddressId !== null) {
      statements.push(
        this.db
          .prepare("UPDATE addresses SET is_main = CASE WHEN id = ?2 THEN 1 ELSE 0 END WHERE unit_id = ?1 AND is_synthetic = 0")
          .bind(unit.id, unit.mainAddressId),
      );
    }
    statements.push(this.recordStatement(source, subject, true, at));
    await this.db.batch(statements);
  }

  /** Replaces the unit's cached registrations with EP-Online's current answer (history included). */
  async writeLabels(subject: string, unitId: string, labels: readonly EpLabelFacts[]): Promise<void> {
    const at = this.stamp();
    const source = REGISTER.epOnline;
    const statements = [
      unitPlaceholders(this.db, JSON.stringify([{ id: unitId, kind: unitKind(unitId) }]), source, at),
      this.db.prepare("DELETE FROM energy_labels WHERE unit_id = ?1 AND is_synthetic = 0").bind(unitId),
    ];
    if (labels.length > 0) {
      statements.push(
        this.db
          .prepare(
            `INSERT INTO energy_labels (id, unit_id, energy_class, registered_at, inspected_at, valid_until, method, calculation_type,
                                        ep2_kwh_m2, energy_index, building_type, label_build_year, thermal_area_m2,
                                        is_synthetic, source, retrieved_at)
             SELECT json_extract(value, '$.id'), json_extract(value, '$.unitId'), json_extract(value, '$.energyClass'),
                    json_extract(value, '$.registeredAt'), json_extract(value, '$.inspectedAt'), json_extract(value, '$.validUntil'),
                    json_extract(value, '$.method'), json_extract(value, '$.calculationType'), json_extract(value, '$.ep2KwhM2'),
                    json_extract(value, '$.energyIndex'), json_extract(value, '$.buildingType'), json_extract(value, '$.buildYear'),
                    json_extract(value, '$.thermalAreaM2'), 0, ?2, ?3
             FROM json_each(?1) WHERE true
             ON CONFLICT (id) DO UPDATE SET unit_id = excluded.unit_id, energy_class = excluded.energy_class,
               registered_at = excluded.registered_at, inspected_at = excluded.inspected_at, valid_until = excluded.valid_until,
               method = excluded.method, calculation_type = excluded.calculation_type, ep2_kwh_m2 = excluded.ep2_kwh_m2,
               energy_index = excluded.energy_index, building_type = excluded.building_type,
               label_build_year = excluded.label_build_year, thermal_area_m2 = excluded.thermal_area_m2,
               source = excluded.source, retrieved_at = excluded.retrieved_at
             WHERE energy_labels.is_synthetic = 0`,
          )
          .bind(JSON.stringify(labels), source, at),
      );
    }
    statements.push(this.recordStatement(source, subject, labels.length > 0, at));
    await this.db.batch(statements);
  }

  /** The cached value basis of a gemeente (read it back with `valueBasisOf`). */
  valueBasisStatement(municipalityCode: string): D1PreparedStatement {
    return this.db.prepare("SELECT basis, retrieved_at FROM value_basis WHERE municipality_code = ?1").bind(municipalityCode);
  }

  static valueBasisOf(result: D1Result<Record<string, unknown>> | undefined): { basis: ValueBasis; retrievedAt: string } | null {
    const row = result?.results[0];
    if (!row || typeof row.basis !== "string") return null;
    const parsed = ValueBasisSchema.safeParse(JSON.parse(row.basis));
    return parsed.success ? { basis: parsed.data, retrievedAt: String(row.retrieved_at) } : null;
  }

  /** The cached value bases of many gemeenten in one statement (read it back with `valueBasesOf`). */
  valueBasesStatement(codes: readonly string[]): D1PreparedStatement {
    return this.db
      .prepare(
        "SELECT municipality_code, basis, retrieved_at FROM value_basis WHERE municipality_code IN (SELECT value FROM json_each(?1))",
      )
      .bind(JSON.stringify(codes));
  }

  static valueBasesOf(result: D1Result<Record<string, unknown>> | undefined): Map<string, { basis: ValueBasis; retrievedAt: string }> {
    const out = new Map<string, { basis: ValueBasis; retrievedAt: string }>();
    for (const row of result?.results ?? []) {
      const one = RegisterCache.valueBasisOf({ ...(result as D1Result<Record<string, unknown>>), results: [row] });
      if (one) out.set(String(row.municipality_code), one);
    }
    return out;
  }

  /** Caches a gemeente's CBS value basis, or remembers that CBS has none for it. */
  async writeValueBasis(municipalityCode: string, basis: ValueBasis | null): Promise<void> {
    const at = this.stamp();
    const subject = SUBJECT.valueBasis(municipalityCode);
    const statements = [this.recordStatement(REGISTER.cbs, subject, basis !== null, at)];
    if (basis) {
      statements.unshift(
        this.db
          .prepare(
            `INSERT INTO value_basis (municipality_code, eur_per_m2, basis, retrieved_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (municipality_code) DO UPDATE SET eur_per_m2 = excluded.eur_per_m2, basis = excluded.basis,
               retrieved_at = excluded.retrieved_at`,
          )
          .bind(municipalityCode, basis.eurPerM2, JSON.stringify(basis), at),
      );
    }
    await this.db.batch(statements);
  }

  /**
   * Caches a buurt's CBS figures. Measures the KWB does not hold (liveability, crime, flood,
   * soil, foundation risk, share built before 1945, distance to a station) are stored as NULL.
   */
  async writeNeighbourhood(subject: string, n: CbsNeighbourhoodFacts): Promise<void> {
    const at = this.stamp();
    const source = REGISTER.cbs;
    await this.db.batch([
      this.db
        .prepare(
          `INSERT INTO municipalities (code, name, province_code, province_name, corop_name, woz_per_m2, woz_per_m2_year, is_synthetic, source, retrieved_at)
           VALUES (?1, ?2, '', '', '', 0, 0, 0, ?3, ?4)
           ON CONFLICT (code) DO NOTHING`,
        )
        .bind(n.municipalityCode, n.municipalityName ?? n.municipalityCode, source, at),
      this.db
        .prepare(
          `INSERT INTO districts (code, municipality_code, name, is_synthetic, source, retrieved_at)
           VALUES (?1, ?2, coalesce(?3, ?1), 0, ?4, ?5)
           ON CONFLICT (code) DO UPDATE SET municipality_code = excluded.municipality_code, name = coalesce(?3, districts.name),
             source = excluded.source, retrieved_at = excluded.retrieved_at
           WHERE districts.is_synthetic = 0`,
        )
        .bind(n.districtCode, n.municipalityCode, n.districtName, source, at),
      this.db
        .prepare(
          `INSERT INTO neighbourhoods (code, district_code, municipality_code, name, dataset_year, inhabitants, households,
                                       avg_household_size, avg_woz_thousands, pct_owner_occupied, pct_built_before_1945,
                                       dist_gp_km, dist_supermarket_km, dist_school_km, dist_station_km,
                                       liveability_class, liveability_deviation, crime_per_1000, flood_depth_class, soil_type,
                                       foundation_risk_area, dwellings, municipality_avg_woz_thousands, is_synthetic, source, retrieved_at)
           VALUES (?1, ?2, ?3, coalesce(?4, ?1), ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?11, ?12, ?13, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ?16, ?17, 0, ?14, ?15)
           ON CONFLICT (code) DO UPDATE SET district_code = excluded.district_code, municipality_code = excluded.municipality_code,
             name = coalesce(?4, neighbourhoods.name), dataset_year = excluded.dataset_year, inhabitants = excluded.inhabitants,
             households = excluded.households, avg_household_size = excluded.avg_household_size,
             avg_woz_thousands = excluded.avg_woz_thousands, pct_owner_occupied = excluded.pct_owner_occupied,
             pct_built_before_1945 = NULL, dist_gp_km = excluded.dist_gp_km, dist_supermarket_km = excluded.dist_supermarket_km,
             dist_school_km = excluded.dist_school_km, dist_station_km = NULL, liveability_class = NULL,
             liveability_deviation = NULL, crime_per_1000 = NULL, flood_depth_class = NULL, soil_type = NULL,
             foundation_risk_area = NULL, dwellings = excluded.dwellings,
             municipality_avg_woz_thousands = excluded.municipality_avg_woz_thousands,
             source = excluded.source, retrieved_at = excluded.retrieved_at
           WHERE neighbourhoods.is_synthetic = 0`,
        )
        .bind(
          n.code,
          n.districtCode,
          n.municipalityCode,
          n.name,
          n.datasetYear,
          n.inhabitants,
          n.households,
          n.avgHouseholdSize,
          n.avgWozThousands,
          n.pctOwnerOccupied,
          n.distGpKm,
          n.distSupermarketKm,
          n.distSchoolKm,
          source,
          at,
          n.dwellings,
          n.municipalityAvgWozThousands,
        ),
      this.recordStatement(source, subject, true, at),
    ]);
  }
}
